"""CPU cost of OpenTelemetry export per request (router/otel.py): start the request span, end it with
its attributes and two attempt spans, handed to the SDK's batch processor (its exporter discards, so
the figure is Switchpoint's and the SDK's work on the request path, not the network's). Needs the
`otel` extra. Compare with the gateway's own overhead (tests/benchmarks/gateway_overhead.py).

    python tests/benchmarks/otel_overhead.py [--n 20000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from router.otel import Attempt, RequestTracer  # noqa: E402
from tests.benchmarks.token_count import cpu  # noqa: E402
from tests.router.helpers import make_outcome  # noqa: E402

OUT = make_outcome(
    id="req_1", model_requested="auto", category="coding", backend="b", rule="route:coding", attempts=2,
    overhead_ms=0.4, ttft_ms=80.0, input_tokens=1200, output_tokens=300, cached_tokens=1024, finish_reason="stop",
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args(argv)
    tracer = RequestTracer.with_exporter(Discard())
    headers = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    times = []
    for _ in range(args.n):
        t = time.perf_counter()
        now = time.time_ns()
        span, _ = tracer.start(headers, now)
        attempts = [
            Attempt("a", now, now + 1000, "a: upstream answered 503"),
            Attempt("b", now + 1000, now + 5000, None),
        ]
        tracer.end(span, OUT, None, attempts, now + 6000)
        times.append((time.perf_counter() - t) * 1e6)
    tracer.shutdown()
    times.sort()
    print(f"CPU: {cpu()}")
    print(f"per request (3 spans): p50 {statistics.median(times):.1f} us, p99 {times[int(0.99 * len(times))]:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
