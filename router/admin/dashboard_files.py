"""Serves the dashboard's static files at /dashboard. Its pages need the admin session: without one
they redirect to the login page. Scripts, styles and the login page itself are public (they hold no
data; every number comes from the admin API, which checks the key on each call). Every answer carries
a strict Content-Security-Policy: only this origin's scripts run, and nothing may frame the pages."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from backends.errors import AuthError

from .auth import AdminAuth

LOGIN_PAGE = "login.html"
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def static_dir() -> Path:
    import dashboard

    return Path(dashboard.__file__).resolve().parent / "static"


class DashboardFiles(StaticFiles):
    def __init__(self, auth: AdminAuth, directory: Path) -> None:
        super().__init__(directory=directory, html=True)
        self.auth = auth

    async def get_response(self, path: str, scope: Scope) -> Response:
        is_page = path in ("", ".") or path.endswith(".html")
        if is_page and path != LOGIN_PAGE:
            try:
                await self.auth.check(Request(scope))
            except AuthError:
                return RedirectResponse("/dashboard/" + LOGIN_PAGE, status_code=303)
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        if is_page:
            response.headers["cache-control"] = "no-store"
        return response


def dashboard_mount(auth: AdminAuth) -> Mount:
    return Mount("/dashboard", app=DashboardFiles(auth, static_dir()), name="dashboard")
