"""One redaction function (backends/redact.py) for every upstream error text and every logged body:
the backend's own key literally, known credential shapes, no tracebacks or server paths, and error
texts bounded at a word boundary with a marker rather than cut mid-sentence."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text

from backends.redact import MAX_UPSTREAM_CHARS, REDACTED, cut, redact_text, upstream_message
from router.body_log import redact_body
from tests.router.helpers import log_rows, one_backend
from tests.security.helpers import ADMIN, MSG

SECRETS = {
    "openai": "sk-proj-Abc123Def456Ghi789Jkl012",
    "anthropic": "sk-ant-api03-Abc123Def456Ghi789Jkl012",
    "stripe live": "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij",
    "stripe restricted": "rk_live_51HxYzAbCdEfGhIjKlMnOp",
    "github classic": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "github fine-grained": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF",
    "gitlab": "glpat-abcdefghij0123456789",
    "aws access key id": "AKIAIOSFODNN7EXAMPLE",
    "google api key": "AIzaSyA-1234567890abcdefghijklmnopqrstu",
    "google oauth": "ya29.a0AfH6SMBx-abcdefghijklmnopqrstuvwxyz0123",
    "slack": "xoxb-123456789012-abcdefghijkl",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "switchpoint admin key": "spa-" + "Q" * 32,
}
IN_CONTEXT = {
    "aws secret key": ("aws_secret_access_key = ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "basic auth": ("Authorization: Basic ", "dXNlcjpodW50ZXIyaHVudGVyMg=="),
    "bearer": ("Authorization: Bearer ", "opaque-token-0123456789"),
    "postgres url password": ("postgresql://app:", "s3cr3t-Passw0rd@db.internal:5432/app"),
    "redis url password": ("redis://:", "hunter2hunter2@cache:6379/0"),
    "query key": ("https://generativelanguage.googleapis.com/v1beta/models/x?key=", "my-gemini-key-123"),
    "json password": ('{"password": "', "correct-horse-battery"),
}
BENIGN = [
    "The key insight is that the cache is warm.",
    "commit 3f2c9a1b7d4e5f60718293a4b5c6d7e8f9012345 fixed it",
    "see https://example.com/docs/page?lang=en for details",
    "postgresql://localhost:5432/test",
]


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_credential_shapes_are_redacted(name):
    secret = SECRETS[name]
    out = redact_text(f"upstream said: invalid credential {secret} (check it)")
    assert secret not in out and REDACTED in out and out.startswith("upstream said: invalid credential")


@pytest.mark.parametrize("name", sorted(IN_CONTEXT))
def test_credentials_in_context_are_redacted(name):
    prefix, secret = IN_CONTEXT[name]
    out = redact_text(f"{prefix}{secret} trailing")
    secret = secret.split("@")[0]
    assert secret not in out and REDACTED in out


@pytest.mark.parametrize("line", BENIGN)
def test_ordinary_text_is_left_alone(line):
    assert redact_text(line) == line


def test_literal_secrets_and_their_url_quoted_form():
    key = "upk-SENTINEL/with+odd=chars"
    out = redact_text(f"got {key} and also upk-SENTINEL%2Fwith%2Bodd%3Dchars", [key, None, "ab"])
    assert "SENTINEL" not in out and out.count(REDACTED) == 2


def test_upstream_message_drops_tracebacks_and_server_paths():
    raw = (
        "Invalid image received - file:///etc/passwd\nTraceback (most recent call last):\n"
        '  File "/work/main/.venv/lib/python3.11/site-packages/litellm/main.py", line 944, in acompletion\n'
        "    response = await x()\nException: boom"
    )
    assert upstream_message(raw) == "Invalid image received - file:///etc/passwd"
    assert "[path]" in upstream_message("failed in /srv/app/backends/litellm_backend.py at line 3")


def test_cut_at_a_word_boundary_with_a_marker():
    words = " ".join(f"word{i}" for i in range(1000))
    out = cut(words)
    head, marker = out.split(" ... [")
    assert len(head) <= MAX_UPSTREAM_CHARS and words.startswith(head) and words[len(head)] == " "
    assert marker == f"{len(words) - len(head)} more characters cut]"
    assert cut("short") == "short"


def test_body_log_redacts_secret_fields_and_shapes():
    body = {
        "messages": [{"role": "user", "content": " ".join(SECRETS.values()) + " " + "".join(IN_CONTEXT["basic auth"])}],
        "metadata": {"passphrase": "open sesame", "pwd": "hunter2", "otp": "123456", "db": "mysql://u:pw-123456@db/x"},
        "aws": "AWS_SECRET_ACCESS_KEY=" + IN_CONTEXT["aws secret key"][1],
    }
    import orjson

    stored = redact_body(orjson.dumps(body), [ADMIN])
    for leaked in [
        *SECRETS.values(),
        "open sesame",
        "hunter2",
        "123456",
        "pw-123456",
        IN_CONTEXT["aws secret key"][1],
        IN_CONTEXT["basic auth"][1],
    ]:
        assert leaked not in stored, leaked
    assert ADMIN not in redact_body(f"my admin key is {ADMIN}".encode(), [ADMIN])


# ---- through the gateway ------------------------------------------------------------------------------

UPSTREAM_KEY = "upk-SENTINEL-7c1d9e-upstream-key"


def test_upstream_error_echoing_the_key_is_redacted_everywhere(gateway, upstream, monkeypatch, caplog):
    script, url = upstream
    monkeypatch.setenv("SENTINEL_KEY", UPSTREAM_KEY)
    script.behaviour, script.status = "status", 500
    script.error_message = "Incorrect API key provided: {authorization}. You can find your API key at https://x."
    with (
        caplog.at_level(logging.INFO),
        gateway(one_backend(url, api_key_env="SENTINEL_KEY"), admin_key=ADMIN) as (
            gw,
            app,
        ),
    ):
        r = httpx.post(gw + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=30)
        assert r.status_code == 502 and "Incorrect API key provided" in r.text
        [row] = log_rows(app)
        dashboard = httpx.get(gw + "/admin/requests", headers={"authorization": f"Bearer {ADMIN}"}, timeout=30)
        assert dashboard.status_code == 200
        with app.state.engine.connect() as conn:
            stored = "\n".join(str(v) for v in conn.execute(text("select * from requests")).all())
    for place in (r.text, row.error or "", dashboard.text, caplog.text, stored):
        assert "SENTINEL" not in place
    assert REDACTED in r.text and REDACTED in (row.error or "")


def test_long_upstream_error_reaches_the_client_whole_enough(gateway, upstream):
    script, url = upstream
    script.behaviour, script.status = "status", 400
    script.error_message = " ".join(f"detail{i}" for i in range(150)) + " THE-END-OF-A-1.3K-MESSAGE"
    with gateway(one_backend(url)) as (gw, _):
        r = httpx.post(gw + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=30)
    assert r.status_code == 400 and "THE-END-OF-A-1.3K-MESSAGE" in r.json()["error"]["message"]


def test_litellm_error_echoing_the_key_is_redacted_and_whole(gateway, monkeypatch, caplog):
    from tests.fakes.gemini_upstream import GeminiScript, make_gemini
    from tests.fakes.servers import ServerThread

    monkeypatch.setenv("TEST_GEMINI_KEY", "gk-SENTINEL-secret-123")
    script = GeminiScript(status=400)
    script.message = "API key not valid: gk-SENTINEL-secret-123. " + " ".join(["Please pass a valid API key."] * 20)
    with ServerThread(make_gemini(script)) as server:
        backend = {
            "name": "gemini",
            "kind": "litellm",
            "model": "gemini/gemini-2.5-flash",
            "base_url": server.url + "/v1beta",
            "api_key_env": "TEST_GEMINI_KEY",
        }
        with caplog.at_level(logging.INFO), gateway({"backends": [backend]}) as (gw, app):
            r = httpx.post(gw + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=30)
            [row] = log_rows(app)
    assert r.status_code == 400 and "API key not valid" in r.text, r.text
    assert "SENTINEL" not in r.text and "SENTINEL" not in (row.error or "") and "SENTINEL" not in caplog.text
    assert r.text.count("Please pass a valid API key.") == 20
