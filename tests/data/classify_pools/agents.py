# ruff: noqa: E501  (a table of asks: long lines, other scripts' punctuation)
"""Coding agents as they appear on the wire: abridged system prompts and tool sets of Claude Code,
Codex CLI, Aider, opencode, Continue and Cline (abridged from the recorded fixtures), plus asks."""

from __future__ import annotations

from typing import Any

from .tools import fn

CLAUDE_SYSTEM = (
    "x-anthropic-billing-header: cc_version=2.1.197.9eb; cc_entrypoint=sdk-cli;\n"
    "You are a Claude agent, built on Anthropic's Claude Agent SDK.\n"
    "You are an interactive agent that helps users with software engineering tasks. Use the instructions "
    "below and the tools available to you to assist the user.\nIMPORTANT: Assist with authorized security "
    "testing, defensive security, CTF challenges, and educational contexts."
)
CODEX_SYSTEM = (
    "You are a coding agent running in the Codex CLI, a terminal-based coding assistant. Codex CLI is an open "
    "source project led by OpenAI. You are expected to be precise, safe, and helpful.\n\nYour capabilities:\n"
    "- Receive user prompts and other context provided by the harness, such as files in the workspace."
)
AIDER_SYSTEM = (
    "Act as an expert software developer.\nTake requests for changes to the supplied code.\nIf the request "
    "is ambiguous, ask questions.\nYou are diligent and tireless!\nYou NEVER leave comments describing code "
    "without implementing it!\nYou always COMPLETELY IMPLEMENT the needed code!"
)
OPENCODE_SYSTEM = (
    "You are opencode, an interactive CLI tool that helps users with software engineering tasks. Use the "
    "instructions below and the tools available to you to assist the user.\n\nIMPORTANT: You must NEVER "
    "generate or guess URLs for the user unless you are confident that the URLs are for helping the user "
    "with programming."
)
CONTINUE_SYSTEM = (
    "You are an agent in the Continue CLI. Given the user's prompt, you should use the tools available to "
    "you to answer the user's question.\n\nNotes:\n1. IMPORTANT: You should be concise, direct, and to the "
    "point, since your responses will be displayed on a command line interface."
)
CLINE_SYSTEM = (
    "You are Cline, a highly skilled software engineer with extensive knowledge in many programming "
    "languages, frameworks, design patterns, and best practices.\n\nTOOL USE\n\nYou have access to a set of "
    "tools that are executed upon the user's approval."
)

_path = {"file_path": ("string", "The absolute path to the file")}
CLAUDE_TOOLS = [
    fn("Agent", "Launch a new agent to handle complex, multi-step tasks autonomously.",
       {"prompt": ("string", "The task"), "subagent_type": ("string", "Agent type")}),
    fn("Bash", "Executes a given bash command and returns its output.",
       {"command": ("string", "The command to execute"), "description": ("string", "What it does")}),
    fn("Edit", "Performs exact string replacements in files.",
       {**_path, "old_string": ("string", "Text to replace"), "new_string": ("string", "Replacement")}),
    fn("Glob", "Fast file pattern matching tool that works with any codebase size",
       {"pattern": ("string", "Glob pattern")}),
    fn("Grep", "A powerful search tool built on ripgrep", {"pattern": ("string", "Regex")}),
    fn("Read", "Reads a file from the local filesystem.", _path),
    fn("Write", "Writes a file to the local filesystem.", {**_path, "content": ("string", "Content")}),
    fn("TodoWrite", "Create and manage a structured task list for your current coding session",
       {"todos": ("array", "The updated todo list")}),
    fn("WebFetch", "Fetches content from a specified URL", {"url": ("string", "URL")}),
]
CODEX_TOOLS = [
    fn("exec_command", "Runs a command in a PTY, returning output or a session ID for ongoing interaction.",
       {"cmd": ("string", "Shell command to execute.")}),
    fn("write_stdin", "Writes characters to an existing unified exec session.",
       {"session_id": ("number", "Session id"), "chars": ("string", "Bytes to write")}),
    fn("apply_patch", "Use the apply_patch tool to edit files.", {"input": ("string", "The patch")}),
    fn("update_plan", "Updates the task plan.", {"plan": ("array", "Steps")}),
    fn("view_image", "Attach a local image to the conversation", {"path": ("string", "Path")}),
]
OPENCODE_TOOLS = [
    fn("bash", "Executes a given bash command in a persistent shell session", {"command": ("string", "Command")}),
    fn("edit", "Performs exact string replacements in files", {"filePath": ("string", "Path"),
                                                              "oldString": ("string", "Old"),
                                                              "newString": ("string", "New")}),
    fn("glob", "Fast file pattern matching", {"pattern": ("string", "Pattern")}),
    fn("grep", "Fast content search", {"pattern": ("string", "Regex")}),
    fn("read", "Reads a file from the local filesystem", {"filePath": ("string", "Path")}),
    fn("todowrite", "Use this tool to create and manage a structured task list", {"todos": ("array", "Todos")}),
    fn("write", "Writes a file to the local filesystem", {"filePath": ("string", "Path"),
                                                         "content": ("string", "Content")}),
]
CONTINUE_TOOLS = [
    fn("Read", "Read the contents of a file at the specified path", {"filepath": ("string", "Path")}),
    fn("List", "List files in a directory", {"dirpath": ("string", "Directory")}),
    fn("Bash", "Execute a bash command", {"command": ("string", "Command")}),
    fn("Fetch", "Fetch a URL", {"url": ("string", "URL")}),
    fn("Checklist", "Create or update a task checklist", {"checklist": ("string", "Markdown checklist")}),
]
GENERIC_AGENT_TOOLS = [
    fn("read_file", "Read a file from the workspace", {"path": ("string", "Relative path")}),
    fn("write_file", "Create or overwrite a file", {"path": ("string", "Path"), "content": ("string", "Content")}),
    fn("list_files", "List files in a directory", {"path": ("string", "Directory")}),
    fn("run_command", "Run a shell command in the project directory", {"command": ("string", "Command")}),
    fn("search_files", "Search file contents with a regex", {"regex": ("string", "Pattern")}),
]

