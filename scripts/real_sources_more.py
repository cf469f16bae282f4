"""Readers for the sources added second and third (see scripts/real_sources.py for the first ones and
tests/data/real/README.md for licences and label rules): multilingual questions (MGSM, XCOPA), coding asks
with few code words (NL2Bash, Karan Goel's project list), function calling (Seal-Tools, API-Bank),
instruction-style prose (BIG-Bench Hard), people's instructions (Dolly, added third), and, read but left out of
the build (see SOURCES in build_classify_data.py), people's role prompts (awesome-chatgpt-prompts), ordering
dialogues whose off-topic turns need none of the declared tools (Taskmaster-4) and small talk (Personality Chat).
Added fourth: people's first asks to an assistant (Anthropic's HH-RLHF harmless-base test split) and
Super-NaturalInstructions' task definitions with their inputs (an extract committed under tests/data/real/sni/)."""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from real_sources import Item, Mirror, chat, item, tool, user

# ---------------------------------------------------------------- prose, multilingual

MGSM_LANGS = ("bn", "de", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")  # English left out: it is GSM8K's test


def mgsm(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """google-research/url-nlp MGSM: GSM8K test problems translated by people into 10 languages (English,
    GSM8K's own text, left out), 22 a language."""
    for lang in MGSM_LANGS:
        rows = [line.split("\t")[0] for line in m.text(f"mgsm/mgsm_{lang}.tsv").splitlines() if line.strip()]
        for q in rng.sample(rows, 22):
            yield item("prose", chat([user(q)], rng=rng))


XCOPA_LANGS = ("et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh")
XCOPA_ASK = {"cause": "What was the cause?", "effect": "What happened as a result?"}


def xcopa(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """cambridgeltl/xcopa: COPA's premises and alternatives translated into 11 languages; the premise, its two
    alternatives and (ours, in English) the question COPA asks of them, 20 a language."""
    for lang in XCOPA_LANGS:
        rows = [json.loads(line) for line in m.text(f"data/{lang}/test.{lang}.jsonl").splitlines() if line.strip()]
        for r in rng.sample(rows, 20):
            text = f"{r['premise']}\n{XCOPA_ASK[r['question']]}\n1. {r['choice1']}\n2. {r['choice2']}"
            yield item("prose", chat([user(text)], rng=rng))


# ---------------------------------------------------------------- coding, few code words


def nl2bash(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """TellinaTool/nl2bash: the English side of its (description, Bash one-liner) pairs: asks for a command."""
    seen: set[str] = set()
    for line in m.text("data/bash/all.nl").splitlines():
        text = line.strip()
        if len(text) > 15 and text not in seen:
            seen.add(text)
            yield item("coding", chat([user(text)], rng=rng), "no_code_words")


_PROJECT = re.compile(r"^\*\*(.+?)\*\*\s*-?\s*(.+)$")


def projects(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """karan/Projects (Mega Project List): each practical programming project, "<title> - <what to build>"."""
    for line in m.text("README.md").splitlines():
        found = _PROJECT.match(line.strip())
        if found and len(found.group(2)) > 30:
            yield item("coding", chat([user(f"{found.group(1)}: {found.group(2)}")], rng=rng), "no_code_words")


# ---------------------------------------------------------------- tool calling


def _seal_tool(spec: dict[str, Any]) -> dict[str, Any]:
    params = {k: str(v.get("description", "")) for k, v in (spec.get("parameters") or {}).items()}
    return tool(spec["api_name"], spec.get("api_description", ""), params)


def sealtools(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """fairyshine/Seal-Tools (dev and both test splits): a query and the APIs its calls use, offered with four
    other APIs of the tool list."""
    specs = {}
    for line in m.text("Seal-Tools_Dataset/tool.jsonl").splitlines():
        spec = json.loads(line)
        specs[spec["api_name"]] = spec
    names = sorted(specs)
    for split in ("dev", "test_in_domain", "test_out_domain"):
        for line in m.text(f"Seal-Tools_Dataset/{split}.jsonl").splitlines():
            row = json.loads(line)
            gold = sorted({c["api"] for c in row.get("calling", []) if c.get("api") in specs})
            if not gold:
                continue
            others = rng.sample([n for n in names if n not in gold], 4)
            tools = [_seal_tool(specs[n]) for n in sorted([*gold, *others])]
            yield item("tool_calling", chat([user(row["query"])], tools, rng=rng))


def _apibank_tools(m: Mirror) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in csv.DictReader(io.StringIO(m.text("api-bank/data/all_apis.csv"))):
        attrs: dict[str, Any] = {}
        try:
            body = ast.parse(row["api_info"]).body
        except SyntaxError:
            continue  # a few rows hold no API description
        for node in body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                attrs[node.targets[0].id] = ast.literal_eval(node.value)
        given = attrs.get("input_parameters")
        params = {k: str(v.get("description", "")) for k, v in given.items()} if isinstance(given, dict) else {}
        out[row["类名"]] = tool(row["类名"], str(attrs.get("description", "")), params)
    return out


def apibank(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """AlibabaResearch/DAMO-ConvAI API-Bank, level-1 dialogues: a user turn followed by an API call (at once or
    after the assistant's "let me check") is tool_calling, with the conversation so far and the dialogue's
    APIs among four others offered."""
    apis = _apibank_tools(m)
    names = sorted(apis)
    root = "api-bank/lv1-lv2-samples/level-1-given-desc/"
    for path in sorted(p for p in m.ls() if p.startswith(root) and p.endswith(".jsonl")):
        turns = [json.loads(line) for line in m.text(path).splitlines() if line.strip()]
        used = sorted({t["api_name"] for t in turns if t["role"] == "API" and t.get("api_name") in apis})
        if not used:
            continue
        tools = [apis[n] for n in sorted([*used, *rng.sample([n for n in names if n not in used], 4)])]
        msgs: list[dict[str, Any]] = []
        for k, t in enumerate(turns):
            if t["role"] == "User":
                nxt = [x["role"] for x in turns[k + 1 : k + 3]]
                if nxt[:1] == ["API"] or nxt == ["AI", "API"]:
                    body = chat([*msgs, user(t["text"])], tools, rng=rng)
                    yield item("tool_calling", body, "follow_up" if msgs else None)
            if t["role"] in ("User", "AI"):
                msgs.append({"role": "user" if t["role"] == "User" else "assistant", "content": t["text"]})


TM4_APIS = {
    "show_menu": "Show the coffee bar's menu.",
    "get_menu_items": "Find menu items matching a query.",
    "get_addons": "List the add-ons (milk, syrups, shots) available for a menu item.",
    "add_order_item": "Add a menu item to the order.",
    "update_order_item": "Change an item of the order.",
    "update_order": "Change the order's details (name, for here or to go).",
    "get_order_details": "Read the current order.",
    "finish_order": "Send the order to be made.",
}


def taskmaster4(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """google-research-datasets/Taskmaster TM-4-2024: coffee-ordering dialogues annotated with the API calls each
    user turn leads to, with the coffee bar's APIs as tools (descriptions ours, from the names). A user turn
    annotated with a call is tool_calling; one with none (trivia, small talk, "what is your favourite band?")
    is prose: tools declared, none needed."""
    tools = [tool(n, d, {"query": "details"}) for n, d in TM4_APIS.items()]
    for path in sorted(p for p in m.ls() if p.startswith("TM-4-2024/data/")):
        for d in json.loads(m.text(path)):
            utts = d["utterances"]
            for k, u in enumerate(utts):
                if u["speaker"] != "user":
                    continue
                called = any(a["name"] == "api_call" for a in u["annotations"])
                if called and rng.random() > 0.1:
                    continue
                msgs = [{"role": x["speaker"], "content": x["text"]} for x in utts[: k + 1]]
                pattern = "tools_not_needed" if not called else "follow_up" if k else None
                yield item("tool_calling" if called else "prose", chat(msgs, tools, rng=rng), pattern)


# ---------------------------------------------------------------- prose, instruction style

# BBH tasks left out: their inputs are formal languages (boolean expressions, Dyck words, SVG paths, bare
# arithmetic expressions), which the semantics leave open.
BBH_LEFT_OUT = {"boolean_expressions", "dyck_languages", "geometric_shapes", "multistep_arithmetic_two"}


def bbh(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """suzgunmirac/BIG-Bench-Hard: the 23 tasks' inputs (sorting words, dates, logical deduction, sports
    plausibility, tables of penguins, ...), 10 a task: instruction-style asks that need no code."""
    for path in sorted(p for p in m.ls() if p.startswith("bbh/") and p.endswith(".json")):
        if path[4:-5] in BBH_LEFT_OUT:
            continue
        examples = json.loads(m.text(path))["examples"]
        for ex in rng.sample(examples, 10):
            yield item("prose", chat([user(ex["input"])], rng=rng))


# ---------------------------------------------------------------- small talk, tools declared

# Everyday assistant tools (ours) declared beside the small talk: none of them serves it.
EVERYDAY_TOOLS = [
    tool("get_weather", "Current weather and forecast for a city.", {"city": "city name"}),
    tool("set_alarm", "Set an alarm on the user's phone.", {"time": "when"}),
    tool("send_email", "Send an email.", {"to": "recipient", "subject": "subject", "body": "text"}),
    tool("book_restaurant", "Book a table at a restaurant.", {"restaurant": "name", "time": "when"}),
    tool("play_music", "Play a song, an artist or a playlist.", {"query": "what to play"}),
    tool("convert_currency", "Convert an amount between currencies.", {"amount": "amount", "to": "currency"}),
    tool("create_calendar_event", "Add an event to the calendar.", {"title": "title", "start": "when"}),
]


def personality_chat(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """Microsoft's Personality Chat small-talk set (qna_chitchat_professional.tsv, 9,796 user phrasings under 91
    answers: "are you a bot", "can you breathe", "I'm bored", "should I skip class?"), read from a copy
    (vikasjha001/telegram); at most 3 phrasings an answer. Prose; two in three asked with 2-4 of our everyday
    assistant tools declared (tools declared, none needed)."""
    by_answer: dict[str, list[str]] = {}
    for line in m.text("qna_chitchat_professional.tsv").splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) >= 2 and cells[0].strip():
            by_answer.setdefault(cells[1].strip(), []).append(cells[0].strip())
    for answer in sorted(by_answer):
        asks = sorted(set(by_answer[answer]))
        for ask in rng.sample(asks, min(3, len(asks))):
            tools = rng.sample(EVERYDAY_TOOLS, rng.randint(2, 4)) if rng.random() < 2 / 3 else None
            yield item("prose", chat([user(ask)], tools, rng=rng), "tools_not_needed" if tools else None)


# ---------------------------------------------------------------- human-written instructions

# Dolly rows (by id) left out, judged by hand among the 69 whose instruction has a programming word: the four that
# ask to write, fix or explain code (too few to score a coding class by) and the "what is <a programming
# technology>" asks (unclear).
DOLLY_LEFT_OUT = {142, 275, 2656, 5147, 33, 271, 635, 782, 879, 2113, 2498, 2518, 2827, 2968, 3257, 3323, 3982}
DOLLY_LEFT_OUT |= {4032, 4437, 4701, 4851, 4862, 5119, 5193, 5283, 5480, 5671, 5706}


def dolly(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """databricks-dolly-15k (written by Databricks employees: open and closed questions, brainstorming,
    classification, extraction, summarisation, creative writing), the instructions of its first 6,400 rows as
    copied in nayohan/dolly-15k-analysis (`dolly_decode_bak/`, the `instruction` field; the passages of the
    closed-question and extraction rows are not in that copy). Prose; the few that ask for code left out."""
    seen: set[str] = set()
    for line in m.text("dolly_decode_bak/google_flan-t5-base_decode_output.jsonl").splitlines():
        row = json.loads(line)
        text = str(row["instruction"]).strip()
        if row["id"] in DOLLY_LEFT_OUT or len(text) < 10 or text in seen:
            continue
        seen.add(text)
        yield item("prose", chat([user(text)], rng=rng))


# awesome-chatgpt-prompts at a commit of May 2025, whose prompts.csv holds 217 prompts written by people (later
# versions hold thousands, and the newest is too large for the mirror).
ACP_COMMIT = "0f75dce57c6fff3dc556f946d85866025ad6ddfd"
# Judged by hand (row numbers of that prompts.csv): asks to write, run, review or teach code, or to act as an
# interpreter or terminal; ACP_UNCLEAR: technical roles that ask for advice, not code (UX designer, IT architect,
# security specialist, ...), left out.
ACP_CODING = {0, 1, 4, 64, 65, 100, 110, 114, 116, 120, 121, 123, 131, 132, 139, 141, 160, 173, 178, 179, 181, 182}
ACP_CODING |= {183, 188, 193, 194, 214, 215}
ACP_UNCLEAR = {5, 30, 31, 44, 60, 70, 72, 86, 98, 99, 108, 111, 126, 130, 133, 134, 152, 166, 168, 172, 207, 208}


def awesome_prompts(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """f/awesome-chatgpt-prompts (CC0): people's "I want you to act as ..." prompts (role and first ask)."""
    for i, row in enumerate(csv.DictReader(io.StringIO(m.text("prompts.csv", ACP_COMMIT)))):
        text = (row.get("prompt") or "").strip()
        if i in ACP_UNCLEAR or len(text) < 20:
            continue
        yield item("coding" if i in ACP_CODING else "prose", chat([user(text)], rng=rng))


# ---------------------------------------------------------------- people's asks, added fourth

# HH-RLHF harmless-base test lines (0-based) left out, judged by hand among the 67 whose first ask has a
# programming or computer word: asks to program something ("let's program a robot that ...", "coding a game
# and need instructions") and asks to break into computer systems, devices or websites or to plant viruses
# (servers, a Tesla, Siri, a smartwatch, government websites, the blockchain, someone's wifi, a fake online
# store), which might be answered with code: unclear. Asks about someone's email, Instagram or bank password
# (social engineering), about the assistant's own programming and everyday questions with a computer word
# ("Why do MAC computers suck?") are prose.
HH_LEFT_OUT = {52, 214, 400, 431, 547, 801, 972, 1060, 1071, 1075, 1091, 1103, 1194, 1345, 1415, 1445, 1898}
HH_LEFT_OUT |= {2008, 2049}
_HH_FIRST = re.compile(r"\s*Human:\s*(.*?)\n\nAssistant:", re.S)


def hh_harmless(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """anthropics/hh-rlhf (MIT): the first human turn of each harmless-base test conversation ("chosen"): asks
    written by crowdworkers told to try to make the assistant misbehave (offensive content, much of it), everyday
    questions and requests; all prose but the unclear ones left out above. The other splits are Git LFS pointers
    in the mirror."""
    seen: set[str] = set()
    raw = gzip.decompress(m.show("harmless-base/test.jsonl.gz"))
    for i, line in enumerate(raw.decode("utf-8").splitlines()):
        found = _HH_FIRST.match(json.loads(line)["chosen"])
        text = found.group(1).strip() if found else ""
        if i in HH_LEFT_OUT or len(text) < 10 or text in seen:
            continue
        seen.add(text)
        yield item("prose", chat([user(text)], rng=rng))


# Super-NaturalInstructions (allenai/natural-instructions, Apache-2.0) is too large for the mirror (3.2 GB); the
# tasks read are in tests/data/real/sni/extract.txt (how they were chosen and read: tests/data/real/sni/README.md).
# Coding = the task asks to write, fix, judge or explain code (SQL, SPARQL, C++) whatever its category;
# everything else is prose, the "Program Execution"-like tasks over lists and strings included (the model
# answers them; self-instruct's seed tasks label "Sort the given list ascendingly" prose likewise).
SNI_CODING = {
    "task076_splash_correcting_sql_mistake",
    "task107_splash_question_to_sql",
    "task869_cfq_mcd1_sql_to_explanation",
    "task921_code_x_glue_information_retreival",
}
SNI_EXTRACT = Path(__file__).resolve().parent.parent / "tests" / "data" / "real" / "sni" / "extract.txt"


def sni_tasks(path: Path = SNI_EXTRACT) -> Iterator[tuple[str, str, list[str]]]:
    """(task, definition, inputs) for each task of the extract (its format: sni/README.md)."""
    task, definition, field = "", "", ""
    inputs: list[str] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("=== "):
            if task:
                yield task, definition.strip("\n"), [x.strip("\n") for x in inputs]
            task, definition, inputs, field = line[4:].strip(), "", [], ""
        elif line == "definition:":
            field = "definition"
        elif line == "--- input":
            inputs.append("")
            field = "input"
        elif field == "definition":
            definition += line + "\n"
        elif field == "input":
            inputs[-1] += line + "\n"
    if task:
        yield task, definition.strip("\n"), [x.strip("\n") for x in inputs]


def sni(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """Super-NaturalInstructions: the task's Definition, a blank line and one example's input (the dataset's own
    prompt shape), for each input read (up to 4 a task); coding for the tasks in SNI_CODING."""
    del m  # read from the committed extract, not a mirror
    for task, definition, inputs in sni_tasks():
        label = "coding" if task in SNI_CODING else "prose"
        for given in inputs:
            yield item(label, chat([user(definition + "\n\n" + given)], rng=rng))
