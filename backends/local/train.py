"""`switchpoint drafter train`: train an MTP head for a target model by self-distillation, on CPU
(the default) or on a GPU (`--device cuda`, same steps, larger batches).

1. Extract: run the target over offline text in chunks (transformers' forward pass, a few chunks at
   a time); keep each position's final hidden state, the target's own greedy prediction (the label)
   and the last layer's keys and values. Shards are written as they finish, so an interrupted run
   resumes where it stopped.
2. Train: the head learns to predict the target's next-next predictions from (hidden, next token),
   chained `--depth` steps deep, over a reduced vocabulary (the most frequent target predictions),
   a batch of chunks per step: their positions are scored together, each attending to its own
   chunk's keys only.
   In the target's own answers only the answer's positions are trained and scored: that is where a
   head drafts (the prompt's positions, a fixed chat template among them, are easy and would flatter
   the held-out figure).
   A checkpoint is written after every epoch; a rerun continues from it.
3. Write the head as a small safetensors file, with the held-out draft accuracy in its metadata.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from .convert import switchpoint_home
from .corpus import default_corpus, files_corpus
from .decoder import Decoder
from .mtp import Context, MTPHead
from .selfgen import content_key, self_generated

logger = logging.getLogger(__name__)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="switchpoint drafter train", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help='"smollm2", "gemma3", an HF folder or a .gguf file')
    p.add_argument("--out", type=Path, required=True, help="where to write the head (.safetensors)")
    p.add_argument(
        "--corpus",
        type=Path,
        nargs="*",
        default=[],
        help="text files or folders (default: Python's stdlib source and package docs in site-packages)",
    )
    p.add_argument("--tokens", type=int, default=120_000, help="training tokens of corpus text to extract")
    p.add_argument(
        "--answers",
        type=int,
        default=0,
        help="also train on the target's own greedy answers to "
        "this many chat and code requests built from offline text (selfgen.py)",
    )
    p.add_argument("--answer-tokens", type=int, default=160, help="longest answer generated")
    p.add_argument("--chat-share", type=float, default=0.5, help="share of chat requests among the answers")
    p.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from this head (its vocabulary and shape): fine-tune it on more answers",
    )
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--vocab", type=int, default=8192, help="size of the reduced output vocabulary")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--depth", type=int, default=3, help="chained draft steps trained")
    p.add_argument(
        "--attention",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the head attends to the target's last-layer KV cache (default: on)",
    )
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--sample", type=int, default=96, help="positions per chunk in each training step (0: all)")
    p.add_argument("--batch", type=int, default=8, help="chunks per optimiser step")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--device", default="cpu", help='where to generate, extract and train ("cpu", "cuda")')
    p.add_argument("--gen-batch", type=int, default=16, help="answers generated at a time (extraction: a quarter)")
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


def extract(
    hf: Any,
    chunks: list[tuple[list[int], int]],
    workdir: Path,
    *,
    device: torch.device,
    batch: int = 4,
    shard: int = 16,
    label: str = "",
) -> list[Path]:
    """Per chunk: tokens x, final hidden states h, the target's greedy predictions a, the first
    position trained (its answer's start; 0 for corpus text) and the last layer's keys and values.
    Shards are named by the target (`label`) and their chunks (`content_key`).
    Chunks of a batch are padded at the end: under causal attention the padding changes nothing
    before it."""
    from tqdm.auto import tqdm

    paths = []
    bar = tqdm(total=len(chunks), desc="extract target states", unit="chunk")
    for s in range(0, len(chunks), shard):
        path = workdir / f"features-{content_key(label, chunks[s : s + shard])}.pt"
        paths.append(path)
        if path.exists():
            bar.update(min(shard, len(chunks) - s))
            continue
        items = []
        group = chunks[s : s + shard]
        for b in range(0, len(group), batch):
            part = group[b : b + batch]
            width = max(len(ids) for ids, _ in part)
            ids = torch.tensor([c + [0] * (width - len(c)) for c, _ in part], device=device)
            with torch.inference_mode():
                out = hf.base_model(input_ids=ids, use_cache=True)
                hidden = out.last_hidden_state
                labels = hf.lm_head(hidden).argmax(-1)  # final softcapping (Gemma) keeps the argmax
                cache = getattr(out, "cache", None)  # called past_key_values before transformers 5.2x
                cache = out.past_key_values if cache is None else cache
                last = cache.layers[-1]
            for r, (c, first) in enumerate(part):
                n = len(c)
                items.append(
                    {
                        "x": torch.tensor(c),
                        "h": hidden[r, :n].cpu(),
                        "a": labels[r, :n].cpu(),
                        "first": first,
                        "k": last.keys[r, :, :n].cpu(),
                        "v": last.values[r, :, :n].cpu(),
                    }
                )
            bar.update(len(part))
        torch.save(items, path.with_suffix(".tmp"))
        path.with_suffix(".tmp").rename(path)
    bar.close()
    return paths


def first_start(first: int) -> int:
    """The first start position trained in a chunk whose answer begins at `first`: the prompt's last
    position, whose state predicted the answer's first token (0 for corpus text, where first is 0)."""
    return max(first - 1, 0)


@dataclass(frozen=True, slots=True)
class TargetTables:
    """What training reads of the target, on the training device: its embedding table and scale,
    and its last layer's rotary table and attention scale."""

    embed: Tensor
    embed_scale: Tensor
    cos: Tensor
    sin: Tensor
    attn_scale: float

    @staticmethod
    def of(decoder: Decoder, device: torch.device) -> TargetTables:
        cos, sin = decoder.rope_table(-1)
        return TargetTables(
            decoder.embed.to(device),
            decoder.embed_scale.to(device),
            cos.to(device),
            sin.to(device),
            decoder.arch.attn_scale,
        )

    def embed_tokens(self, tokens: Tensor) -> Tensor:
        return (F.embedding(tokens, self.embed) * self.embed_scale).float()


def head_loss(
    head: MTPHead, target: TargetTables, items: list[dict[str, Any]], remap: Tensor, depth: int, sample: int = 0
) -> tuple[Tensor, list[float], int]:
    """Chained self-distillation loss, accuracy per draft step and positions scored, over a batch of
    chunks. Step j reads (state, embed(x[t+j])) and
    predicts a[t+j], for `sample` random start positions t per chunk (0: all) from the chunk's first
    trained position on. The chunks are laid end to end; with attention, every step's query (at
    position t+j of its chunk) sees its own chunk's keys up to t, as when drafting."""
    offsets, starts, local = [], [], []
    offset = 0
    for item in items:
        n = item["x"].shape[0]
        own = torch.arange(first_start(int(item.get("first", 0))), n - depth, device=item["x"].device)
        if 0 < sample < len(own):
            own = own[torch.randperm(len(own), device=own.device)[:sample]]
        starts.append(own + offset)
        local.append(own)
        offsets.append(torch.full_like(own, offset))
        offset += n
    at, pos, lo = torch.cat(starts), torch.cat(local), torch.cat(offsets)
    x, a = torch.cat([it["x"] for it in items]), torch.cat([it["a"] for it in items])
    state = torch.cat([it["h"] for it in items])[at].float()
    mask = None
    if head.attn is not None:
        keys, values = torch.cat([it["k"] for it in items], dim=1), torch.cat([it["v"] for it in items], dim=1)
        seen = torch.arange(offset, device=at.device)[None, :]
        mask = (seen >= lo[:, None]) & (seen <= at[:, None])
    losses, accs = [], []
    for j in range(1, depth + 1):
        context = None
        if mask is not None:
            context = Context(keys, values, target.cos[pos + j], target.sin[pos + j], target.attn_scale, mask)
        state = head.step(state, target.embed_tokens(x[at + j]), context)
        labels = remap[a[at + j]]
        logits = head.logits(state)
        losses.append(F.cross_entropy(logits, labels, ignore_index=-100))
        accs.append(float((logits.argmax(-1) == labels).float().mean()))
    return torch.stack(losses).mean(), accs, at.numel()


def reduced_vocab(paths: list[Path], size: int, always: set[int]) -> Tensor:
    counts: Counter[int] = Counter()
    for path in paths:
        for item in torch.load(path):
            counts.update(item["a"][first_start(int(item.get("first", 0))) :].tolist())
    ids = [i for i in always] + [i for i, _ in counts.most_common(size) if i not in always]
    return torch.tensor(sorted(ids[:size]))


def training_chunks(
    args: argparse.Namespace, loaded: Any, workdir: Path, data: dict[str, object]
) -> list[tuple[list[int], int]]:
    """(tokens, first position trained) per chunk: corpus text (`--tokens`) and the target's own
    answers (`--answers`, generated once under workdir), shuffled together. What they came from goes
    into `data`, for the head's metadata."""
    from .loader import stop_token_ids

    chunks: list[tuple[list[int], int]] = []
    if args.tokens > 0:
        texts = files_corpus(args.corpus) if args.corpus else default_corpus(args.seed)
        chunks = [(c, 0) for c in chunk_corpus(loaded.tokenizer, texts, args.seq_len, args.tokens)]
        logger.info("%d chunks of <=%d tokens from %d texts", len(chunks), args.seq_len, len(texts))
        data["corpus"] = [str(c) for c in args.corpus] or "python-stdlib+site-packages-docs"
    if args.answers:
        stops = stop_token_ids(loaded.tokenizer, loaded.hf)
        answers = self_generated(
            loaded,
            stops,
            workdir,
            count=args.answers,
            max_new=args.answer_tokens,
            max_prompt=args.seq_len - args.answer_tokens,
            seed=args.seed,
            batch=args.gen_batch,
            chat_share=args.chat_share,
        )
        chunks = [
            (seq[: args.seq_len], first) for seq, first in answers if min(len(seq), args.seq_len) - first > args.depth
        ] + chunks  # room for a full chain
        random.Random(args.seed).shuffle(chunks)
        data["self_generated_answers"] = len(answers)
    return chunks


def start_head(
    args: argparse.Namespace, loaded: Any, train_paths: list[Path], data: dict[str, object]
) -> tuple[MTPHead, Tensor]:
    """The head to train and its vocabulary: the one `--init` names (fine-tuning; recorded in `data`),
    else a new head over the target's most frequent predictions (and its stop tokens)."""
    from .loader import stop_token_ids

    if args.init is not None:
        head, base = MTPHead.load(args.init, dtype=torch.float32)
        head.train()
        data["init"] = {"head": args.init.name, **base}
        return head, head.vocab_ids
    arch = loaded.decoder.arch
    vocab = reduced_vocab(train_paths, args.vocab, set(stop_token_ids(loaded.tokenizer, loaded.hf)))
    attn = (arch.n_heads, arch.n_kv_heads, arch.head_dim) if args.attention else None
    return MTPHead(arch.dim, vocab, attn=attn), vocab


def warmup_cosine(total_steps: int, done: int) -> Callable[[int], float]:
    """The learning rate's factor at each step: linear warm-up over the first 5% of `total_steps`,
    then cosine decay; counted from `done` steps taken before a resume."""
    warm = max(1, total_steps // 20)

    def factor(step: int) -> float:
        step += done
        return min(1.0, (step + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(step / total_steps, 1)))

    return factor


def fit(
    head: MTPHead,
    target: TargetTables,
    items: list[dict[str, Any]],
    remap: Tensor,
    args: argparse.Namespace,
    ckpt: Path,
) -> None:
    """`args.epochs` epochs of AdamW over `items`, a batch of chunks a step, from the checkpoint's
    epoch where there is one; the checkpoint is written after every epoch."""
    from tqdm.auto import tqdm

    device = torch.device(args.device)
    opt = torch.optim.AdamW([p for p in head.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0)
    start_epoch = 0
    if ckpt.exists():
        state = torch.load(ckpt, map_location=device)
        head.load_state_dict(state["head"])
        opt.load_state_dict(state["opt"])
        start_epoch = state["epoch"]
        logger.info("resuming from %s (epoch %d)", ckpt, start_epoch)
    per_epoch = math.ceil(len(items) / args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(args.epochs * per_epoch, start_epoch * per_epoch))
    rng = random.Random(args.seed)
    for epoch in range(start_epoch, args.epochs):
        rng.shuffle(items)
        bar = tqdm(range(0, len(items), args.batch), desc=f"train epoch {epoch + 1}/{args.epochs}", unit="batch")
        for b in bar:
            opt.zero_grad()
            with torch.autocast(device.type, dtype=torch.bfloat16):
                loss, accs, _ = head_loss(head, target, items[b : b + args.batch], remap, args.depth, args.sample)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
            opt.step()
            sched.step()
            bar.set_postfix(loss=f"{loss.item():.3f}", acc1=f"{accs[0]:.3f}", refresh=False)
        torch.save({"head": head.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1}, ckpt)


def train(args: argparse.Namespace) -> int:
    from .loader import load_model

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    loaded = load_model(args.model, max_len=args.seq_len, threads=args.threads or None)
    if loaded.decoder is None:
        logger.error("MTP training needs a natively supported target (Llama or Gemma 3)")
        return 2
    decoder = loaded.decoder
    loaded.hf.to(device)
    workdir = args.workdir or switchpoint_home() / "drafter-train" / loaded.label
    workdir.mkdir(parents=True, exist_ok=True)
    data: dict[str, object] = {}
    chunks = training_chunks(args, loaded, workdir, data)
    if not chunks:
        logger.error("nothing to train on: give --tokens and/or --answers")
        return 2
    paths = extract(loaded.hf, chunks, workdir, device=device, batch=args.gen_batch // 4 or 1, label=loaded.label)
    held_out = paths[-1:] if len(paths) > 1 else []
    train_paths = paths[: len(paths) - len(held_out)]
    head, vocab = start_head(args, loaded, train_paths, data)
    remap = torch.full((decoder.vocab_size,), -100, dtype=torch.long)
    remap[vocab] = torch.arange(len(vocab))
    remap = remap.to(device)
    head.to(device)
    head.attach(decoder.lm_head.to(device).float())
    target = TargetTables.of(decoder, device)
    # named by what training starts from: a rerun of the same resumes, other data or another --init starts anew
    init = hashlib.sha256(args.init.read_bytes()).hexdigest() if args.init is not None else None
    key = content_key([p.name for p in paths], vocab.tolist(), args.depth, head.attn is not None, init)
    ckpt = workdir / f"train-{key}.pt"
    fit(head, target, [_to(it, device) for p in train_paths for it in torch.load(p)], remap, args, ckpt)
    accs = evaluate(head, target, held_out, remap, args.depth, args.batch, device)
    meta = {
        "target": loaded.label,
        "tokens": sum(len(c) for c, _ in chunks),
        "trained_tokens": sum(len(c) - first_start(first) for c, first in chunks),
        **data,
        "depth": args.depth,
        "vocab": len(vocab),
        "heldout_accuracy": accs,
        "epochs": args.epochs,
        "device": device.type,
        "trained_at": time.strftime("%Y-%m-%d"),
    }
    head.cpu().save(args.out, meta)
    logger.info("wrote %s; held-out draft accuracy per step %s", args.out, accs)
    return 0


def _to(item: dict[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, Tensor) else v for k, v in item.items()}


@torch.no_grad()
def evaluate(
    head: MTPHead, target: TargetTables, paths: list[Path], remap: Tensor, depth: int, batch: int, device: torch.device
) -> list[float]:
    """Held-out accuracy of draft step j over every trained position, against the target's own greedy
    prediction."""
    items = [_to(it, device) for p in paths for it in torch.load(p)]
    per_step: list[list[tuple[float, int]]] = [[] for _ in range(depth)]
    for b in range(0, len(items), batch):
        _, accs, count = head_loss(head, target, items[b : b + batch], remap, depth)
        for j, acc in enumerate(accs):
            per_step[j].append((acc, count))
    return [round(sum(a * n for a, n in steps) / sum(n for _, n in steps), 4) for steps in per_step if steps]


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return train(parse_args(argv))
