"""`switchpoint classify FILE` and `switchpoint classify --eval FILE [--json]`.

FILE is JSON Lines: {"label": ..., "request": {...}} where the request is an OpenAI chat body or
carries "dialect": "anthropic" | "responses" beside a body in that API's shape. Without --eval, each
request's category and signals are printed (one JSON object a line with --json).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from backends.contract import CanonicalRequest
from backends.errors import SwitchpointError
from policies.classify import Classifier, create_classifier
from policies.classify.metrics import evaluate
from router.dialects import get_dialect


@dataclass(slots=True)
class Row:
    line: int
    label: str | None
    request: CanonicalRequest
    headers: dict[str, str] | None = None
    source: str | None = None  # the dataset a row came from (tests/data/real), for by-source scores
    pattern: str | None = None  # the hard case a row stands for, if any


def parse_row(obj: dict[str, Any]) -> tuple[str | None, CanonicalRequest, dict[str, str] | None]:
    body = dict(obj["request"]) if "request" in obj else dict(obj)
    dialect = body.pop("dialect", "openai")
    headers = obj.get("headers")
    return obj.get("label"), get_dialect(dialect).parse_request(body), headers


def read_rows(path: Path) -> Iterator[Row]:
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                label, req, headers = parse_row(obj)
            except (ValueError, KeyError, SwitchpointError) as exc:
                raise SystemExit(f"{path}:{n}: cannot read request: {exc}") from None
            hdrs = {k.lower(): str(v) for k, v in headers.items()} if isinstance(headers, dict) else None
            yield Row(n, label, req, hdrs, obj.get("source"), obj.get("pattern"))


def run_eval(classifier: Classifier, rows: list[Row]) -> dict[str, Any]:
    labelled = [r for r in rows if r.label is not None]
    gold = [r.label or "" for r in labelled]
    pred = [classifier.classify(r.request, r.headers).category for r in labelled]
    return evaluate(gold, pred).to_json()


def main(argv: list[str]) -> int:
    if argv[:1] in (["train"], ["versions"], ["rollback"]):
        from .classify_retrain import main as retrain_main

        return retrain_main(argv)
    ap = argparse.ArgumentParser(prog="switchpoint classify", description="Classify requests from a JSONL file.")
    ap.add_argument("file", type=Path, help='JSON Lines: {"label": ..., "request": {...}} per line')
    ap.add_argument("--eval", action="store_true", help="score against the labels: P/R/F1, macro F1, confusion")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--classifier", default="default", help="registered classifier name (default: default)")
    ap.add_argument("--by-source", action="store_true", help='with --eval: macro F1 per source (rows\' "source")')
    ap.add_argument(
        "--loso",
        action="store_true",
        help="with --eval: leave one source out: retrain the default classifier without each source "
        "(plus --augment) and score that source; minutes",
    )
    ap.add_argument(
        "--augment",
        type=Path,
        action="append",
        default=[],
        help="with --loso: labelled JSONL added to every fold's training (e.g. the generated set)",
    )
    args = ap.parse_args(argv)
    if not args.file.is_file():
        print(f"switchpoint classify: no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        classifier = create_classifier(args.classifier)
    except KeyError as exc:
        print(f"switchpoint classify: {exc.args[0]}", file=sys.stderr)
        return 2
    rows = list(read_rows(args.file))
    try:
        return _run(args, classifier, rows)
    except BrokenPipeError:  # `switchpoint classify FILE | head`
        sys.stderr.close()
        return 0


def _run(args: argparse.Namespace, classifier: Classifier, rows: list[Row]) -> int:
    if args.eval and (args.by_source or args.loso):
        from .classify_loso import by_source, loso, table

        if args.loso:
            augment = [r for path in args.augment for r in read_rows(path)]
            report = loso(rows, augment, log=lambda m: print(m, file=sys.stderr))
        else:
            report = by_source(classifier, rows)
        print(json.dumps(report, indent=2) if args.json else table(report))
        return 0
    if args.eval:
        report = run_eval(classifier, rows)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print(evaluate_table(report))
        return 0
    for r in rows:
        c = classifier.classify(r.request, r.headers)
        if args.json:
            print(json.dumps({"line": r.line, "label": r.label, **asdict(c)}, ensure_ascii=False))
        else:
            mark = "" if r.label is None else ("  ok" if r.label == c.category else f"  MISS (label {r.label})")
            print(
                f"{r.line:>5}  {c.category:<12} conf={c.confidence:.2f} code={c.code_score:.2f} "
                f"tools={c.n_tools} images={int(c.has_images)} client={c.client or '-'} lang={c.language} "
                f"tokens={c.prompt_tokens} turns={c.turns} difficulty={c.difficulty}{mark}"
            )
    return 0


def evaluate_table(report: dict[str, Any]) -> str:
    labels = report["labels"]
    w = max(len(x) for x in labels) + 2
    lines = [f"{'class':<{w}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for c in labels:
        m = report["per_class"][c]
        lines.append(f"{c:<{w}}{m['precision']:>10.4f}{m['recall']:>10.4f}{m['f1']:>10.4f}{m['support']:>10}")
    lines += [
        f"{'macro F1':<{w}}{report['macro_f1']:>30.4f}",
        f"{'accuracy':<{w}}{report['accuracy']:>30.4f}   (n={report['n']})",
        "",
        "confusion (rows gold, columns predicted)",
        " " * w + "".join(f"{c[:12]:>14}" for c in labels),
    ]
    lines += [f"{g:<{w}}" + "".join(f"{report['confusion'][g][p]:>14}" for p in labels) for g in labels]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
