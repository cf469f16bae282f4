"""Hostile clients, as their own process so that their work does not slow the measuring client:

    python -m tests.security.hostile http://127.0.0.1:4141 SECONDS

Runs until SECONDS have passed, then prints what each kind did (JSON): `flood` sends 60 MiB request
headers; `slow_head` sends a header line every half second; `slow_body` sends a body a byte every half
second; `hangup` disconnects at every stage (before a byte, mid request line, mid headers, mid body,
after the request before the answer, mid-stream)."""

from __future__ import annotations

import collections
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

HEAD = b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
BODY = b'{"model": "auto", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
FLOOD_BYTES = 60 * 1024 * 1024
CHUNK = b"a" * (1024 * 1024)


class Hostile:
    def __init__(self, url: str, seconds: float) -> None:
        parts = urlsplit(url)
        self.addr = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.until = time.monotonic() + seconds
        self.counts: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def connect(self) -> socket.socket:
        return socket.create_connection(self.addr, timeout=10)

    def loop(self, name: str, once: Callable[[], None]) -> None:
        while time.monotonic() < self.until:
            try:
                once()
                self.count(name)
            except OSError:
                self.count(name + "_cut")  # the server closed on us: what it should do

    def flood(self) -> None:
        with self.connect() as s:
            s.sendall(HEAD + b"x-big: ")
            for _ in range(FLOOD_BYTES // len(CHUNK)):
                s.sendall(CHUNK)

    def _trickle(self, first: bytes, drip: bytes) -> None:
        with self.connect() as s:
            s.sendall(first)
            while time.monotonic() < self.until:
                time.sleep(0.5)
                s.sendall(drip)
                s.settimeout(0.001)
                try:
                    if s.recv(4096) == b"":
                        return
                except TimeoutError:
                    pass
                s.settimeout(10)

    def slow_head(self) -> None:
        self._trickle(HEAD, b"x-slow: 1\r\n")

    def slow_body(self) -> None:
        self._trickle(HEAD + b"content-length: 100000\r\n\r\n", b" ")

    def hangup(self) -> None:
        whole = HEAD + b"content-length: %d\r\n\r\n" % len(BODY) + BODY
        for cut in (0, 10, len(HEAD) - 5, len(whole) - 10, len(whole)):
            with self.connect() as s:
                s.sendall(whole[:cut])
        with self.connect() as s:  # mid-stream: read the first bytes of the answer, then go
            s.sendall(whole)
            s.recv(100)
        time.sleep(0.2)  # a hostile client, not a load test: about 30 requests a second

    def run(self) -> dict[str, int]:
        plan = [("flood", self.flood, 2), ("slow_head", self.slow_head, 20), ("slow_body", self.slow_body, 10)]
        plan.append(("hangup", self.hangup, 2))
        threads = [
            threading.Thread(target=self.loop, args=(name, fn), daemon=True) for name, fn, n in plan for _ in range(n)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(0.0, self.until - time.monotonic()) + 15)
        return dict(self.counts)


if __name__ == "__main__":
    print(json.dumps(Hostile(sys.argv[1], float(sys.argv[2])).run()), flush=True)
