"""Training the default classifier's two heads, shared by scripts/train_classify.py, `switchpoint classify
--eval --loso` and `switchpoint classify train --from-log`.

"code" decides coding versus prose for the turns the rules leave open and trains on exactly those rows;
"tool" decides whether an ask with tools offered needs one (features in policies/classify/toolfeat.py) and
trains on the rows with tools the rules leave open. AdaGrad with L2 over the logistic loss, classes
weighted to balance (and, for the tool head, sources: TrainConfig.tool_source_power), in pure Python
(seconds for thousands of rows).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from policies.classify.clients import recognise
from policies.classify.default import by_rule, combine_logit, is_follow_up
from policies.classify.linear import LinearModel, sigmoid
from policies.classify.textfeat import CODE_PRIOR, TextFeatures, extract
from policies.classify.toolfeat import TOOL_PRIOR, tool_features
from policies.classify.tools import ToolMatcher
from policies.classify.view import build_view

from .classify_cli import Row

Example = tuple[list[tuple[str, float]], int, float]  # features, label (0/1), weight


@dataclass(slots=True)
class TrainConfig:
    epochs: int = 10
    l2: float = 1e-3
    tool_l2: float = 3e-3
    lr: float = 0.2
    min_weight: float = 0.2  # smaller weights dropped: a quarter of the features for ~0.003 of LOSO F1
    seed: int = 13
    # Each head trained this many times, with seeds seed, seed + 1, ..., and the weights averaged (bagging over
    # AdaGrad's row order, which alone moves LOSO F1 by 0.005); the average of linear models is one linear model.
    # 3 and 5 lowered LOSO F1 (0.9463 -> 0.9422, 0.9408; docs/classify.md), so 1.
    seeds: int = 1
    prior: float = 3.0  # scale of the hand-set priors (CODE_PRIOR, TOOL_PRIOR) the heads start from (0: none)
    # Rows weighted by (mean rows a source / their source's rows) ** power, per head, so that big sources (and the
    # 2,800 generated rows) weigh less: the tool head's 0.25 took ToolQA held out from 0.937 to 0.960 (0.5: 0.974,
    # but CLINC 0.840 and the generated held-out set at 0.951); the code head's did not help (docs/classify.md).
    source_power: float = 0.0
    tool_source_power: float = 0.25


def vectorize(f: TextFeatures) -> list[tuple[str, float]]:
    """The model's input as (feature, value): what LinearModel.logit sums, spelled out for training."""
    scale = 1.0 / math.sqrt(len(f.chars)) if f.chars else 0.0
    merged: dict[str, float] = {}
    for i, w in enumerate(f.words):
        x = f.scale if i < f.lexical else 1.0
        merged["w" + w] = merged.get("w" + w, 0.0) + x
    for c in f.chars:
        merged["c" + c] = merged.get("c" + c, 0.0) + scale
    return list(merged.items())


@dataclass(slots=True)
class Prepared:
    """What training needs of one row, computed once (leave-one-source-out trains many times on the same rows)."""

    label: str
    code: list[tuple[str, float]] | None  # the code head's input, for coding and prose rows
    last: TextFeatures  # features of the turn being answered ...
    context: TextFeatures | None  # ... and of the turns before it, which P(coding) also reads
    follow_up: bool
    tool_args: tuple[str, str, list, bool, bool, bool] | None  # tool_features' arguments but P(coding), if tools
    source: str = "-"  # the dataset the row came from ("-": none named, e.g. the generated set)
    share: float = 1.0  # mean rows a source / this row's source's rows (set by weigh_sources)


def prepare(rows: Sequence[Row]) -> list[Prepared]:
    out: list[Prepared] = []
    for r in rows:
        v = build_view(r.request)
        if r.label is None or by_rule(r.request, v, recognise(r.headers, v.system, v.tools)):
            continue
        last = v.last if v.last.strip() else v.context
        has_ctx = bool(v.context) and last is v.last
        follow = has_ctx and is_follow_up(last)
        f_last = extract(last)
        code = vectorize(f_last) if r.label in ("coding", "prose") else None
        tools = v.tools if r.request.tool_choice != "none" else []
        args = (last, v.context, tools, bool(v.context) and is_follow_up(last), v.used_tools, bool(v.system))
        out.append(
            Prepared(
                r.label,
                code,
                f_last,
                extract(v.context) if has_ctx else None,
                follow,
                args if tools else None,
                r.source or "-",
            )
        )
    return out


def weigh_sources(prepared: Sequence[Prepared]) -> None:
    """Each row's share: mean rows a source / its source's rows (the generated augmentation, no source named, is
    one source). A head weighs a row by share ** power (TrainConfig.source_power, tool_source_power), so that
    big sources do not outweigh the small ones."""
    counts: dict[str, int] = {}
    for p in prepared:
        counts[p.source] = counts.get(p.source, 0) + 1
    mean = len(prepared) / len(counts) if counts else 0.0
    for p in prepared:
        p.share = mean / counts[p.source]


