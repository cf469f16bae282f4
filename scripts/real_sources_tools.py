"""Readers for the function-calling, dialogue and image-question sources behind tests/data/real/ (see
scripts/real_sources.py for the others and tests/data/real/README.md for licences and label rules)."""

from __future__ import annotations

import ast
import csv
import io
import json
import random
import re
from collections.abc import Iterator
from typing import Any

from real_sources import Item, Mirror, chat, item, tool, user

# ---------------------------------------------------------------- tool calling


def sgd(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """Schema-Guided Dialogue (dev split): the services' intents are the tools. A user turn that the system
    answers with a service call is tool_calling; a closing "thanks, that's all" is prose (tools declared, none
    needed). Earlier turns go along, so follow-ups ("what about on the 5th?") are classified in context."""
    schema = {s["service_name"]: s for s in json.loads(m.text("dev/schema.json"))}
    files = sorted(p for p in m.ls() if p.startswith("dev/dialogues_"))
    for raw in m.texts(files):
        for d in json.loads(raw):
            tools = [
                tool(i["name"], i["description"], {k: k.replace("_", " ") for k in i["required_slots"]})
                for s in d["services"]
                for i in schema[s]["intents"]
            ]
            turns = d["turns"]
            for k in range(0, len(turns) - 1, 2):
                acts = {a["act"] for f in turns[k]["frames"] for a in f["actions"]}
                called = any("service_call" in f for f in turns[k + 1]["frames"])
                closing = bool(acts) and acts <= {"THANK_YOU", "GOODBYE"}
                label = "tool_calling" if called else "prose" if closing else None
                if label is None or rng.random() > 0.35:
                    continue
                msgs = [
                    {"role": "user" if t["speaker"] == "USER" else "assistant", "content": t["utterance"]}
                    for t in turns[: k + 1]
                ]
                pattern = (
                    "follow_up"
                    if k > 0 and label == "tool_calling"
                    else "tools_not_needed"
                    if label == "prose"
                    else None
                )
                yield item(label, chat(msgs, tools, rng=rng), pattern)


def _tooltalk_apis(m: Mirror) -> dict[str, list[dict[str, Any]]]:
    """Suite (the module's name: "alarm", "email", ...) -> its APIs as tools."""
    apis: dict[str, list[dict[str, Any]]] = {}
    for path in m.ls():
        if not path.startswith("src/tooltalk/apis/") or path.endswith(("api.py", "__init__.py", "utils.py")):
            continue
        for node in ast.parse(m.text(path)).body:
            if not isinstance(node, ast.ClassDef):
                continue
            attrs = {
                t.id: s.value
                for s in node.body
                if isinstance(s, ast.Assign)
                for t in s.targets
                if isinstance(t, ast.Name)
            }
            if "description" in attrs and "parameters" in attrs:
                params = ast.literal_eval(attrs["parameters"])
                spec = tool(
                    node.name,
                    ast.literal_eval(attrs["description"]),
                    {k: str(v.get("description", "")) for k, v in params.items()},
                )
                apis.setdefault(path.rsplit("/", 1)[1][:-3], []).append(spec)
    return apis


def tooltalk(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """microsoft/ToolTalk: every user turn, with the suites' APIs as tools; tool_calling when the assistant's
    reply makes an API call, prose when it is the closing thanks that needs none."""
    apis = _tooltalk_apis(m)
    for path in sorted(p for p in m.ls() if p.startswith("data/") and p.count("/") == 2 and "databases" not in p):
        conv = json.loads(m.text(path))
        tools = [t for s in conv.get("suites_used", []) for t in apis.get(s.lower(), [])]
        tools = tools or [t for s in sorted(apis)[:2] for t in apis[s]]
        turns = conv["conversation"]
        for k, t in enumerate(turns):
            if t["role"] != "user":
                continue
            called = k + 1 < len(turns) and bool(turns[k + 1].get("apis"))
            closing = k + 1 >= len(turns) or (k == len(turns) - 2 and not called)
            msgs = [{"role": x["role"], "content": x["text"]} for x in turns[: k + 1]]
            label = "tool_calling" if called else "prose" if closing and len(t["text"]) < 80 else None
            if label:
                pattern = "follow_up" if k and called else "tools_not_needed" if not called else None
                yield item(label, chat(msgs, tools, rng=rng), pattern)


TOOLQA_TOOLS = [
    tool("Calculate", "Evaluate a formula.", {"formula": "arithmetic expression"}),
    tool("RetrieveAgenda", "Retrieve passages from the agenda corpus.", {"keyword": "what to look for"}),
    tool("RetrieveScirex", "Retrieve passages from the SciREX corpus.", {"keyword": "what to look for"}),
    tool("LoadDB", "Load a database.", {"DBName": "flights, coffee, airbnb or yelp"}),
    tool("FilterDB", "Filter the loaded database.", {"condition": "column=value conditions"}),
    tool("GetValue", "Get the value of a column of the filtered rows.", {"column": "column name"}),
    tool("LoadGraph", "Load a graph.", {"GraphName": "dblp"}),
    tool("NeighbourCheck", "List a node's neighbours.", {"GraphName": "graph", "Node": "node"}),
    tool("NodeCheck", "Get a node's attributes.", {"GraphName": "graph", "Node": "node"}),
    tool("EdgeCheck", "Get the attributes of an edge.", {"GraphName": "graph", "Node1": "node", "Node2": "node"}),
    tool("SQLInterpreter", "Run a SQL query.", {"SQL": "query"}),
    tool("PythonInterpreter", "Run Python code.", {"Python": "code"}),
    tool("Finish", "Give the final answer.", {"answer": "answer"}),
]


def toolqa(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """night-chen/ToolQA: questions only its tools answer (flights, coffee prices, Yelp, Airbnb, DBLP, SciREX,
    an agenda); its 13 tools' names share few words with the questions."""
    for path in sorted(p for p in m.ls() if p.startswith("data/questions/") and "gsm8k" not in p):
        for line in m.text(path).splitlines():
            yield item(
                "tool_calling",
                chat([user(json.loads(line)["question"])], TOOLQA_TOOLS, rng=rng),
                "tool_name_no_overlap",
            )


def metatool(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """HowieHwong/MetaTool: a query and the plugin that serves it, offered with four other plugins."""
    desc: dict[str, str] = json.loads(m.text("dataset/big_tool_des.json"))
    names = sorted(desc)
    for row in list(csv.DictReader(io.StringIO(m.text("dataset/data/all_clean_data.csv")))):
        gold = row["Tool"]
        if gold not in desc:
            continue
        others = rng.sample([n for n in names if n != gold], 4)
        tools = [tool(n, desc[n][:300], {"query": "the request"}) for n in sorted([gold, *others])]
        yield item("tool_calling", chat([user(row["Query"])], tools, rng=rng), "tool_name_no_overlap")


def restgpt(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """Yifan-Song793/RestGPT: TMDB and Spotify asks with the endpoints they need among others of the API."""
    for api in ("tmdb", "spotify"):
        spec = json.loads(m.text(f"specs/{api}_oas.json"))
        ops: dict[str, dict[str, Any]] = {}
        for path, methods in spec["paths"].items():
            for verb, op in methods.items():
                if isinstance(op, dict) and "operationId" in op:
                    text = (op.get("summary", "") + ". " + op.get("description", ""))[:300]
                    ops[f"{verb.upper()} {path}"] = tool(re.sub(r"[^\w-]", "_", op["operationId"])[:64], text)
        for q in json.loads(m.text(f"datasets/{api}.json")):
            gold = [ops[s] for s in q["solution"] if s in ops]
            rest = rng.sample([v for k, v in sorted(ops.items()) if k not in q["solution"]], 6)
            yield item("tool_calling", chat([user(q["query"])], gold + rest, rng=rng))


def _tau_tools(m: Mirror, domain: str) -> list[dict[str, Any]]:
    tools = []
    for path in sorted(m.ls()):
        if path.startswith(f"tau_bench/envs/{domain}/tools/") and not path.endswith("__init__.py"):
            for node in ast.walk(ast.parse(m.text(path))):
                if isinstance(node, ast.FunctionDef) and node.name == "get_info":
                    ret = next(n for n in ast.walk(node) if isinstance(n, ast.Return))
                    if ret.value is not None:
                        tools.append(ast.literal_eval(ret.value))
    return tools


def taubench(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """sierra-research/tau-bench few-shot trajectories: a user turn the agent answers with a tool call, with the
    domain's policy (wiki.md) as system prompt, its tools, and the conversation so far (tool exchanges left out)."""
    for domain, env in (("retail", "MockRetailDomainEnv"), ("airline", "MockAirlineDomainEnv")):
        tools = _tau_tools(m, domain)
        system = m.text(f"tau_bench/envs/{domain}/wiki.md")[:1500]  # the classifier reads no more
        for line in m.text(f"few_shot_data/{env}-few_shot.jsonl").splitlines():
            lines = re.split(r"\n(?=(?:user|assistant|tool): )", json.loads(line)["messages_display"])
            msgs: list[dict[str, Any]] = []
            for k, raw in enumerate(lines):
                role, _, text = raw.partition(": ")
                if role == "user" and k + 1 < len(lines) and lines[k + 1] == "assistant: None" and rng.random() < 0.6:
                    yield item(
                        "tool_calling", chat([*msgs, user(text)], tools, system, rng=rng), "follow_up" if msgs else None
                    )
                if role in ("user", "assistant") and text != "None":
                    msgs.append({"role": role, "content": text})


def clinc(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """clinc/oos-eval: an in-scope ask with its domain's intents as tools is tool_calling; small talk ("tell me a
    joke", "are you a bot") with some domain's tools declared is prose (no tool needed). Out-of-scope asks are
    left out: many need a tool the declared set lacks, which the semantics leave open."""
    domains = dict(json.loads(m.text("data/domains.json")))
    domain_of = {i: d for d, v in domains.items() for i in v}
    data = json.loads(m.text("data/data_full.json"))
    served = [d for d in sorted(domains) if d not in ("small_talk", "meta")]
    for text, intent in data["test"]:
        d = domain_of.get(intent)
        if d in served:
            label, dom = "tool_calling", d
        elif d == "small_talk":
            label, dom = "prose", rng.choice(served)
        else:
            continue
        tools = [tool(i, i.replace("_", " "), {"query": "details"}) for i in domains[dom]]
        yield item(label, chat([user(text)], tools, rng=rng), None if label == "tool_calling" else "tools_not_needed")


# ---------------------------------------------------------------- vision


def image_ask(url: str, text: str, rng: random.Random) -> dict[str, Any]:
    parts = [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": text}]
    return chat([{"role": "user", "content": parts if rng.random() < 0.5 else parts[::-1]}], rng=rng)


def vqa(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """esteng/ambiguous_vqa: VQA v2 questions on COCO images (the image URL as annotated)."""
    for row in csv.DictReader(io.StringIO(m.text("ambiguity/csv_results_ambiguity.csv"))):
        url = json.loads(row["Input.imgUrl"])
        yield item("vision", image_ask(url, json.loads(row["Input.questionStr"]), rng))


def hallusion(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """tianyi-lab/HallusionBench: questions with their figure are vision; its no-figure controls are prose."""
    for q in json.loads(m.text("HallusionBench.json")):
        if q.get("filename"):
            url = "https://github.com/tianyi-lab/HallusionBench/raw/main/hallusion_bench/" + q["filename"][2:]
            yield item("vision", image_ask(url, q["question"], rng))
        else:
            yield item("prose", chat([user(q["question"])], rng=rng))


def nlvr2(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """lil-lab/nlvr NLVR2 (balanced dev): a statement about a pair of photos, asked as true or false."""
    for line in m.text("nlvr2/data/balanced/balanced_dev.json").splitlines():
        row = json.loads(line)
        parts = [
            {"type": "image_url", "image_url": {"url": row["left_url"]}},
            {"type": "image_url", "image_url": {"url": row["right_url"]}},
            {"type": "text", "text": f"True or false: {row['sentence']}"},
        ]
        yield item("vision", chat([{"role": "user", "content": parts}], rng=rng))
