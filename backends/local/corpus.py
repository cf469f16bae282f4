"""Training text that every machine has offline: Python's standard library source (code) and the
package descriptions installed in site-packages (prose, mostly Markdown), read in a fixed order."""

from __future__ import annotations

import random
import sysconfig
from collections.abc import Iterator
from pathlib import Path


def stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = ("test", "idlelib", "lib2to3", "site-packages", "__pycache__", "tkinter", "turtledemo")
    return sorted(p for p in root.rglob("*.py") if not any(part in skip for part in p.relative_to(root).parts))


def docs_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["purelib"])
    found = sorted(root.glob("*.dist-info/METADATA")) + sorted(root.rglob("*.md"))
    return [p for p in found if p.stat().st_size > 2000]


def read_texts(paths: list[Path], *, min_chars: int = 400, max_chars: int = 6000) -> Iterator[str]:
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if path.name == "METADATA":  # keep the long description after the header block
            text = text.split("\n\n", 1)[-1]
        text = text.strip()
        if len(text) >= min_chars:
            yield text[:max_chars]


def default_corpus(seed: int = 0) -> list[tuple[str, str]]:
    """(kind, text) pairs, code and prose interleaved, shuffled deterministically."""
    rng = random.Random(seed)
    code = [("code", t) for t in read_texts(stdlib_files())]
    prose = [("prose", t) for t in read_texts(docs_files())]
    rng.shuffle(code)
    rng.shuffle(prose)
    mixed: list[tuple[str, str]] = []
    for i in range(max(len(code), len(prose))):
        mixed.extend(x[i] for x in (code, prose) if i < len(x))
    return mixed


def files_corpus(paths: list[Path]) -> list[tuple[str, str]]:
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])
    return [("code" if f.suffix == ".py" else "prose", t) for f in files for t in read_texts([f])]
