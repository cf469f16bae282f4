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

import re
import urllib.parse
from collections.abc import Iterable

REDACTED = "[REDACTED]"
MAX_UPSTREAM_CHARS = 2000
MIN_LITERAL = 6  # shorter "secrets" would redact ordinary words

# Credentials recognisable by their shape alone.
_TOKENS = (
    r"sk-[A-Za-z0-9_\-]{12,}",  # OpenAI, Anthropic (sk-ant-), Switchpoint's virtual keys (sk-sp-)
    r"(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{10,}",  # Stripe
    r"gh[pousr]_[A-Za-z0-9_]{30,}",  # GitHub classic tokens
    r"github_pat_[A-Za-z0-9_]{20,}",  # GitHub fine-grained tokens
    r"glpat-[A-Za-z0-9_\-]{20,}",  # GitLab
    r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}",  # AWS access key ids
    r"AIza[0-9A-Za-z_\-]{35}",  # Google API keys
    r"ya29\.[0-9A-Za-z_\-.]{20,}",  # Google OAuth access tokens
    r"xox[abeprs]-[A-Za-z0-9\-]{10,}",  # Slack
    r"spa-[A-Za-z0-9_\-]{24,}",  # Switchpoint's generated admin key
    r"eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]+",  # JWT
    r"\bBearer\s+[A-Za-z0-9._~+/\-]{8,}=*",
    r"\bBasic\s+[A-Za-z0-9+/]{8,}={0,2}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
)
SECRET_TEXT = re.compile("|".join(f"(?:{p})" for p in _TOKENS))

# Credentials recognisable by what precedes them: the prefix is kept, the value replaced.
_CONTEXT = (
    # AWS secret access keys: 40 base64 characters after an aws...secret/key name
    r"(?i)(aws.{0,20}?(?:secret|key|pwd|pw|password|pass|token).{0,20}?[\"']?\s*[:=]\s*[\"']?)[0-9A-Za-z/+]{40}",
    # passwords in URLs: scheme://user:PASSWORD@host (database URLs, proxies)
    r"(?i)(\b[a-z][a-z0-9+.\-]*://[^:/?#\s@\"']*:)[^@/\s\"']+(?=@)",
    # key=value and "key": "value" pairs with secret names (query strings, headers, JSON, env files)
    r"(?i)((?:[?&\s\"'{,]|^)(?:key|api[_-]?key|x-api-key|x-goog-api-key|access[_-]?token|refresh[_-]?token|"
    r"secret|client[_-]?secret|password|passwd|passphrase|pwd|otp|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;}]{6,}",
)
SECRET_CONTEXT = tuple(re.compile(p) for p in _CONTEXT)

_TRACEBACK = re.compile(r"\n?Traceback \(most recent call last\):[\s\S]*")
_FILE_LINE = re.compile(r"\s*File \"[^\"]+\", line \d+[^\n]*")
_SERVER_PATH = re.compile(r"(?:/[\w.\-+@]+){2,}\.(?:py|pyc|so|c|h)\b|(?:/[\w.\-+@]+)*/(?:site|dist)-packages/\S*")


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with the given secrets (literally, and URL-quoted) and known credential shapes replaced."""
    for secret in secrets:
        if secret and len(secret) >= MIN_LITERAL:
            text = text.replace(secret, REDACTED)
            quoted = urllib.parse.quote(secret, safe="")
            if quoted != secret:
                text = text.replace(quoted, REDACTED)
    text = SECRET_TEXT.sub(REDACTED, text)
    for pattern in SECRET_CONTEXT:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


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
