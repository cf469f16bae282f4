"""`switchpoint classify train --from-log`, `classify versions`, `classify rollback [VERSION]`.

train: retrain the default classifier on the shipped data (tests/data/real + the generated set) plus the
operator's corrections (router/store_corrections.py), show the macro F1 on the corrections held out (a
fixed share of them, by id) before and after, then install weights trained on all of them as a new version
under the settings' home; every replica picks the active version up (router/classify_versions.py).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from backends.errors import InvalidRequest, SwitchpointError
from policies.classify import load_default_classifier
from policies.classify.default import DefaultClassifier

from .classify_cli import Row, read_rows
from .classify_loso import source_f1
from .classify_train import Prepared, TrainConfig, fit_classifier, prepare
from .classify_versions import ClassifierVersions, write_weights
from .dialects import get_dialect
from .settings import load_settings
from .store import create_tables, make_engine
from .store_corrections import ClassifierVersion, CorrectionRow, activate, add_version, corrections, versions

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHIPPED_DATA = (DATA / "real" / "classify_real.jsonl.gz", DATA / "classify_dev.jsonl")


def correction_rows(rows: Sequence[CorrectionRow]) -> list[Row]:
    out = []
    for c in rows:
        try:
            req = get_dialect(c.dialect).parse_request(dict(c.body))
        except SwitchpointError as exc:
            log.warning("correction %d: cannot read its request, left out: %s", c.id, exc)
            continue
        out.append(Row(c.id, c.category, req, c.headers, "corrections"))
    return out


def held_out(row: Row, share: float) -> bool:
    return int(hashlib.sha1(str(row.line).encode()).hexdigest()[:8], 16) % 100 < share * 100


def score(classifier: DefaultClassifier, rows: Sequence[Row]) -> float:
    if not rows:
        return float("nan")
    return source_f1([r.label or "" for r in rows], [classifier.classify(r.request, r.headers).category for r in rows])


Progress = Callable[[str, float], None]  # (stage, share of the whole retrain done)


def _quiet(stage: str, share: float) -> None:
    return None


def prepare_in_steps(rows: Sequence[Row], progress: Progress, start: float, end: float) -> list[Prepared]:
    """prepare(rows), reporting as it goes: reading the features of thousands of rows takes a while."""
    out: list[Prepared] = []
    step = 500
    for i in range(0, len(rows), step):
        progress("reading the training data's features", start + (end - start) * i / max(1, len(rows)))
        out += prepare(rows[i : i + step])
    return out


def retrain(
    engine: Engine,
    home: Path,
    share: float = 0.3,
    repeat: int = 5,
    cfg: TrainConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Retrain on the shipped data plus the corrections and install the result as the active version.
    Returns what happened: corrections used, held out, macro F1 before and after on those, the version.
    `progress` hears each stage and the share done (the admin API's job writes them for the dashboard)."""
    say = progress or _quiet
    say("reading the corrections", 0.0)
    fixed = correction_rows(corrections(engine))
    if not fixed:
        raise InvalidRequest("no corrections in the log yet")
    missing = [p for p in SHIPPED_DATA if not p.is_file()]
    if missing:
        raise InvalidRequest(f"shipped training data not found: {missing[0]}")
    cfg = cfg or TrainConfig()
    say("reading the shipped data", 0.02)
    shipped = prepare_in_steps([r for path in SHIPPED_DATA for r in read_rows(path)], say, 0.05, 0.3)
    test = [r for r in fixed if held_out(r, share)] if len(fixed) > 1 else []
    train = [r for r in fixed if r not in test]
    before = score(ClassifierVersions(engine, load_default_classifier()).current(), test)
    heads = fit_classifier(
        shipped + prepare(train) * repeat,
        cfg,
        progress=lambda x: say("training, held-out corrections left out", 0.3 + 0.3 * x),
    )
    say("scoring the held-out corrections", 0.6)
    after = score(DefaultClassifier(heads["code"], heads["tool"]), test)
    if test:  # the installed weights learn from every correction
        heads = fit_classifier(
            shipped + prepare(fixed) * repeat,
            cfg,
            progress=lambda x: say("training on every correction", 0.62 + 0.33 * x),
        )
    say("installing the new version", 0.97)
    path, digest = write_weights(home, heads)
    f1_before, f1_after = (round(before, 4), round(after, 4)) if test else (None, None)
    number = add_version(engine, str(path), digest, len(fixed), f1_before, f1_after, f"{len(fixed)} corrections")
    return {
        "version": number,
        "path": str(path),
        "corrections": len(fixed),
        "trained_on": len(train),
        "held_out": len(test),
        "f1_before": f1_before,
        "f1_after": f1_after,
    }


def train_from_log(engine: Engine, home: Path, share: float, repeat: int, cfg: TrainConfig) -> int:
    try:
        res = retrain(engine, home, share, repeat, cfg)
    except InvalidRequest as exc:
        print(f"switchpoint classify train: {exc}", file=sys.stderr)
        return 2
    print(f"corrections: {res['corrections']} ({res['trained_on']} to train, {res['held_out']} held out)")
    if res["held_out"]:
        print(f"macro F1 on the held-out corrections: before {res['f1_before']:.4f}, after {res['f1_after']:.4f}")
    print(f"installed classifier v{res['version']}: {res['path']}")
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="switchpoint classify", description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["train", "versions", "rollback"])
    ap.add_argument("version", nargs="?", help="rollback: the version to activate, or 'shipped' (default: previous)")
    ap.add_argument("--from-log", action="store_true", help="train: use the corrections in the request log's database")
    ap.add_argument("--config", help="YAML configuration file (its database and home)")
    ap.add_argument("--holdout", type=float, default=0.3, help="share of corrections held out for the before/after")
    ap.add_argument("--repeat", type=int, default=5, help="weight of a correction against a shipped row")
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args(argv)
    settings = load_settings(args.config)
    engine = make_engine(settings.effective_database_url)
    create_tables(engine)
    if args.command == "train":
        if not args.from_log:
            ap.error("train needs --from-log (the only source of corrections)")
        return train_from_log(engine, settings.home, args.holdout, args.repeat, TrainConfig(epochs=args.epochs))
    rows = versions(engine)
    if args.command == "versions":
        for v in rows:
            print(
                f"v{v.version}{' (active)' if v.active else ''}  {v.corrections} corrections  "
                f"F1 {v.f1_before} -> {v.f1_after}  {v.path}"
            )
        return 0
    return rollback(engine, rows, args.version)


def rollback_target(rows: Sequence[ClassifierVersion], version: str | int | None) -> int | None:
    """The version a rollback makes active: the one named, None (the shipped weights) for "shipped", and
    when none is named the version before the active one (the shipped weights before the first)."""
    if version == "shipped":
        return None
    if version is not None:
        try:
            return int(version)
        except ValueError:
            raise InvalidRequest(f"version: a number or 'shipped', not {version!r}", param="version") from None
    active = next((v.version for v in rows if v.active), None)
    earlier = [v.version for v in rows if active is not None and v.version < active]
    return earlier[-1] if earlier else None


def rollback(engine: Engine, rows: list[ClassifierVersion], version: str | None) -> int:
    try:
        target = rollback_target(rows, version)
        activate(engine, target)
    except SwitchpointError as exc:
        print(f"switchpoint classify rollback: {exc}", file=sys.stderr)
        return 2
    print(f"active classifier: {'shipped weights' if target is None else f'v{target}'}")
    return 0
