"""A loopback OTLP/HTTP receiver that accepts and drops trace exports, for the gateway benchmark with
OpenTelemetry export on (tests/benchmarks/gateway_overhead.py --otel).

    python -m tests.benchmarks.otlp_sink PORT
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def traces(request: Request) -> Response:
    await request.body()
    return Response(b"", media_type="application/x-protobuf")


def main() -> None:
    app = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
