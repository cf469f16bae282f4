"""Redaction: the one function every upstream error text and every logged body goes through.

`redact_text` replaces the literal secrets it is given (a backend's own key, the admin key) and
anything that matches a known credential pattern. `upstream_message` prepares an upstream's error
text for the client, the log, stderr and the dashboard: tracebacks and server file paths removed,
secrets redacted, then cut at a word boundary with a marker (whole enough to act on, bounded).

The patterns are a tested list, not a dependency: detect-secrets (Yelp; last release 1.5.0, May 2024)
was checked and its plugins are a per-line file scanner that misses `github_pat_`, `ya29.` and
`Basic` credentials and stops Stripe keys at 24 characters; its provider patterns are the source of
several below (AWS, Stripe, GitHub, Slack, JWT, private keys, URL credentials).
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Iterable

REDACTED = "[REDACTED]"
MAX_UPSTREAM_CHARS = 2000
MIN_LITERAL = 6  # shorter "secrets" would redact ordinary words

# Credentials recognisable by their shape alone, each with a literal one of which the text must hold
# for the pattern to run at all (Python's re scans fast only for a literal prefix: one alternation of
# every pattern took 14 ms on a 77 KB agent request, these take well under 1 ms).
_TOKENS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"sk-[A-Za-z0-9_\-]{12,}", ("sk-",)),  # OpenAI, Anthropic (sk-ant-), Switchpoint's virtual keys (sk-sp-)
    (r"[srp]k_(?:live|test)_[0-9A-Za-z]{10,}", ("k_live_", "k_test_")),  # Stripe
    (r"gh[pousr]_[A-Za-z0-9_]{30,}", ("gh",)),  # GitHub classic tokens
    (r"github_pat_[A-Za-z0-9_]{20,}", ("github_pat_",)),  # GitHub fine-grained tokens
    (r"glpat-[A-Za-z0-9_\-]{20,}", ("glpat-",)),  # GitLab
    (r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}", ("A3T", "ABIA", "ACCA", "AKIA", "ASIA")),  # AWS key ids
    (r"AIza[0-9A-Za-z_\-]{35}", ("AIza",)),  # Google API keys
    (r"ya29\.[0-9A-Za-z_\-.]{20,}", ("ya29.",)),  # Google OAuth access tokens
    (r"xox[abeprs]-[A-Za-z0-9\-]{10,}", ("xox",)),  # Slack
    (r"spa-[A-Za-z0-9_\-]{24,}", ("spa-",)),  # Switchpoint's generated admin key
    (r"eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]+", ("eyJ",)),  # JWT
    (r"Bearer\s+[A-Za-z0-9._~+/\-]{8,}=*", ("Bearer",)),
    (r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", ("PRIVATE KEY",)),
)
SECRET_TOKENS = tuple((re.compile(p), hints) for p, hints in _TOKENS)
_HINTS = (*(h for _, hints in _TOKENS for h in hints), "Basic", "://")
_NAME_HINTS = ("key", "token", "secret", "pass", "pwd", "otp")

# HTTP Basic credentials: base64 of "user:password" (checked, so that "Basic information" stays).
_BASIC = re.compile(r"Basic\s+([A-Za-z0-9+/]{8,}={0,2})")
# Passwords in URLs: scheme://user:PASSWORD@host (database URLs, proxies).
_URL_PASSWORD = re.compile(r"(://[^:/?#\s@\"']*:)[^@/\s\"']+(?=@)")
# AWS secret access keys: 40 base64 characters after an aws...secret/key name.
_AWS_SECRET = re.compile(
    r"(?i)(aws.{0,20}?(?:secret|key|pwd|pw|password|pass|token).{0,20}?[\"']?\s*[:=]\s*[\"']?)[0-9A-Za-z/+]{40}"
)
# key=value and "key": "value" pairs with secret names (query strings, headers, JSON, env files): the
# value is found first, then the name before it is checked.
_VALUE = re.compile(r"([:=]\s*[\"']?)([^\s\"'&,;:=?}]{6,})")
_SECRET_NAME = re.compile(
    r"(?i)(?:^|[_-])(?:key|apikey|access[_-]?token|refresh[_-]?token|secret|password|passwd|passphrase|pwd|otp|token)$"
)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")

_TRACEBACK = re.compile(r"\n?Traceback \(most recent call last\):[\s\S]*")
_FILE_LINE = re.compile(r"\s*File \"[^\"]+\", line \d+[^\n]*")
_SERVER_PATH = re.compile(r"(?:/[\w.\-+@]+){2,}\.(?:py|pyc|so|c|h)\b|(?:/[\w.\-+@]+)*/(?:site|dist)-packages/\S*")


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with the given secrets (literally, and URL-quoted) and known credential shapes replaced."""
    for secret in secrets:
        if secret and len(secret) >= MIN_LITERAL:
            text = text.replace(secret, REDACTED)
            if "%" in text:
                text = text.replace(urllib.parse.quote(secret, safe=""), REDACTED)
    if len(text) < MIN_LITERAL:
        return text
    if any(h in text for h in _HINTS):
        for pattern, hints in SECRET_TOKENS:
            if any(h in text for h in hints):
                text = pattern.sub(REDACTED, text)
        if "Basic" in text:
            text = _BASIC.sub(_basic, text)
        if "://" in text:
            text = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED, text)
    lower = text.lower()
    if any(h in lower for h in _NAME_HINTS):
        if "aws" in lower and "secret" in lower:
            text = _AWS_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
        text = _VALUE.sub(lambda m: _named_value(m, text), text)
    return text


def _basic(m: re.Match[str]) -> str:
    try:
        decoded = base64.b64decode(m.group(1), validate=True)
    except ValueError:
        return m.group(0)
    return "Basic " + REDACTED if b":" in decoded else m.group(0)


def _named_value(m: re.Match[str], text: str) -> str:
    """The value with its secret replaced when the name before it is a secret's (api_key=, "token": ...)."""
    end = m.start()
    while end > 0 and text[end - 1] in "\"' ":
        end -= 1
    start = end
    while start > 0 and end - start < 40 and text[start - 1] in _NAME_CHARS:
        start -= 1
    return m.group(1) + REDACTED if _SECRET_NAME.search(text[start:end]) else m.group(0)


def strip_internals(text: str) -> str:
    """`text` without Python tracebacks and without this server's file paths."""
    text = _TRACEBACK.sub("", text)
    text = _FILE_LINE.sub("", text)
    return _SERVER_PATH.sub("[path]", text)


def cut(text: str, limit: int = MAX_UPSTREAM_CHARS) -> str:
    """`text` bounded to about `limit` characters, cut at a word boundary, saying how much was left out."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    if space > limit * 0.8:
        head = head[:space]
    return f"{head.rstrip()} ... [{len(text) - len(head)} more characters cut]"


def upstream_message(text: str, secrets: Iterable[str | None] = (), limit: int = MAX_UPSTREAM_CHARS) -> str:
    """An upstream's error text made safe to show anywhere: no internals, no secrets, bounded."""
    return cut(redact_text(strip_internals(text), secrets).strip(), limit)