AGENTS: list[dict[str, Any]] = [
    {"name": "claude-code", "dialect": "anthropic", "system": CLAUDE_SYSTEM, "tools": CLAUDE_TOOLS,
     "calls": [("Bash", {"command": "pytest -q"}, "3 passed, 1 failed"),
               ("Read", {"file_path": "/repo/src/app.py"}, "1\timport os\n2\tdef main():\n3\t    pass"),
               ("Grep", {"pattern": "def handler"}, "src/api.py:12:def handler(event):")]},
    {"name": "codex", "dialect": "responses", "system": CODEX_SYSTEM, "tools": CODEX_TOOLS,
     "calls": [("exec_command", {"cmd": "ls -la"}, "Process exited with code 0\nOutput:\nREADME.md\nsrc\n"),
               ("exec_command", {"cmd": "cargo test"}, "test result: ok. 12 passed; 0 failed")]},
    {"name": "aider", "dialect": "openai", "system": AIDER_SYSTEM, "tools": [], "calls": [("", {}, "")]},
    {"name": "opencode", "dialect": "openai", "system": OPENCODE_SYSTEM, "tools": OPENCODE_TOOLS,
     "calls": [("bash", {"command": "npm test"}, "Tests: 4 passed, 4 total"),
               ("read", {"filePath": "src/index.ts"}, "export function main() {}")]},
    {"name": "continue", "dialect": "openai", "system": CONTINUE_SYSTEM, "tools": CONTINUE_TOOLS,
     "calls": [("Read", {"filepath": "main.go"}, "package main\n\nfunc main() {}")]},
    {"name": "cline", "dialect": "anthropic", "system": CLINE_SYSTEM, "tools": [], "calls": [("", {}, "")]},
    {"name": "generic", "dialect": "openai", "system": "You are a helpful assistant.", "tools": GENERIC_AGENT_TOOLS,
     "calls": [("run_command", {"command": "make test"}, "ok"), ("read_file", {"path": "app.py"}, "print(1)")]},
]

AGENT_ASKS: list[str] = [
    "fix the failing test in tests/test_api.py", "write hello world in python", "run echo hi",
    "add a --verbose flag to the CLI", "why is the build failing?", "refactor utils.js to use async/await",
    "explain what this repo does", "add type hints to the parser module", "bump the dependency versions",
    "write a README for this project", "find where we parse the config file", "rename getUser to fetchUser everywhere",
    "the login page crashes on submit, can you look?", "create a Dockerfile for this app", "run the linter and fix what it finds",
    "implement pagination for the /items endpoint", "add unit tests for the date helpers", "commit these changes with a good message",
    "what does the main function do?", "clean up the unused imports", "migrate the tests from unittest to pytest",
    "set up GitHub Actions CI", "optimize the slow SQL query in reports.py", "summarize the last five commits",
    "make the button blue", "corrige le bug dans le fichier main.rs", "añade validación al formulario de registro",
    "修复 server.go 里的空指针错误", "このリポジトリのテストを実行して", "исправь ошибку в функции parse_date",
    "hi", "what can you do?", "write a short poem as a code comment at the top of main.py",
]
