"""Self-generated training text for an MTP head: the target's own greedy answers to chat and code
requests built from text every machine has offline.

A head drafts the target's own continuations, so it learns best from them: on corpus text the token
the head reads next is the text's, not the one the target would have produced, and corpus text reads
unlike the answers a chat model gives. Requests come from Python's standard library (explain, comment,
test, type, document, speed up or refactor a function, class or method found there; write it from
its docstring, in Python or now and then in another language) and from topics (a list of everyday
subjects, stdlib module summaries, the `Summary:` lines of installed packages), each in several of
twenty phrasings (questions, tips, pros and cons, a message, an email, a story...). Answers are
generated in batches with transformers (left-padded) and saved in shards, so an interrupted run
resumes.
"""

from __future__ import annotations

import ast
import hashlib
import random
import re
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
    "Add type hints to this function:\n\n{src}",
    "Write a docstring for this function:\n\n{src}",
    "Can this function be made faster? Show how.\n\n{src}",
    "Write a Python function `{name}{sig}` that {doc}",
    "Implement {doc} in Python.",
    "How do I {doc} in Python? Show a short example.",
    "Write a {lang} function that does this: {doc}.",
)
LANGUAGES = ("JavaScript", "TypeScript", "Go", "Rust", "Java", "C", "C++", "C#", "Ruby", "Bash")
CLASS_TASKS = (
    "Write a Python class `{name}`: {doc}.",
    "Explain this Python class:\n\n{src}",
    "Write unit tests for this class:\n\n{src}",
    "Write a Python class with a few methods for this: {doc}.",
)
TOPIC_TASKS = (
    "What is {topic}?",
    "Explain {topic} in simple terms.",
    "Give three tips about {topic}.",
    "Write a short paragraph about {topic}.",
    "Why does {topic} matter? Keep it short.",
    "Describe {topic} to a beginner.",
    "Write a short message to a friend about {topic}.",
    "Write a short email to my team about {topic}.",
    "What are the pros and cons of {topic}?",
    "Tell me a short story about {topic}.",
    "List five facts about {topic}.",
    "How do I get started with {topic}?",
    "What are common mistakes with {topic}?",
    "Answer briefly: what should everyone know about {topic}?",
    "I want to learn about {topic}. Where should I start?",
    "Write a friendly note asking a neighbour for advice on {topic}.",
    "Give me a simple example that explains {topic}.",
    "What questions should I ask an expert about {topic}?",
    "Summarize the main ideas of {topic} in a few sentences.",
    "Why do people find {topic} hard, and how can they make it easier?",
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
    "birthdays", "moving house", "renting an apartment", "buying a used car", "dogs", "cats", "fishing",
    "camping", "hiking boots", "swimming", "yoga", "strength training", "vegetables", "baking bread",
    "making soup", "grocery shopping", "meal planning", "washing clothes", "cleaning the kitchen",
    "bike repair", "car maintenance", "public transport", "airports", "hotels", "learning to drive",
    "volunteering", "neighbours", "elections", "taxes", "insurance", "credit cards", "interest rates",
    "inflation", "small businesses", "customer service", "negotiation", "feedback at work", "remote work",
    "online meetings", "presentations", "resumes", "career changes", "mentoring", "leadership",
    "motivation", "habits", "procrastination", "focus", "boredom", "happiness", "kindness", "apologies",
    "gratitude", "parenting", "homework", "school lunches", "libraries", "museums", "board games",
    "video games", "movies", "podcasts", "photography", "drawing", "poetry", "writing a diary", "guitar",
    "piano", "singing", "dancing", "football", "basketball", "tennis", "the Olympics", "marathons",
    "rain", "snow", "thunderstorms", "rainbows", "the seasons", "climate change", "solar power",
    "wind turbines", "electric cars", "batteries", "recycling plastic", "oceans", "rivers", "forests",
    "deserts", "mountains", "earthquakes", "the stars", "planets", "the sun", "gravity", "magnets",
    "light", "sound", "atoms", "cells", "DNA", "vaccines", "the heart", "the brain", "vitamins", "colds",
    "allergies", "dentists", "eyesight", "bees", "birds", "dinosaurs", "evolution", "the Roman Empire",
    "ancient Egypt", "the printing press", "the telephone", "trains", "bridges", "skyscrapers",
    "smartphones", "laptops", "keyboards", "email spam", "social media", "online privacy", "cookies on websites",
    "cloud storage", "spreadsheet formulas", "search engines", "artificial intelligence", "robots",
    "3D printing", "text editors", "the command line", "regular expressions", "JSON", "web browsers",
    "HTTP", "caching", "logging", "error handling", "code comments", "naming variables", "documentation",
    "pair programming", "agile teams", "deadlines", "estimates", "technical debt", "refactoring",
    "breakfast cereals", "sandwiches", "pizza", "pasta", "spices", "fruit", "chocolate", "cheese", "eggs",
    "rice dishes", "street food", "restaurants", "tipping", "picnics", "barbecues", "wedding planning",
    "gift ideas", "holidays abroad", "road trips", "train travel", "jet lag", "learning to swim",
    "learning to cook", "knitting", "woodworking", "pottery", "origami", "bird watching", "astronomy",
    "telescopes", "stargazing", "beaches", "lakes", "islands", "waterfalls", "caves", "glaciers",
    "hurricanes", "tornadoes", "floods", "droughts", "air pollution", "clean water", "composting",
    "saving energy at home", "insulating a house", "heating", "air conditioning", "plumbing", "painting a room",
    "hanging shelves", "houseplant care", "lawn care", "growing tomatoes", "herbs", "flowers", "trees",
    "mushrooms", "insects", "spiders", "frogs", "whales", "sharks", "elephants", "horses", "wolves",
    "penguins", "owls", "pets and children", "adopting a dog", "training a puppy", "cat behaviour",
    "aquariums", "zoos", "national parks", "city life", "village life", "commuting", "traffic", "parking",
    "road safety", "helmets", "sunscreen", "hand washing", "posture", "back pain", "headaches",
    "screen time", "eye strain", "naps", "dreams", "memory", "learning styles", "reading to children",
    "teenagers", "grandparents", "house rules", "chores", "pocket money", "saving for college",
    "student loans", "retirement savings", "pensions", "investing basics", "stocks", "bonds", "rent vs buying",
    "mortgages", "banking apps", "online shopping", "returns and refunds", "scams", "phishing emails",
    "strong passwords", "two-factor login", "software updates", "printer problems", "slow computers",
    "Wi-Fi at home", "phone batteries", "smart watches", "headphones", "cameras", "video calls",
    "writing a speech", "writing a cover letter", "asking for a raise", "first day at a new job",
    "working with a difficult colleague", "running a meeting", "saying no politely", "making friends as an adult",
    "long-distance friendships", "dealing with loneliness", "handling criticism", "confidence", "patience",
    "curiosity", "creativity", "teamwork", "honesty", "respect", "good manners", "table manners",
    "moving to a new city",
    "learning history", "world geography", "languages of the world", "sign language", "libraries at night",
    "the ancient Greeks", "the Vikings", "castles", "pyramids", "the Silk Road", "explorers", "inventions",
    "the steam engine", "airplanes", "rockets", "space stations", "Mars", "comets", "eclipses", "tides",
    "seasons on Earth", "time zones", "calendars", "clocks", "numbers", "fractions", "percentages",
    "probability", "statistics in the news", "charts and graphs", "measuring things", "the metric system",
)


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n")[0].strip().rstrip(".")


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    signature: str  # "" for a class
    doc: str  # the docstring's first line, lower-cased first letter
    source: str

    @property
    def is_class(self) -> bool:
        return not self.signature


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def source_lines(source: str) -> list[str]:
    """The source's lines with their ends, split where the parser splits them (\\n, \\r, \\r\\n; not
    at a form feed), as `ast.get_source_segment` does."""
    return _LINE.findall(source)


