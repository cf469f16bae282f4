"""The scriptable OpenAI-compatible upstream (tests/fakes/openai_upstream.py) as its own process, with
a control route to change its behaviour while it runs and an optional periodic fault.

    python -m tests.reliability.upstream_server --port 8001 [--fail-every 7 --fail-status 500]

POST /_script {"behaviour": "die", ...} sets fields of the Script; GET /_script answers how many
completion requests arrived. With --fail-every N every Nth completion request answers --fail-status
(429 with Retry-After: 1) instead, before any byte of a completion.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fakes.openai_upstream import Script, make_upstream


class Faults:
    def __init__(self, app: ASGIApp, every: int, status: int) -> None:
        self.app, self.every, self.status, self.count = app, every, status, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].startswith("/v1/"):
            self.count += 1
            if self.every and self.count % self.every == 0:
                headers = {"retry-after": "1"} if self.status == 429 else {}
                err = orjson.dumps({"error": {"message": f"injected {self.status}", "type": "server_error"}})
                response = Response(err, self.status, headers=headers, media_type="application/json")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def make_app(script: Script, every: int = 0, status: int = 500) -> Any:
    base = make_upstream(script)

    async def control(request: Request) -> Response:
        if request.method == "POST":
            for k, v in orjson.loads(await request.body()).items():
                setattr(script, k, v)
        return Response(orjson.dumps({"requests": len(script.requests), "behaviour": script.behaviour}))

    app = Starlette(routes=[Route("/_script", control, methods=["GET", "POST"]), *base.routes])
    return Faults(app, every, status)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--behaviour", default="ok")
    p.add_argument("--text", default=Script.text)
    p.add_argument("--chunks", type=int, default=Script.chunks)
    p.add_argument("--fail-every", type=int, default=0)
    p.add_argument("--fail-status", type=int, default=500)
    args = p.parse_args(argv)
    script = Script(behaviour=args.behaviour, text=args.text, chunks=args.chunks)
    app = make_app(script, args.fail_every, args.fail_status)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
