"""No function in the gateway's code is longer than 60 lines (decorators, signature and docstring
included): a longer one holds parts that want names of their own."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("router", "backends", "policies")  # the dialects are router/dialects
LIMIT = 60

# "path::qualified name" -> why it may be longer. Only data tables belong here.
ALLOWED: dict[str, str] = {}


def function_lengths(source: str) -> list[tuple[str, int, int]]:
    """(qualified name, first line, length in lines) of every function and method in `source`,
    nested ones included; a function's lines run from its first decorator to its last line."""
    found: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                    found.append((name, first, (child.end_lineno or child.lineno) - first + 1))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(_parse(source), "")
    return found


def _parse(source: str) -> ast.Module:
    """ast.parse, once more on CPython 3.11's "AST constructor recursion depth mismatch": its AST
    conversion keeps one recursion counter per interpreter, and another thread converting at the same
    time (a model load left running by an earlier test imports modules that parse source) trips it
    (CPython gh-106905; seen once in CI)."""
    try:
        return ast.parse(source)
    except SystemError:
        return ast.parse(source)


def test_the_measure_counts_decorators_and_nested_functions() -> None:
    source = "@a\n@b\ndef f():\n    def g():\n        return 1\n\n    return g\n\nclass C:\n    def m(self): pass\n"
    assert function_lengths(source) == [("f", 1, 7), ("f.g", 4, 2), ("C.m", 10, 1)]


def test_no_function_is_longer_than_60_lines() -> None:
    too_long = []
    seen = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for name, line, length in function_lengths(path.read_text(encoding="utf-8")):
                key = f"{where}::{name}"
                seen.add(key)
                if length > LIMIT and key not in ALLOWED:
                    too_long.append(f"{where}:{line} {name}: {length} lines")
    assert not too_long, "functions over 60 lines:\n" + "\n".join(too_long)
    assert not set(ALLOWED) - seen, "allowed functions that no longer exist: remove them from ALLOWED"