def source_segment(lines: list[str], node: ast.stmt) -> str:
    """What `ast.get_source_segment(source, node)` gives, from the source split once into `lines`
    (the standard function splits the whole file again on every call, character by character)."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    start, end = node.col_offset, node.end_col_offset
    if first == last:
        return lines[first].encode()[start:end].decode()
    head = lines[first].encode()[start:].decode()
    tail = lines[last].encode()[:end].decode()
    return head + "".join(lines[first + 1 : last]) + tail


def _documented(node: ast.FunctionDef | ast.ClassDef, lines: list[str]) -> Function | None:
    """A public definition with a docstring and a quotable size, else None."""
    doc = _first_line(ast.get_docstring(node))
    src = source_segment(lines, node)
    if node.name.startswith("_") or len(doc.split()) < 3 or "deprecated" in doc.lower() or not 80 <= len(src) <= 1200:
        return None
    signature = ""
    if isinstance(node, ast.FunctionDef):
        signature = "(" + ", ".join(a.arg for a in node.args.args if a.arg not in ("self", "cls")) + ")"
    return Function(node.name, signature, doc[0].lower() + doc[1:], src)


def parse(source: str) -> ast.Module:
    """ast.parse, again after a spurious SystemError: CPython 3.11 keeps the AST constructor's recursion
    depth per interpreter, so a parse that races one in another thread (3.11's tracebacks parse source
    to place their carets) can fail with "AST constructor recursion depth mismatch" (python/cpython#106905)."""
    for _ in range(2):
        try:
            return ast.parse(source)
        except SystemError:
            continue
    return ast.parse(source)


def read_stdlib() -> tuple[list[Function], list[str]]:
    """One pass over the standard library: its public documented functions, classes and methods of
    a quotable size, and the first docstring line of its public modules."""
    functions: list[Function] = []
    summaries: list[str] = []
    for path in stdlib_files():
        try:
            source = path.read_text(encoding="utf-8")
            tree = parse(source)
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
            continue
        lines = source_lines(source)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                methods: list[ast.FunctionDef | ast.ClassDef] = [n for n in node.body if isinstance(n, ast.FunctionDef)]
                found = [_documented(n, lines) for n in [node, *methods]]
                functions.extend(f for f in found if f is not None)
            elif isinstance(node, ast.FunctionDef) and (f := _documented(node, lines)) is not None:
                functions.append(f)
        if path.name != "__init__.py" and not path.stem.startswith("_"):
            line = _first_line(ast.get_docstring(tree))
            if 10 <= len(line) <= 80 and not line.startswith(("#", "-")):
                summaries.append(line[0].lower() + line[1:])
    return functions, summaries


def code_requests(rng: random.Random, functions: list[Function], limit: int) -> list[str]:
    """Three tasks per function (in Python, or now and then in another language), two per class."""
    out: list[str] = []
    for f in functions:
        tasks = rng.sample(CLASS_TASKS, 2) if f.is_class else rng.sample(CODE_TASKS, 3)
        out.extend(t.format(src=f.source, name=f.name, sig=f.signature, doc=f.doc, lang=rng.choice(LANGUAGES))
                   for t in tasks)
    rng.shuffle(out)
    return out[:limit]


def topics(module_summaries: list[str]) -> list[str]:
    """Subjects to ask about: stdlib module summaries and installed packages' `Summary:` lines
    (everyday subjects are added by chat_requests)."""
    found = list(module_summaries)
    purelib = Path(sysconfig.get_paths()["purelib"])
    for meta in sorted(purelib.glob("*.dist-info/METADATA")):
        for row in meta.read_text(encoding="utf-8", errors="replace").splitlines()[:40]:
            if row.startswith("Summary: ") and 10 <= len(row) <= 100:
                found.append(row.removeprefix("Summary: ").strip().rstrip("."))
    return found


def chat_requests(rng: random.Random, topic_list: list[str], limit: int) -> list[str]:
    """Eight phrasings per everyday subject, three per technical topic (a chat model's users ask
    about the former far more)."""
    out = [task.format(topic=topic) for topic in EVERYDAY for task in rng.sample(TOPIC_TASKS, 8)]
    out += [task.format(topic=topic) for topic in topic_list for task in rng.sample(TOPIC_TASKS, 3)]
    rng.shuffle(out)
    return out[:limit]


def requests(count: int, seed: int = 0, chat_share: float = 0.5) -> list[str]:
    """`count` user requests, this share of them chat and the rest code (as far as each goes),
    interleaved."""
    rng = random.Random(seed)
    functions, summaries = read_stdlib()
    code = code_requests(rng, functions, count)
    chat = chat_requests(rng, topics(summaries), count)
    n_code = min(max(count - round(count * chat_share), count - len(chat)), len(code))
    code, chat = code[:n_code], chat[: count - n_code]
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
        ids = torch.tensor([[pad] * (width - len(p)) + p for p in group], device=loaded.hf.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in group], device=loaded.hf.device)
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


def content_key(*parts: Any) -> str:
    """A name for what a cached file was made from: a rerun with other data, model or settings in the
    same workdir writes new files instead of reading stale ones."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def self_generated(loaded: Any, stop_ids: frozenset[int], workdir: Path, *, count: int, max_new: int,
                   max_prompt: int, seed: int, batch: int = 16, chat_share: float = 0.5) -> list[tuple[list[int], int]]:
    """(prompt + answer tokens, prompt length) for `count` requests, cached in shards of four batches
    under workdir, each named by its model, prompts and answer length (`content_key`)."""
    from tqdm.auto import tqdm

    texts = requests(count, seed, chat_share)
    prompts = [ids for ids in (prompt_ids(loaded.tokenizer, t) for t in texts) if len(ids) <= max_prompt]
    sequences: list[tuple[list[int], int]] = []
    bar = tqdm(total=len(prompts), desc="generate answers", unit="answer")
    shard = 4 * batch
    for s in range(0, len(prompts), shard):
        group = sorted(prompts[s : s + shard], key=len)  # similar lengths share a batch: less padding
        path = workdir / f"answers-{content_key(loaded.label, group, max_new)}.pt"
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
