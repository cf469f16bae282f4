"""Readers for the public datasets behind tests/data/real/: each turns one fetched repository into labelled
requests (see tests/data/real/README.md for URLs, licences and the rule that maps each source's labels to
ours). Used by scripts/build_classify_data.py; reads git mirrors (`git show HEAD:path`), never the network.
"""

from __future__ import annotations

import csv
import html
import io
import json
import pickle
import random
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Item = dict[str, Any]  # {"label", "request", optional "pattern"}


class Mirror:
    def __init__(self, root: Path, repo: str) -> None:
        self.git = root / repo.replace("/", "+") / "repo"

    def show(self, path: str, rev: str = "HEAD") -> bytes:
        return subprocess.run(
            ["git", "--git-dir", str(self.git), "show", f"{rev}:{path}"], check=True, capture_output=True
        ).stdout

    def text(self, path: str, rev: str = "HEAD") -> str:
        return self.show(path, rev).decode("utf-8")

    def texts(self, paths: list[str]) -> Iterator[str]:
        """The files' texts, skipping any the snapshot lacks (mirrors may leave out the largest files)."""
        for p in paths:
            try:
                yield self.text(p)
            except subprocess.CalledProcessError:
                continue

    def ls(self) -> list[str]:
        out = subprocess.run(
            ["git", "--git-dir", str(self.git), "ls-tree", "-r", "--name-only", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.splitlines()


def tool(name: str, description: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    props = {k: {"type": "string", "description": v} for k, v in (params or {}).items()}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": {"type": "object", "properties": props}},
    }


def chat(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    system: str | None = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """An OpenAI chat body, or (a quarter of the time, when rng is given) the same as Anthropic messages."""
    if rng is not None and rng.random() < 0.25:
        return anthropic(messages, tools, system)
    msgs = ([{"role": "system", "content": system}] if system else []) + messages
    body: dict[str, Any] = {"model": "gpt-4o-mini", "messages": msgs}
    if tools:
        body["tools"] = tools
    return body


def anthropic(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, system: str | None) -> dict[str, Any]:
    def block(p: dict[str, Any]) -> dict[str, Any]:
        if p.get("type") == "image_url":
            return {"type": "image", "source": {"type": "url", "url": p["image_url"]["url"]}}
        return p

    msgs = [
        {
            "role": m["role"],
            "content": m["content"] if isinstance(m["content"], str) else [block(p) for p in m["content"]],
        }
        for m in messages
    ]
    body: dict[str, Any] = {"dialect": "anthropic", "model": "claude-haiku-4-5", "max_tokens": 1024, "messages": msgs}
    if system:
        body["system"] = system
    if tools:
        body["tools"] = [
            {
                "name": t["function"]["name"],
                "description": t["function"]["description"],
                "input_schema": t["function"]["parameters"],
            }
            for t in tools
        ]
    return body


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def item(label: str, request: dict[str, Any], pattern: str | None = None) -> Item:
    out: Item = {"label": label, "request": request}
    if pattern:
        out["pattern"] = pattern
    return out


# ---------------------------------------------------------------- coding


def exercism(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """exercism/problem-specifications: every exercise's description.md, as a user would paste it."""
    for path in sorted(p for p in m.ls() if p.endswith("/description.md") and p.startswith("exercises/")):
        text = m.text(path).strip()
        if len(text) > 80:
            yield item("coding", chat([user(text)], rng=rng), "exercise_statement")


_DESC = re.compile(r"<!-- description:start -->(.*?)<!-- description:end -->", re.S)
_TAG = re.compile(r"<[^>]+>")


def leetcode(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """doocs/leetcode: problem statements (HTML stripped) in English and Chinese."""
    paths = sorted(p for p in m.ls() if p.startswith("solution/") and p.endswith(("/README_EN.md", "/README.md")))
    for path in rng.sample(paths, 400):
        found = _DESC.search(m.text(path))
        if not found:
            continue
        text = html.unescape(_TAG.sub("", found.group(1)))
        text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
        yield item("coding", chat([user(text[:3000])], rng=rng), "exercise_statement")


def odex(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """zorazrw/multilingual-conala (ODEX): Stack Overflow intents in Spanish, Japanese and Russian."""
    for lang in ("es", "ja", "ru"):
        for row in json.loads(m.text(f"dataset/test/{lang}_test.json")):
            if row.get("intent"):
                yield item("coding", chat([user(row["intent"])], rng=rng))


def codesearchnet(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """github/CodeSearchNet: the 99 real search queries (resources/queries.csv)."""
    for row in list(csv.reader(io.StringIO(m.text("resources/queries.csv"))))[1:]:
        if row and row[0].strip():
            yield item("coding", chat([user(row[0].strip())], rng=rng), "no_code_words")


def staqc(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """LittleYUYU/StackOverflow-Question-Code-Dataset (StaQC): titles of SQL "how to" questions."""
    path = (
        "annotation_tool/data/code_solution_labeled_data/source/"
        "sql_how_to_do_it_by_classifier_multiple_qid_to_title.pickle"
    )
    titles = pickle.loads(m.show(path), encoding="latin1")
    for qid in sorted(titles):
        yield item("coding", chat([user(str(titles[qid]))], rng=rng))


# ---------------------------------------------------------------- prose


def gsm8k(m: Mirror, rng: random.Random) -> Iterator[Item]:
    for line in m.text("grade_school_math/data/test.jsonl").splitlines():
        yield item("prose", chat([user(json.loads(line)["question"])], rng=rng))


# OASST prompts that ask for code or are about programming, judged by hand (indices into the files read in
# order: prompt_lottery_en_250_text, en_100_text); the rest are prose, and these are left out as unclear:
OASST_CODING = {
    29,
    35,
    75,
    85,
    100,
    101,
    119,
    124,
    144,
    146,
    149,
    151,
    155,
    157,
    159,
    193,
    213,
    222,
    223,
    224,
    228,
    239,
    241,
    247,
    250,
    271,
    283,
    284,
    313,
    315,
    316,
    321,
    327,
    328,
    330,
    335,
    341,
    346,
    352,
    353,
}
OASST_UNCLEAR = {33, 61, 65, 104, 163, 182, 185, 207, 209, 212, 235, 242, 259, 267, 314, 319}


def oasst(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """Open-Assistant/oasst-model-eval: the prompt lottery and the en_100 and multilingual-60 prompt sets."""
    seen: set[str] = set()
    i = 0
    for path in ("prompt_lottery_en_250_text.jsonl", "en_100_text.jsonl", "multilingual-60.jsonl"):
        for line in m.text("model_eval/manual/data/" + path).splitlines():
            text = json.loads(line)
            n, i = i, i + 1
            if not isinstance(text, str) or n in OASST_UNCLEAR or text in seen:
                continue
            seen.add(text)
            label = "coding" if n in OASST_CODING else "prose"
            tech = label == "prose" and re.search(
                r"\b(ai|gpu|software|computer|programm\w*|crypto\w*|blockchain|"
                r"developer|app|language model|llm)\b",
                text,
                re.I,
            )
            yield item(label, chat([user(text)], rng=rng), "everyday_technical" if tech else None)


def nq(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """google-research-datasets/natural-questions, NQ-open dev: real Google search questions."""
    for line in m.text("nq_open/NQ-open.dev.jsonl").splitlines():
        q = json.loads(line)["question"]
        yield item("prose", chat([user(q[:1].upper() + q[1:] + "?")], rng=rng))


XQUAD_LANGS = ("es", "ru", "zh", "de", "tr", "vi", "ar", "hi", "el", "th", "ro")


def xquad(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """google-deepmind/xquad: SQuAD questions by professional translators in 11 languages, half of them asked
    with their paragraph (as one asks about a pasted text), half alone."""
    for lang in XQUAD_LANGS:
        data = json.loads(m.text(f"xquad.{lang}.json"))["data"]
        paras = [p for article in data for p in article["paragraphs"]]
        for p in rng.sample(paras, 25):
            q = rng.choice(p["qas"])["question"]
            text = q if rng.random() < 0.5 else p["context"][:1500] + "\n\n" + q
            yield item("prose", chat([user(text)], rng=rng))


SEED_CODING = {28, 31, 37, 41, 50, 61, 69, 72, 138, 139, 140, 141, 158}  # judged by hand; 22 left out as unclear
SEED_UNCLEAR = {22}


def seed_tasks(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """yizhongw/self-instruct's 175 human-written seed tasks (not its user-oriented evaluation set): the
    instruction with its first instance's input. Coding = asks for or about code, judged by hand."""
    for i, line in enumerate(m.text("data/seed_tasks.jsonl").splitlines()):
        if i in SEED_UNCLEAR:
            continue
        task = json.loads(line)
        given = task["instances"][0]["input"].strip()
        text = task["instruction"] + ("\n\n" + given if given else "")
        yield item("coding" if i in SEED_CODING else "prose", chat([user(text)], rng=rng))


def t0(m: Mirror, rng: random.Random) -> Iterator[Item]:
    """yizhongw/self-instruct's T0 (P3) sample: prompted reading-comprehension and QA tasks, a few per template."""
    files = sorted(p for p in m.ls() if p.startswith("data/finetuning/t0_train_50k/data_per_template/"))
    for path in rng.sample(files, min(60, len(files))):
        lines = m.text(path).splitlines()
        for line in rng.sample(lines, min(3, len(lines))):
            yield item("prose", chat([user(json.loads(line)["prompt"][:3000])], rng=rng))
