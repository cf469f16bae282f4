"""The admin key: as a bearer token for scripts, or as an HttpOnly session cookie set by login for the
dashboard. Cookie-authenticated changes need the CSRF token (double submit: cookie `sp_csrf` and
header `x-csrf-token`). Sessions are signed, not stored, so every replica accepts them."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from backends.errors import AuthError

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
    def __init__(self, admin_key: str) -> None:
        self._key = admin_key.encode()
        self._signing = hashlib.sha256(b"switchpoint-session:" + self._key).digest()

    def _sign(self, payload: str) -> str:
        return hmac.new(self._signing, payload.encode(), hashlib.sha256).hexdigest()

    def key_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self._key)

    def session_token(self, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_TTL_S)
        nonce = secrets.token_hex(8)
        payload = f"{expires}.{nonce}"
        return f"{payload}.{self._sign(payload)}"

    def session_valid(self, token: str, now: float | None = None) -> bool:
        try:
            expires, nonce, sig = token.split(".")
        except ValueError:
            return False
        if not hmac.compare_digest(sig, self._sign(f"{expires}.{nonce}")):
            return False
        return expires.isdigit() and int(expires) > (now or time.time())

    def check(self, request: Request) -> None:
        """Raise AuthError unless the request carries the admin key or a valid session (plus the CSRF
        token when the session cookie authorises a change)."""
        auth = request.headers.get("authorization") or ""
        if auth[:7].lower() == "bearer ":
            if self.key_matches(auth[7:].strip()):
                return
            raise AuthError("invalid admin key")
        token = request.cookies.get(SESSION_COOKIE)
        if not token or not self.session_valid(token):
            raise AuthError("admin login required")
        if request.method not in SAFE_METHODS:
            csrf = request.cookies.get(CSRF_COOKIE) or ""
            header = request.headers.get(CSRF_HEADER) or ""
            if not csrf or not hmac.compare_digest(csrf, header):
                raise AuthError("missing or wrong CSRF token")

    def login_response(self, response: Response, *, secure: bool) -> Response:
        response.set_cookie(
            SESSION_COOKIE,
            self.session_token(),
            max_age=SESSION_TTL_S,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/",
        )
        # Readable by the dashboard's script, which echoes it in the CSRF header.
        response.set_cookie(
            CSRF_COOKIE,
            secrets.token_urlsafe(24),
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