def examples(
    prepared: Sequence[Prepared],
    code_model: LinearModel | None,
    matcher: ToolMatcher,
    powers: tuple[float, float] = (0.0, 0.0),
) -> tuple[list[Example], list[Example]]:
    """Rows for the code head and (given the trained code head, whose P(coding) is one of its features) for
    the tool head."""
    cp, tp = powers
    code = [(p.code, 1 if p.label == "coding" else 0, p.share**cp) for p in prepared if p.code is not None]
    tool: list[Example] = []
    if code_model is not None:
        for p in prepared:
            if p.tool_args is None or p.label == "vision":
                continue
            ask, context, tools, follow_up, used, system = p.tool_args
            p_code = sigmoid(combine_logit(code_model, p.last, p.context, p.follow_up))
            f = tool_features(matcher, ask, context, tools, p_code, follow_up, used, system)
            tool.append((vectorize(f), 1 if p.label == "tool_calling" else 0, p.share**tp))
    return code, tool


def train(
    data: list[Example],
    cfg: TrainConfig,
    l2: float,
    prior: dict[str, float] | None = None,
    log: Callable[[str], None] | None = None,
    on_epoch: Callable[[], None] | None = None,
) -> tuple[float, dict[str, float]]:
    """AdaGrad over the logistic loss, classes weighted to balance. With `prior`, each weight is learned as a
    deviation from its prior value (L2 pulls toward it), and the returned weights include the prior.
    `on_epoch` is called after each epoch (progress reports)."""
    prior = prior or {}
    rng = random.Random(cfg.seed)
    w: dict[str, float] = {}
    g2: dict[str, float] = {}
    b, gb2 = 0.0, 1e-8
    pos = sum(y for _, y, _ in data)
    if not data or pos in (0, len(data)):
        return (4.0 if pos else -4.0), dict(prior)
    cw = {1: len(data) / (2 * pos), 0: len(data) / (2 * (len(data) - pos))}
    order = list(range(len(data)))
    for ep in range(cfg.epochs):
        rng.shuffle(order)
        loss = 0.0
        for i in order:
            feats, y, sw = data[i]
            z = max(-30.0, min(30.0, b + sum((w.get(k, 0.0) + prior.get(k, 0.0)) * x for k, x in feats)))
            p = 1.0 / (1.0 + math.exp(-z))
            loss -= sw * cw[y] * (math.log(p + 1e-12) if y else math.log(1 - p + 1e-12))
            g = sw * cw[y] * (p - y)
            gb2 += g * g
            b -= cfg.lr * g / math.sqrt(gb2)
            for k, x in feats:
                wk = w.get(k, 0.0)
                gk = g * x + l2 * wk
                acc = g2.get(k, 1e-8) + gk * gk
                g2[k] = acc
                w[k] = wk - cfg.lr * gk / math.sqrt(acc)
        if log:
            log(f"epoch {ep + 1}: loss {loss / len(data):.4f}")
        if on_epoch:
            on_epoch()
    for k, v in prior.items():
        w[k] = w.get(k, 0.0) + v
    return b, w


def average(models: Sequence[tuple[float, dict[str, float]]]) -> tuple[float, dict[str, float]]:
    """The mean of linear models (bias, weights): a weight one model lacks counts as 0."""
    w: dict[str, float] = {}
    for _, m in models:
        for k, v in m.items():
            w[k] = w.get(k, 0.0) + v
    return sum(b for b, _ in models) / len(models), {k: v / len(models) for k, v in w.items()}


def fit(
    name: str,
    data: list[Example],
    cfg: TrainConfig,
    log: Callable[[str], None] | None = None,
    on_epoch: Callable[[], None] | None = None,
) -> LinearModel:
    if log:
        log(f"head {name}: {len(data)} rows, {sum(y for _, y, _ in data)} positive")
    l2 = cfg.tool_l2 if name == "tool" else cfg.l2
    table = CODE_PRIOR if name == "code" else TOOL_PRIOR
    prior = {"w" + k: v * cfg.prior for k, v in table.items()} if cfg.prior else None
    b, w = average([train(data, replace(cfg, seed=cfg.seed + i), l2, prior, log, on_epoch) for i in range(cfg.seeds)])
    words = {k[1:]: round(v, 4) for k, v in w.items() if k[0] == "w" and abs(v) >= cfg.min_weight}
    chars = {k[1:]: round(v, 4) for k, v in w.items() if k[0] == "c" and abs(v) >= cfg.min_weight}
    return LinearModel(round(b, 4), words, chars, {"rows": len(data), "epochs": cfg.epochs, "l2": l2})


def fit_classifier(
    rows: Sequence[Row] | Sequence[Prepared],
    cfg: TrainConfig | None = None,
    log: Callable[[str], None] | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict[str, LinearModel]:
    """Both heads trained on `rows` (all Rows or all Prepared): the code head first, then the tool head over
    features that use it. `progress` hears the share of the epochs done, after each."""
    cfg = cfg or TrainConfig()
    prepared = [p for p in rows if isinstance(p, Prepared)] or prepare([r for r in rows if isinstance(r, Row)])
    done = [0]

    def epoch() -> None:
        done[0] += 1
        if progress:
            progress(done[0] / (2 * cfg.epochs * cfg.seeds))

    weigh_sources(prepared)
    powers = (cfg.source_power, cfg.tool_source_power)
    matcher = ToolMatcher()
    code_rows, _ = examples(prepared, None, matcher, powers)
    code = fit("code", code_rows, cfg, log, epoch)
    _, tool_rows = examples(prepared, code, matcher, powers)
    return {"code": code, "tool": fit("tool", tool_rows, cfg, log, epoch)}
