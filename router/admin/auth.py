"""The admin key: as a bearer token for scripts, or as an HttpOnly session cookie set by login for the
dashboard. Sessions are signed with a key derived from the admin key, not stored, so every replica
accepts them and rotating the admin key ends every session. Logging out revokes the session in the
database (router/store_sessions.py), so no replica accepts it again. Cookie-authenticated changes need
the session's CSRF token, derived from the session itself (cookie `sp_csrf`, echoed in the header
`x-csrf-token`): a token from another session, or an old one, does not fit."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response

from backends.errors import AuthError

from ..store_sessions import is_revoked, revoke

SESSION_COOKIE = "sp_session"
CSRF_COOKIE = "sp_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_TTL_S = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def load_or_create_admin_key(home: Path, from_env: str | None) -> str:
    """SWITCHPOINT_ADMIN_KEY when set; else a key generated once into HOME/admin_key (mode 0600)."""
    if from_env:
        return from_env
    path = home / "admin_key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = "spa-" + secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


class AdminAuth:
    def __init__(self, admin_key: str, engine: Engine | None = None) -> None:
        self._key = admin_key.encode()
        self._signing = hashlib.sha256(b"switchpoint-session:" + self._key).digest()
        self.engine = engine  # where revoked sessions are kept; None: logout only clears cookies

    def _sign(self, payload: str) -> str:
        return hmac.new(self._signing, payload.encode(), hashlib.sha256).hexdigest()

    def key_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode("utf-8", "surrogateescape"), self._key)

    def session_token(self, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_TTL_S)
        nonce = secrets.token_hex(16)
        payload = f"{expires}.{nonce}"
        return f"{payload}.{self._sign(payload)}"

    def csrf_token(self, session: str) -> str:
        """The CSRF token of one session: only that session's holder can read it (from its cookie)."""
        return self._sign("csrf:" + session)[:43]

    def _parse(self, token: str, now: float | None = None) -> tuple[int, str] | None:
        """(expires, nonce) of a session token that is signed by this key and not expired, else None."""
        try:
            expires, nonce, sig = token.split(".")
        except ValueError:
            return None
        if not hmac.compare_digest(sig.encode(), self._sign(f"{expires}.{nonce}").encode()):
            return None
        if not (expires.isascii() and expires.isdigit()) or int(expires) <= (now or time.time()):
            return None
        return int(expires), nonce

    async def session_valid(self, token: str) -> bool:
        parsed = self._parse(token)
        if parsed is None:
            return False
        return self.engine is None or not await asyncio.to_thread(is_revoked, self.engine, parsed[1])

    async def check(self, request: Request) -> None:
        """Raise AuthError unless the request carries the admin key or a valid, unrevoked session (plus
        that session's CSRF token when the session cookie authorises a change)."""
        await self.authenticate(request)
        self.check_csrf(request)

    async def authenticate(self, request: Request) -> None:
        """Raise AuthError unless the request carries the admin key or a valid, unrevoked session."""
        auth = request.headers.get("authorization") or ""
        if auth[:7].lower() == "bearer ":
            if self.key_matches(auth[7:].strip()):
                return
            raise AuthError("invalid admin key")
        token = request.cookies.get(SESSION_COOKIE)
        if not token or not await self.session_valid(token):
            raise AuthError("admin login required")

    def check_csrf(self, request: Request) -> None:
        """A change authorised by the session cookie (not by the bearer key) needs the session's CSRF token.
        Call after `authenticate`."""
        bearer = (request.headers.get("authorization") or "")[:7].lower() == "bearer "
        if bearer or request.method in SAFE_METHODS:
            return
        token = request.cookies.get(SESSION_COOKIE) or ""
        header = request.headers.get(CSRF_HEADER) or ""
        if not hmac.compare_digest(header.encode(), self.csrf_token(token).encode()):
            raise AuthError("missing or wrong CSRF token")

    async def revoke(self, request: Request) -> None:
        """End the session the request's cookie names, on every replica."""
        parsed = self._parse(request.cookies.get(SESSION_COOKIE) or "")
        if parsed is not None and self.engine is not None:
            await asyncio.to_thread(revoke, self.engine, parsed[1], float(parsed[0]))

    def login_response(self, response: Response, *, secure: bool) -> Response:
        token = self.session_token()
        response.set_cookie(
            SESSION_COOKIE, token, max_age=SESSION_TTL_S, httponly=True, samesite="strict", secure=secure, path="/"
        )
        # Readable by the dashboard's script, which echoes it in the CSRF header.
        response.set_cookie(
            CSRF_COOKIE,
            self.csrf_token(token),
            max_age=SESSION_TTL_S,
            httponly=False,
            samesite="strict",
            secure=secure,
            path="/",
        )
        return response

    @staticmethod
    def logout_response(response: Response) -> Response:
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response
