"""Self-generated training text for an MTP head: the target's own greedy answers to chat and code
requests built from text every machine has offline.

A head drafts the target's own continuations, so it learns best from them: on corpus text the token
the head reads next is the text's, not the one the target would have produced, and corpus text reads
unlike the answers a chat model gives. Requests come from Python's standard library (write, explain,
comment, test or refactor a function found there) and from short topics (stdlib module summaries,
the `Summary:` lines of installed packages, and a list of everyday subjects), each in a few phrasings.
Answers are generated in batches with transformers (left-padded) and saved in shards, so an
interrupted run resumes.
"""

from __future__ import annotations

import ast
import random
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..contract import CanonicalRequest, Message, TextPart
from .corpus import stdlib_files
from .prompts import build_prompt

CODE_TASKS = (
    "Explain what this Python function does:\n\n{src}",
    "Add comments to this code:\n\n{src}",
    "Write unit tests for this function:\n\n{src}",
    "Refactor this function to make it easier to read:\n\n{src}",
    "Is there a bug in this code? Explain.\n\n{src}",
    "Write a Python function `{name}{sig}` that {doc}",
    "Implement {doc} in Python.",
)
TOPIC_TASKS = (
    "What is {topic}?",
    "Explain {topic} in simple terms.",
    "Give three tips about {topic}.",
    "Write a short paragraph about {topic}.",
    "Why does {topic} matter? Keep it short.",
    "Describe {topic} to a beginner.",
)
EVERYDAY = (
    "sleep", "drinking water", "morning routines", "learning a language", "saving money", "cooking rice",
    "public speaking", "time management", "houseplants", "running", "stretching", "reading books",
    "writing emails", "job interviews", "team meetings", "recycling", "gardening", "travel packing",
    "budgeting", "stress", "friendship", "taking notes", "studying for exams", "healthy breakfast",
    "walking", "meditation", "coffee", "tea", "cycling", "weather forecasts", "photosynthesis",
    "the water cycle", "volcanoes", "the moon", "electricity", "the internet", "passwords", "backups",
    "version control", "databases", "unit tests", "code review", "debugging", "recursion", "sorting",
    "hash tables", "compilers", "operating systems", "networks", "encryption", "open source", "APIs",
    "spreadsheets", "maps", "music practice", "painting", "chess", "first aid", "fire safety", "history",
)


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n")[0].strip().rstrip(".")


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    signature: str
    doc: str  # the docstring's first line, lower-cased first letter
    source: str


def read_stdlib() -> tuple[list[Function], list[str]]:
    """One pass over the standard library: its public documented functions of a quotable size, and
    the first docstring line of its public modules."""
    functions: list[Function] = []
    summaries: list[str] = []
    for path in stdlib_files():
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
            continue
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            doc = _first_line(ast.get_docstring(node))
            src = ast.get_source_segment(source, node) or ""
            if doc and 80 <= len(src) <= 1200:
                signature = "(" + ", ".join(a.arg for a in node.args.args) + ")"
                functions.append(Function(node.name, signature, doc[0].lower() + doc[1:], src))
        if path.name != "__init__.py" and not path.stem.startswith("_"):
            line = _first_line(ast.get_docstring(tree))
            if 10 <= len(line) <= 80 and not line.startswith(("#", "-")):
                summaries.append(line[0].lower() + line[1:])
    return functions, summaries


def code_requests(rng: random.Random, functions: list[Function], limit: int) -> list[str]:
    out = [task.format(src=f.source, name=f.name, sig=f.signature, doc=f.doc)
           for f in functions for task in rng.sample(CODE_TASKS, 2)]
    rng.shuffle(out)
    return out[:limit]


def topics(module_summaries: list[str]) -> list[str]:
    found = [*EVERYDAY, *module_summaries]
    purelib = Path(sysconfig.get_paths()["purelib"])
    for meta in sorted(purelib.glob("*.dist-info/METADATA")):
        for row in meta.read_text(encoding="utf-8", errors="replace").splitlines()[:40]:
            if row.startswith("Summary: ") and 10 <= len(row) <= 100:
                found.append(row.removeprefix("Summary: ").strip().rstrip("."))
    return found


def chat_requests(rng: random.Random, topic_list: list[str], limit: int) -> list[str]:
    out = [task.format(topic=topic) for topic in topic_list for task in rng.sample(TOPIC_TASKS, 3)]
    rng.shuffle(out)
    return out[:limit]


def requests(count: int, seed: int = 0) -> list[str]:
    """`count` user requests, half code and half chat, interleaved."""
    rng = random.Random(seed)
    functions, summaries = read_stdlib()
    code = code_requests(rng, functions, count // 2)
    chat = chat_requests(rng, topics(summaries), count - count // 2)
    mixed = [x for pair in zip(code, chat, strict=False) for x in pair]
    return mixed + code[len(chat):] + chat[len(code):]


def prompt_ids(tokenizer: Any, text: str) -> list[int]:
    return build_prompt(tokenizer, CanonicalRequest(model="", messages=[Message("user", [TextPart(text)])])).ids


def generate_answers(loaded: Any, prompts: list[list[int]], stop_ids: frozenset[int], *, max_new: int,
                     batch: int) -> Iterator[list[list[int]]]:
    """Greedy answers, a batch at a time: each item is prompt + answer (+ the stop token, if any)."""
    pad = min(stop_ids)
    for s in range(0, len(prompts), batch):
        group = prompts[s : s + batch]
        width = max(len(p) for p in group)
        ids = torch.tensor([[pad] * (width - len(p)) + p for p in group])
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in group])
        with torch.inference_mode():
            out = loaded.hf.generate(ids, attention_mask=mask, max_new_tokens=max_new, do_sample=False,
                                     eos_token_id=sorted(stop_ids), pad_token_id=pad)
        done = []
        for p, row in zip(group, out[:, width:].tolist(), strict=True):
            answer: list[int] = []
            for tok in row:
                answer.append(tok)
                if tok in stop_ids:
                    break
            done.append(p + answer)
        yield done


def self_generated(loaded: Any, stop_ids: frozenset[int], workdir: Path, *, count: int, max_new: int,
                   max_prompt: int, seed: int, batch: int = 16, shard: int = 64) -> list[tuple[list[int], int]]:
    """(prompt + answer tokens, prompt length) for `count` requests, cached in shards under workdir."""
    from tqdm.auto import tqdm

    texts = requests(count, seed)
    prompts = [ids for ids in (prompt_ids(loaded.tokenizer, t) for t in texts) if len(ids) <= max_prompt]
    sequences: list[tuple[list[int], int]] = []
    bar = tqdm(total=len(prompts), desc="generate answers", unit="answer")
    for s in range(0, len(prompts), shard):
        path = workdir / f"answers-{s // shard:05d}.pt"
        group = sorted(prompts[s : s + shard], key=len)  # similar lengths share a batch: less padding
        if not path.exists():
            items = [seq for part in generate_answers(loaded, group, stop_ids, max_new=max_new, batch=batch)
                     for seq in part]
            torch.save(items, path.with_suffix(".tmp"))
            path.with_suffix(".tmp").rename(path)
        part = torch.load(path)
        sequences.extend((seq, len(p)) for seq, p in zip(part, group, strict=True))
        bar.update(len(part))
    bar.close()
    return sequences
