"""The compatibility table writer (tests/e2e/compat.py), without running any tool."""

from __future__ import annotations

from pathlib import Path

from .compat import END, START, make_rows, parse_table, update_doc


def test_rows_merge_by_tool_version_dialect_and_backend(tmp_path: Path) -> None:
    doc = tmp_path / "clients.md"
    doc.write_text("# Coding tools\n\nintro\n")
    update_doc(doc, make_rows("claude", "2.1.197", {"anthropic"}, "openai", passed=False))
    update_doc(doc, make_rows("codex", "0.171.0", {"responses"}, "openai", passed=True))
    update_doc(doc, make_rows("claude", "2.1.197", {"anthropic"}, "openai", passed=True))  # a later run
    text = doc.read_text()
    assert text.startswith("# Coding tools\n\nintro\n") and text.count(START) == 1 and text.count(END) == 1
    rows = parse_table(text)
    assert [(r.tool, r.version, r.dialect, r.backend, r.result) for r in rows] == [
        ("Claude Code", "2.1.197", "Anthropic Messages", "openai", "pass"),
        ("Codex CLI", "0.171.0", "OpenAI Responses", "openai", "pass"),
    ]
    update_doc(doc, make_rows("aider", "0.86.2", {"openai"}, "local", passed=True))
    assert len(parse_table(doc.read_text())) == 3  # other tools' rows stay
