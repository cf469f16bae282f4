"""Two gateways in this process sharing one database (and Redis when asked): replicas, as the admin
API sees them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from router.app import create_app
from router.settings import load_settings
from tests.fakes.servers import ServerThread
from tests.reliability.pg import fresh_database, reachable

DATABASES = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not reachable(5432), reason="needs Postgres on 127.0.0.1:5432"),
        ],
    ),
]


@contextmanager
def database_url(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'shared.db'}"
        return
    with fresh_database() as url:
        yield url.replace("postgresql://", "postgresql+psycopg://")


@contextmanager
def replicas(
    tmp: Path, database: str, classifier: Any, keys: tuple[str, ...], **config: Any
) -> Iterator[list[tuple[str, Any]]]:
    """One gateway per admin key in `keys`, all on `database`; yields [(url, app), ...]."""
    with ExitStack() as stack:
        out = []
        for i, key in enumerate(keys):
            settings = load_settings(None, home=tmp / f"r{i}", admin_key=key, database_url=database, **config)
            app = create_app(settings, classifier=classifier)
            out.append((stack.enter_context(ServerThread(app)).url, app))
        yield out
