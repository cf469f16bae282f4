"""Drafters: cheap guesses of the next few tokens, which the target then verifies in one pass.

- MTPDrafter: a trained head over the target's hidden state (mtp.py); no KV cache of its own.
- ModelDrafter: a separate small model with the same tokenizer, with its own KV cache.
- NgramDrafter: prompt lookup; copies what followed the latest earlier occurrence of the last tokens.

Each returns the distributions its tokens were drawn from (`Draft.q`), so that speculative sampling
stays exact; n-gram lookup is deterministic (one-hot q, given as None).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .decoder import Decoder
from .generate import Draft
from .mtp import Context, MTPHead
from .sampling import Sampler


class NgramDrafter:
    """The longest of the last n_max..n_min tokens that occurred before, and what followed its latest
    earlier occurrence. The history's n-grams are indexed as it grows (the index follows one request's
    history list, rebuilt when another comes), so a step costs the same at 100 tokens as at 10,000."""

    def __init__(self, n_max: int = 4, n_min: int = 1) -> None:
        self.n_max, self.n_min = n_max, n_min
        self._history: list[int] | None = None
        self._indexed = 0  # tokens of the history indexed so far
        self._latest: dict[int, dict[tuple[int, ...], int]] = {}  # n -> n-gram -> its latest start

    def begin(self, prompt: list[int]) -> None:
        self._history = None

    def _index(self, history: list[int]) -> None:
        """Every n-gram followed by at least one token, at its latest start."""
        if history is not self._history or len(history) < self._indexed:
            self._history, self._indexed = history, 0
            self._latest = {n: {} for n in range(self.n_min, self.n_max + 1)}
        size = len(history)
        for n, latest in self._latest.items():
            low = max(0, self._indexed - n)
            if low >= size - n:
                continue
            grams = zip(*(history[low + i : size - n + i] for i in range(n)), strict=True)
            latest.update(zip(grams, range(low, size - n), strict=True))  # later starts overwrite earlier ones
        self._indexed = size

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        self._index(history)
        size = len(history)
        for n in range(min(self.n_max, size - 1), self.n_min - 1, -1):
            start = self._latest[n].get(tuple(history[size - n :]))
            if start is not None:
                return Draft(history[start + n : start + n + k])
        return Draft([])


class MTPDrafter:
    """The MTP head; with `lookup`, a long n-gram match in the context (code edits, quoted text) is
    proposed instead, since copying beats a small head there.

    Where the head is unsure it drafts less, since an unsure guess is seldom accepted and each one
    costs a head step and a verified row: no draft at all when its first token's probability is below
    `min_first_confidence` (a plain step instead), and after the first token, none whose probability
    is below `min_confidence`. Greedy drafts also carry up to `siblings` runner-up first tokens whose
    probability is at least `sibling_min`: verified in the same pass, one that is right still yields
    two tokens where the first guess was wrong. And each row must be worth its cost on this machine
    (`row_cost`, a verified row's share of a plain step): a token is drafted only while the chance
    that it and every token before it pass (the product of their probabilities) is at least that, and a
    sibling only where its own probability is, since either gains a token with that chance."""

    def __init__(
        self,
        target: Decoder,
        head: MTPHead,
        lookup: NgramDrafter | None = None,
        *,
        min_confidence: float = 0.0,
        min_first_confidence: float = 0.0,
        siblings: int = 0,
        sibling_min: float = 0.1,
    ) -> None:
        self.target = target
        self.head = head.to(target.device, target.dtype)
        self.head.attach(target.lm_head)
        if target.kernels == "int4" and target.q4 is not None:
            self.head.quantize(target.q4)  # before pack(): products the target's way, 4-bit
        self.vocab = head.vocab_ids.cpu()  # the reduced vocabulary, where sampling runs
        self.head.pack()
        self.lookup = lookup
        self.min_confidence, self.min_first_confidence = min_confidence, min_first_confidence
        self.siblings, self.sibling_min = siblings, sibling_min

    def begin(self, prompt: list[int]) -> None:
        if self.lookup is not None:
            self.lookup.begin(prompt)

    @torch.inference_mode()
    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        if self.lookup is not None:
            copied = self.lookup.propose(history, hidden, k, sampler)
            if len(copied.tokens) >= min(k, 2):
                return copied
        tokens: list[int] = []
        qs: list[Tensor] = []
        siblings: list[int] = []
        h, tok = hidden[None], history[-1]
        vocab = self.vocab
        pos = len(history) - 1  # the pending token's position: the target's cache holds the ones before it
        chance = 1.0  # that every token drafted so far passes, as the head sees it
        for depth in range(k):
            context = Context.cached(self.target, pos, pos + depth) if self.head.attn is not None else None
            g = self.head.step(h, self.target.embed_tokens(torch.tensor([tok])), context)
            reduced = self.head.logits(g)[0].cpu()
            if sampler.greedy:
                probs = torch.softmax(reduced, -1)
                top, best = (x.tolist() for x in probs.topk(1 + (self.siblings if depth == 0 else 0)))
                chance *= top[0]
                if top[0] < (self.min_confidence if depth else self.min_first_confidence) or chance < row_cost:
                    break
                tok = int(vocab[best[0]])
                if depth == 0:
                    least = max(self.sibling_min, row_cost)
                    siblings = [int(vocab[i]) for p, i in zip(top[1:], best[1:], strict=True) if p >= least]
            else:
                full = torch.full((self.target.vocab_size,), float("-inf"), dtype=torch.float32)
                full[vocab] = reduced
                q = sampler.probs(full)
                sure = float(q.max())
                chance *= sure
                if sure < (self.min_confidence if depth else self.min_first_confidence) or chance < row_cost:
                    break
                tok = sampler.draw(q)
                qs.append(q)
            tokens.append(tok)
            h = g
        return Draft(tokens, torch.stack(qs) if qs else None, siblings)


class ModelDrafter:
    """A small same-tokenizer model; its KV cache keeps the prefix it shares with the history."""

    def __init__(self, model: Decoder) -> None:
        self.model = model
        self.fed: list[int] = []

    def begin(self, prompt: list[int]) -> None:
        self.fed = []

    @torch.inference_mode()
    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        common = 0
        limit = min(len(self.fed), len(history) - 1)
        while common < limit and self.fed[common] == history[common]:
            common += 1
        k = min(k, self.model.max_len - len(history) - 1)
        if k <= 0:
            return Draft([])
        logits, _ = self.model.forward(torch.tensor(history[common:]), common)
        self.fed = list(history)
        tokens: list[int] = []
        qs: list[Tensor] = []
        row = logits[-1]
        for i in range(k):
            if sampler.greedy:
                tok = int(row.argmax())
            else:
                q = sampler.probs(row)
                tok = sampler.draw(q)
                qs.append(q)
            tokens.append(tok)
            if i + 1 < k:
                out, _ = self.model.forward(torch.tensor([tok]), len(self.fed))
                self.fed.append(tok)
                row = out[-1]
        return Draft(tokens, torch.stack(qs) if qs else None)
