"""The self-generated requests' source quotes: split once per file, the same text the standard
library's `ast.get_source_segment` gives."""

from __future__ import annotations

import ast

import pytest

SOURCE = (
    "def one(x): return x  # one line\n"
    "class Café:\r\n"
    '    """Accents and a form feed\x0c inside a line."""\r\n'
    "    def m(self, y):\r"
    "        return 'é' * y\n"
    "\n"
    "def last(a,\n"
    "         b): return a + b"  # no newline at the end
)


def test_source_segment_is_what_ast_gives() -> None:
    pytest.importorskip("torch")
    from backends.local.selfgen import source_lines, source_segment

    lines = source_lines(SOURCE)
    assert "".join(lines) == SOURCE and len(lines) == 8  # \r\n, \r and \n end a line; a form feed does not
    nodes = [n for n in ast.walk(ast.parse(SOURCE)) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert [n.name for n in nodes] == ["one", "Café", "last", "m"]
    for node in nodes:
        assert source_segment(lines, node) == ast.get_source_segment(SOURCE, node)
