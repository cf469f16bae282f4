"""Recognise coding agents by user agent, system-prompt fingerprint and tool set."""

from __future__ import annotations

from collections.abc import Mapping

from backends.contract import Tool

# (substring of the lowercased user-agent or originator header, client name)
USER_AGENTS: tuple[tuple[str, str], ...] = (
    ("claude-cli", "claude-code"),
    ("claude-code", "claude-code"),
    ("codex", "codex"),
    ("aider", "aider"),
    ("opencode", "opencode"),
    ("continue", "continue"),
    ("cline", "cline"),
    ("roo-code", "roo-code"),
    ("kilo-code", "kilo-code"),
    ("cursor", "cursor"),
    ("zed/", "zed"),
    ("goose", "goose"),
    ("geminicli", "gemini-cli"),
    ("gemini-cli", "gemini-cli"),
    ("qwen-code", "qwen-code"),
    ("copilot", "copilot"),
    ("windsurf", "windsurf"),
)

# (substring of the lowercased system-prompt head, client name)
SYSTEM_FINGERPRINTS: tuple[tuple[str, str], ...] = (
    ("you are claude code", "claude-code"),
    ("claude agent sdk", "claude-code"),
    ("cc_version=", "claude-code"),
    ("codex cli", "codex"),
    ("you are codex", "codex"),
    ("act as an expert software developer", "aider"),
    ("you are opencode", "opencode"),
    ("agent in the continue cli", "continue"),
    ("you are continue", "continue"),
    ("you are cline", "cline"),
    ("you are roo", "roo-code"),
    ("you are kilo code", "kilo-code"),
    ("you are goose", "goose"),
    ("helps users with software engineering tasks", "coding-agent"),
    ("you are a coding agent", "coding-agent"),
    ("you are an expert software engineer", "coding-agent"),
    ("you are a powerful agentic ai coding assistant", "cursor"),
    ("you are cascade", "windsurf"),
    ("github copilot", "copilot"),
    ("you are an ai programming assistant", "copilot"),
    ("openhands", "openhands"),
    ("swe-agent", "swe-agent"),
    ("you are a highly skilled software engineer", "cline"),
    ("you are devin", "devin"),
    ("you are zed", "zed"),
    ("you are amp", "amp"),
    ("you are gemini cli", "gemini-cli"),
    ("interactive cli agent specializing in software engineering", "gemini-cli"),
    ("you are qwen code", "qwen-code"),
)

# Tool sets that give a coding agent away even without its system prompt.
TOOL_SETS: tuple[tuple[frozenset[str], int, str], ...] = (
    (
        frozenset({"Bash", "Read", "Edit", "Write", "Glob", "Grep", "NotebookEdit", "TodoWrite", "MultiEdit"}),
        3,
        "claude-code",
    ),
    (frozenset({"exec_command", "apply_patch", "write_stdin", "update_plan", "shell", "view_image"}), 2, "codex"),
    (
        frozenset({"bash", "edit", "glob", "grep", "read", "todowrite", "todoread", "write", "webfetch", "list"}),
        4,
        "opencode",
    ),
    (frozenset({"Read", "List", "Bash", "Fetch", "Checklist", "Search", "Write", "Edit"}), 4, "continue"),
)

# Generic names of the tools coding agents carry; three or more of them (one editing or running) is an agent.
CODING_TOOL_WORDS: frozenset[str] = frozenset(
    {
        "read_file",
        "write_file",
        "edit_file",
        "create_file",
        "delete_file",
        "list_files",
        "list_dir",
        "search_files",
        "grep_search",
        "file_search",
        "codebase_search",
        "run_command",
        "execute_command",
        "run_terminal_cmd",
        "run_terminal_command",
        "shell",
        "bash",
        "apply_diff",
        "apply_patch",
        "replace_in_file",
        "str_replace_editor",
        "insert_code",
        "run_tests",
        "git_diff",
        "git_commit",
        "write_to_file",
        "read_files",
        "glob",
        "grep",
        "edit",
        "view_file",
    }
)
_ACTING = frozenset(
    {
        "write_file",
        "edit_file",
        "create_file",
        "run_command",
        "execute_command",
        "run_terminal_cmd",
        "run_terminal_command",
        "shell",
        "bash",
        "apply_diff",
        "apply_patch",
        "replace_in_file",
        "str_replace_editor",
        "write_to_file",
        "edit",
    }
)


def from_headers(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    ua = (headers.get("user-agent", "") + " " + headers.get("originator", "")).lower()
    if headers.get("x-app") == "cli" and "claude" in ua:
        return "claude-code"
    for needle, name in USER_AGENTS:
        if needle in ua:
            return name
    return None


def from_system(system_head: str) -> str | None:
    if not system_head:
        return None
    low = system_head.lower()
    for needle, name in SYSTEM_FINGERPRINTS:
        if needle in low:
            return name
    return None


def from_tools(tools: list[Tool]) -> str | None:
    if len(tools) < 2:
        return None
    names = {t.name for t in tools}
    for known, need, name in TOOL_SETS:
        if len(names & known) >= need:
            return name
    lowered = {n.lower() for n in names}
    generic = lowered & CODING_TOOL_WORDS
    if len(generic) >= 3 and generic & _ACTING:
        return "coding-agent"
    return None


def recognise(headers: Mapping[str, str] | None, system_head: str, tools: list[Tool]) -> str | None:
    """The coding client's name, "coding-agent" for an unnamed one, or None."""
    return from_headers(headers) or from_system(system_head) or from_tools(tools)
