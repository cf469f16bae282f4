"""`switchpoint drafter train`: train an MTP head for a target model on CPU by self-distillation.

1. Extract: run the target over offline text in chunks; keep each position's final hidden state and
   the target's own greedy prediction (the label). Shards are written as they finish, so an
   interrupted run resumes where it stopped.
2. Train: the head learns to predict the target's next-next predictions from (hidden, next token),
   chained `--depth` steps deep, over a reduced vocabulary (the most frequent target predictions).
   In the target's own answers only the answer's positions are trained and scored: that is where a
   head drafts (the prompt's positions, a fixed chat template among them, are easy and would flatter
   the held-out figure).
   A checkpoint is written after every epoch; a rerun continues from it.
3. Write the head as a small safetensors file, with the held-out draft accuracy in its metadata.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from .convert import switchpoint_home
from .corpus import default_corpus, files_corpus
from .decoder import Decoder
from .mtp import Context, MTPHead
from .selfgen import self_generated

logger = logging.getLogger(__name__)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="switchpoint drafter train", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help='"smollm2", "gemma3", an HF folder or a .gguf file')
    p.add_argument("--out", type=Path, required=True, help="where to write the head (.safetensors)")
    p.add_argument("--corpus", type=Path, nargs="*", default=[], help="text files or folders (default: "
                   "Python's stdlib source and package docs in site-packages)")
    p.add_argument("--tokens", type=int, default=120_000, help="training tokens of corpus text to extract")
    p.add_argument("--answers", type=int, default=0, help="also train on the target's own greedy answers to "
                   "this many chat and code requests built from offline text (selfgen.py)")
    p.add_argument("--answer-tokens", type=int, default=160, help="longest answer generated")
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--vocab", type=int, default=8192, help="size of the reduced output vocabulary")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--depth", type=int, default=3, help="chained draft steps trained")
    p.add_argument("--attention", action=argparse.BooleanOptionalAction, default=True,
                   help="the head attends to the target's last-layer KV cache (default: on)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--sample", type=int, default=96, help="positions per chunk in each training step (0: all)")
    p.add_argument("--batch", type=int, default=8, help="chunks per optimiser step")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--workdir", type=Path, default=None, help="shards and checkpoints (resumable)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def chunk_corpus(tokenizer: Any, texts: list[tuple[str, str]], seq_len: int, limit: int) -> list[list[int]]:
    chunks: list[list[int]] = []
    for _, text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        chunks.extend(ids[i : i + seq_len] for i in range(0, len(ids) - seq_len // 2, seq_len))
        if len(chunks) * seq_len >= limit:
            break
    return [c for c in chunks if len(c) >= 16][: math.ceil(limit / seq_len)]


def extract(decoder: Decoder, chunks: list[tuple[list[int], int]], workdir: Path, shard: int = 16) -> list[Path]:
    """Per chunk: tokens x, final hidden states h, the target's greedy predictions a, the first
    position trained (its answer's start; 0 for corpus text) and the last layer's keys and values."""
    from tqdm.auto import tqdm

    paths = []
    bar = tqdm(total=len(chunks), desc="extract target states", unit="chunk")
    for s in range(0, len(chunks), shard):
        path = workdir / f"features-{s // shard:05d}.pt"
        paths.append(path)
        if path.exists():
            bar.update(min(shard, len(chunks) - s))
            continue
        items = []
        for ids, first in chunks[s : s + shard]:
            logits, hidden = decoder.forward(torch.tensor(ids), 0)
            keys, values = decoder.layer_cache(-1)
            items.append({"x": torch.tensor(ids), "h": hidden.clone(), "a": logits.argmax(-1), "first": first,
                          "k": keys[:, : len(ids)].to(hidden.dtype, copy=True),
                          "v": values[:, : len(ids)].to(hidden.dtype, copy=True)})
            bar.update()
        torch.save(items, path.with_suffix(".tmp"))
        path.with_suffix(".tmp").rename(path)
    bar.close()
    return paths


def first_start(first: int) -> int:
    """The first start position trained in a chunk whose answer begins at `first`: the prompt's last
    position, whose state predicted the answer's first token (0 for corpus text, where first is 0)."""
    return max(first - 1, 0)


def head_loss(
    head: MTPHead, target: Decoder, embed: Tensor, item: dict[str, Any], remap: Tensor, depth: int, sample: int = 0
) -> tuple[Tensor, list[float]]:
    """Chained self-distillation loss. Step j reads (state, embed(x[t+j])) and predicts a[t+j], for
    `sample` random start positions t (0: all) from the chunk's first trained position on; with
    attention, every step's query (at position t+j) sees the target's keys up to t, as when drafting."""
    x, h, a = item["x"], item["h"].float(), item["a"]
    starts = torch.arange(first_start(int(item.get("first", 0))), max(x.shape[0] - depth, 1))
    if 0 < sample < len(starts):
        starts = starts[torch.randperm(len(starts))[:sample]]
    state, losses, accs = h[starts], [], []
    mask = torch.arange(x.shape[0])[None, :] <= starts[:, None] if head.attn is not None else None
    for j in range(1, depth + 1):
        if int(starts.max()) + j >= x.shape[0]:
            break
        context = Context.of(target, item["k"], item["v"], starts + j, mask) if mask is not None else None
        state = head.step(state, embed[x[starts + j]].float(), context)
        labels = remap[a[starts + j]]
        logits = head.logits(state)
        losses.append(F.cross_entropy(logits, labels, ignore_index=-100))
        accs.append(float((logits.argmax(-1) == labels).float().mean()))
    return torch.stack(losses).mean(), accs


def reduced_vocab(paths: list[Path], size: int, always: set[int]) -> Tensor:
    counts: Counter[int] = Counter()
    for path in paths:
        for item in torch.load(path):
            counts.update(item["a"][first_start(int(item.get("first", 0))) :].tolist())
    ids = [i for i in always] + [i for i, _ in counts.most_common(size) if i not in always]
    return torch.tensor(sorted(ids[:size]))


def train(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from .loader import load_model, stop_token_ids

    torch.manual_seed(args.seed)
    loaded = load_model(args.model, max_len=args.seq_len, threads=args.threads or None)
    if loaded.decoder is None:
        logger.error("MTP training needs a natively supported target (Llama or Gemma 3)")
        return 2
    decoder = loaded.decoder
    workdir = args.workdir or switchpoint_home() / "drafter-train" / loaded.label
    workdir.mkdir(parents=True, exist_ok=True)
    chunks: list[tuple[list[int], int]] = []  # tokens, first position trained
    data: dict[str, object] = {}
    if args.tokens > 0:
        texts = files_corpus(args.corpus) if args.corpus else default_corpus(args.seed)
        chunks = [(c, 0) for c in chunk_corpus(loaded.tokenizer, texts, args.seq_len, args.tokens)]
        logger.info("%d chunks of <=%d tokens from %d texts", len(chunks), args.seq_len, len(texts))
        data["corpus"] = [str(c) for c in args.corpus] or "python-stdlib+site-packages-docs"
    if args.answers:
        stops = stop_token_ids(loaded.tokenizer, loaded.hf)
        answers = self_generated(loaded, stops, workdir, count=args.answers, max_new=args.answer_tokens,
                                 max_prompt=args.seq_len - args.answer_tokens, seed=args.seed)
        chunks = [(seq[: args.seq_len], first) for seq, first in answers
                  if min(len(seq), args.seq_len) - first > args.depth] + chunks  # room for a full chain
        random.Random(args.seed).shuffle(chunks)
        data["self_generated_answers"] = len(answers)
    if not chunks:
        logger.error("nothing to train on: give --tokens and/or --answers")
        return 2
    paths = extract(decoder, chunks, workdir)
    held_out = paths[-1:] if len(paths) > 1 else []
    train_paths = paths[: len(paths) - len(held_out)]
    vocab = reduced_vocab(train_paths, args.vocab, set(stop_token_ids(loaded.tokenizer, loaded.hf)))
    remap = torch.full((decoder.vocab_size,), -100, dtype=torch.long)
    remap[vocab] = torch.arange(len(vocab))
    arch = decoder.arch
    head = MTPHead(arch.dim, vocab, attn=(arch.n_heads, arch.n_kv_heads, arch.head_dim) if args.attention else None)
    head.attach(decoder.lm_head.float())
    embed = decoder.embed_tokens(torch.arange(decoder.vocab_size)).float() if decoder.vocab_size < 70000 else None
    opt = torch.optim.AdamW([p for p in head.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0)
    ckpt = workdir / f"train-{len(vocab)}-{args.depth}{'-attn' if args.attention else ''}.pt"
    start_epoch = 0
    if ckpt.exists():
        state = torch.load(ckpt)
        head.load_state_dict(state["head"])
        opt.load_state_dict(state["opt"])
        start_epoch = state["epoch"]
        logger.info("resuming from %s (epoch %d)", ckpt, start_epoch)
    items = [it for p in train_paths for it in torch.load(p)]
    total_steps = args.epochs * math.ceil(len(items) / args.batch)
    warm = max(1, total_steps // 20)
    done = start_epoch * math.ceil(len(items) / args.batch)  # optimiser steps taken before a resume

    def lr_factor(step: int) -> float:  # linear warm-up, then cosine decay
        step += done
        return min(1.0, (step + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(step / total_steps, 1)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    rng = random.Random(args.seed)
    for epoch in range(start_epoch, args.epochs):
        rng.shuffle(items)
        bar = tqdm(range(0, len(items), args.batch), desc=f"train epoch {epoch + 1}/{args.epochs}", unit="batch")
        for b in bar:
            opt.zero_grad()
            accs: list[float] = []
            for item in items[b : b + args.batch]:
                table = embed if embed is not None else _embed_rows(decoder, item["x"])
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    loss, acc = head_loss(head, decoder, table, _local(item, embed is None), remap, args.depth,
                                          args.sample)
                (loss / args.batch).backward()
                accs.append(acc[0])
            torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
            opt.step()
            sched.step()
            bar.set_postfix(loss=f"{loss.item():.3f}", acc1=f"{sum(accs) / len(accs):.3f}")
        torch.save({"head": head.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1}, ckpt)
    accs = evaluate(head, decoder, held_out, remap, args.depth, embed)
    meta = {"target": loaded.label, "tokens": sum(len(c) for c, _ in chunks),
            "trained_tokens": sum(len(c) - first_start(first) for c, first in chunks), **data, "depth": args.depth,
            "vocab": len(vocab), "heldout_accuracy": accs, "epochs": args.epochs,
            "trained_at": time.strftime("%Y-%m-%d")}
    head.save(args.out, meta)
    logger.info("wrote %s; held-out draft accuracy per step %s", args.out, accs)
    return 0


def _embed_rows(decoder: Decoder, x: Tensor) -> Tensor:
    """Embedding rows for a chunk only (huge vocabularies): indexed through _local()."""
    return decoder.embed_tokens(x.unique()).float()


def _local(item: dict[str, Any], remap_tokens: bool) -> dict[str, Any]:
    if not remap_tokens:
        return item
    _, inverse = item["x"].unique(return_inverse=True)
    return {**item, "x": inverse}


@torch.no_grad()
def evaluate(head: MTPHead, decoder: Decoder, paths: list[Path], remap: Tensor, depth: int,
             embed: Tensor | None) -> list[float]:
    """Held-out accuracy of draft step j, measured against the target's own greedy prediction."""
    per_step: list[list[float]] = [[] for _ in range(depth)]
    for path in paths:
        for item in torch.load(path):
            table = embed if embed is not None else _embed_rows(decoder, item["x"])
            _, accs = head_loss(head, decoder, table, _local(item, embed is None), remap, depth)
            for j, acc in enumerate(accs):
                per_step[j].append(acc)
    return [round(sum(a) / len(a), 4) for a in per_step if a]


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return train(parse_args(argv))
