"""A fresh Postgres database per test (the server at 127.0.0.1:5432 is shared with other tests: the
rule versions and keys of one run must not leak into another)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def redis_url() -> str:
    """Redis for replicas: a database of its own per pytest-xdist worker (gw0 uses 1, gw1 2, ...), so
    tests running at once in two workers do not share keys such as the rule version."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"redis://127.0.0.1:6379/{1 + int(worker[2:]) if worker.startswith('gw') else 0}"


def reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create an empty database; yield its URL; drop it."""
    name = "sp_" + uuid.uuid4().hex[:12]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
