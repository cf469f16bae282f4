"""A Claude Code session to replay, for token-count tests and the benchmark.

Turns 1 and 2 are the recorded ones (tests/fixtures/clients/claude_code_tool_roundtrip.full.jsonl:
24 tools, a 26 KB system prompt, about 118 KB a request). Later turns keep that shape: the assistant
calls one of Claude Code's tools (Read, Bash, Grep, Edit in turn) on one of this repository's own
modules and the user message carries the result as that tool returns it (a Read is the file with
numbered lines, up to 8,000 characters). Each turn resends everything before it, as Claude Code does.
`workdir` and `ask` make another session of the same client: its system prompt differs in the
working-directory line, its first question in the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from backends.contract import CanonicalRequest
from router.dialects import get_dialect

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "fixtures" / "clients" / "claude_code_tool_roundtrip.full.jsonl"
RECORDED_WORKDIR, RECORDED_ASK = "/home/user/cc-work", "run echo hi"
READ_LIMIT = 8000  # characters of a file a turn reads


def recorded_turns() -> list[dict[str, Any]]:
    """The bodies of the recorded session's POST /v1/messages requests."""
    records = [orjson.loads(line) for line in RECORDED.read_text().splitlines() if line.strip()]
    return [r["json"] for r in records if r["method"] == "POST" and r["path"].startswith("/v1/messages")]


def numbered(lines: list[str], first: int = 1) -> str:
    return "\n".join(f"{i:6d}\t{line}" for i, line in enumerate(lines, first))


def tool_work(k: int, path: Path, workdir: str) -> tuple[str, dict[str, Any], str]:
    """Turn k's tool call (name, input) and its result, in the shape Claude Code's tools answer; the
    kinds take turns: Read (the file, numbered), Bash (a listing), Grep (matching lines), Edit (a
    confirmation with a snippet)."""
    rel, lines = path.relative_to(ROOT), path.read_text()[:READ_LIMIT].splitlines()
    kind = k % 4
    if kind == 0:
        return "Read", {"file_path": f"{workdir}/{rel}"}, numbered(lines)
    if kind == 1:
        listing = "\n".join(sorted(p.name for p in path.parent.iterdir()))
        return "Bash", {"command": f"ls {rel.parent}", "description": "List the package"}, listing
    if kind == 2:
        hits = [f"{rel}:{i}:{line}" for i, line in enumerate(lines, 1) if "def " in line][:40]
        return "Grep", {"pattern": "def ", "path": str(rel), "output_mode": "content"}, "\n".join(hits)
    old = next((line for line in lines if line.strip()), "")
    edit = {"file_path": f"{workdir}/{rel}", "old_string": old, "new_string": old + "  # reviewed"}
    snippet = numbered(lines[:10])
    return "Edit", edit, f"The file {workdir}/{rel} has been updated. Here's a snippet of the edited file:\n{snippet}"


def tool_turn(k: int, path: Path, workdir: str) -> list[dict[str, Any]]:
    """The assistant calls a tool; the user message carries its result."""
    tool_id = f"toolu_replay{k:04d}"
    name, args, result = tool_work(k, path, workdir)
    call = {"type": "tool_use", "id": tool_id, "name": name, "input": args}
    return [
        {"role": "assistant", "content": [{"type": "text", "text": f"Next: {name} on {path.name}."}, call]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": result}]},
    ]


def session_bodies(turns: int, *, workdir: str = RECORDED_WORKDIR, ask: str = RECORDED_ASK) -> list[dict[str, Any]]:
    first, second = recorded_turns()
    files = sorted(ROOT.glob("backends/*.py")) + sorted(ROOT.glob("backends/local/*.py"))
    bodies = [first, second]
    messages = list(second["messages"])
    for k in range(turns - 2):
        messages = [*messages, *tool_turn(k, files[k % len(files)], workdir)]
        bodies.append({**second, "messages": messages})
    if (workdir, ask) == (RECORDED_WORKDIR, RECORDED_ASK):
        return bodies[:turns]
    raw = orjson.dumps(bodies[:turns]).replace(RECORDED_WORKDIR.encode(), workdir.encode())
    return list(orjson.loads(raw.replace(RECORDED_ASK.encode(), ask.encode())))


def session(turns: int = 20, **kw: str) -> list[CanonicalRequest]:
    """The session's requests as the gateway parses them (the Anthropic dialect)."""
    dialect = get_dialect("anthropic")
    return [dialect.parse_request(body) for body in session_bodies(turns, **kw)]


def other_session(turns: int = 20) -> list[CanonicalRequest]:
    """Another session of the same client, in another project."""
    return session(turns, workdir="/home/user/payments-service", ask="why does the nightly export fail?")
