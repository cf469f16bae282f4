"""Retrained classifier weights as versioned files under the settings' home, and the replica side: each
replica asks the database (at most every poll_s) which version is active and loads it, so a retrain or a
rollback reaches every replica without a restart. A file whose checksum does not match is refused."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from backends.contract import CanonicalRequest
from policies.classify.default import DefaultClassifier
from policies.classify.linear import LinearModel, dump_heads, load_heads
from policies.classify.types import Classification

from .store_corrections import active_version

log = logging.getLogger(__name__)


def write_weights(home: Path, heads: dict[str, LinearModel]) -> tuple[Path, str]:
    """Write a new weights file under home/classifier/ (never overwriting one); its path and sha256."""
    folder = home / "classifier"
    folder.mkdir(parents=True, exist_ok=True)
    raw = dump_heads(heads).encode()
    digest = hashlib.sha256(raw).hexdigest()
    path = folder / f"linear-{int(time.time())}-{digest[:12]}.json"
    path.write_bytes(raw)
    return path, digest


def load_file(path: Path, sha256: str) -> DefaultClassifier:
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise ValueError(f"{path}: checksum does not match the recorded version")
    heads = load_heads(raw)
    return DefaultClassifier(heads["code"], heads["tool"])


class ClassifierVersions:
    """The classifier this replica should use: the active version's, or `shipped` when none is active."""

    def __init__(
        self, engine: Engine, shipped: DefaultClassifier, poll_s: float = 10.0, background: bool = False
    ) -> None:
        self.engine = engine
        self.shipped = shipped
        self.poll_s = poll_s
        self.background = background  # refresh in a thread, never on the caller's (the event loop's) time
        self.version: int | None = None
        self._classifier = shipped
        self._checked = 0.0
        self._busy = threading.Lock()

    def current(self, now: float | None = None) -> DefaultClassifier:
        now = time.monotonic() if now is None else now
        if now - self._checked >= self.poll_s:
            self._checked = now
            if not self.background:
                self.refresh()
            elif self._busy.acquire(blocking=False):
                threading.Thread(target=self._refresh_and_release, name="classifier-versions", daemon=True).start()
        return self._classifier

    def _refresh_and_release(self) -> None:
        try:
            self.refresh()
        finally:
            self._busy.release()

    def refresh(self) -> None:
        try:
            row = active_version(self.engine)
        except SQLAlchemyError as exc:
            log.warning("classifier: cannot read the active version, keeping %s: %s", self.version, exc)
            return
        number = row.version if row else None
        if number == self.version:
            return
        if row is None:
            self._classifier, self.version = self.shipped, None
            log.info("classifier: back to the shipped weights")
            return
        try:
            self._classifier = load_file(Path(row.path), row.sha256)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("classifier: v%d does not load here, keeping %s: %s", row.version, self.version, exc)
            return
        self.version = row.version
        log.info("classifier: now at v%d", row.version)


class VersionedClassifier:
    """The gateway's classifier: whichever version is active (the shipped weights until a retrain)."""

    name = "default"

    def __init__(self, versions: ClassifierVersions) -> None:
        self.versions = versions

    def classify(self, request: CanonicalRequest, headers: Mapping[str, str] | None = None) -> Classification:
        return self.versions.current().classify(request, headers)
