"""Sampling and the speculative acceptance rule, written out.

Plain sampling turns logits into the processed distribution p (temperature, then top-k, then top-p)
and draws from it. Speculative sampling must produce exactly that distribution:

    for each draft token d_i drawn from the drafter's distribution q_i:
        accept d_i with probability min(1, p_i(d_i) / q_i(d_i))
        on the first rejection, draw the replacement from norm(max(p_i - q_i, 0)) and stop
    if every draft is accepted, draw a bonus token from p_{k} (the position after the last draft)

p here is the *processed* target distribution, the same one plain sampling draws from, and q must
be the distribution the drafts were really drawn from (a deterministic drafter has a one-hot q).
Greedy decoding is the temperature-0 limit: keep the longest prefix equal to the target's argmax.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(slots=True)
class Sampler:
    temperature: float = 0.0  # 0: greedy
    top_k: int = 0  # 0: off
    top_p: float = 1.0  # 1: off
    generator: torch.Generator | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0

    def probs(self, logits: Tensor) -> Tensor:
        """The processed distribution over the last dimension (float32), as plain sampling uses it."""
        logits = logits.float() / max(self.temperature, 1e-5)
        if self.top_k > 0 and self.top_k < logits.shape[-1]:
            kth = torch.topk(logits, self.top_k, dim=-1).values[..., -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        if self.top_p < 1.0:
            sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
            cum = sorted_logits.softmax(-1).cumsum(-1)
            drop = cum - sorted_logits.softmax(-1) >= self.top_p  # keep the smallest prefix reaching top_p
            sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
            logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
        return logits.softmax(-1)

    def draw(self, probs: Tensor) -> int:
        return int(torch.multinomial(probs, 1, generator=self.generator).item())

    def uniform(self) -> float:
        return float(torch.rand((), generator=self.generator).item())

    def next_token(self, logits: Tensor) -> int:
        """Plain decoding: argmax when greedy, else a draw from the processed distribution."""
        if self.greedy:
            return int(logits.argmax(-1).item())
        return self.draw(self.probs(logits))


def accept_greedy(target_logits: Tensor, drafts: list[int]) -> tuple[int, int]:
    """Longest prefix of `drafts` equal to the target's argmax, and the target's token after it.

    target_logits[i] is the target's prediction at draft position i (row k is the bonus position).
    """
    best = target_logits.argmax(-1).tolist()
    n = 0
    while n < len(drafts) and drafts[n] == best[n]:
        n += 1
    return n, int(best[n])


def accept_sampling(p: Tensor, q: Tensor | None, drafts: list[int], sampler: Sampler) -> tuple[int, int]:
    """Exact speculative sampling. p: processed target probs [k+1, V]; q: draft probs [k, V] or None
    for a deterministic drafter (one-hot q). Returns (accepted count, next token)."""
    for i, d in enumerate(drafts):
        q_d = 1.0 if q is None else float(q[i, d])
        p_d = float(p[i, d])
        # accept with probability min(1, p/q); q_d > 0 because d was drawn from q
        if q_d > 0 and sampler.uniform() * q_d < p_d:
            continue
        if q is None:
            residual = p[i].clone()
            residual[d] = 0.0
        else:
            residual = (p[i] - q[i]).clamp_min(0.0)
        total = float(residual.sum())
        # p == q on the support: the residual is empty (rejection had probability 0); draw from p
        return i, sampler.draw(residual / total if total > 0 else p[i])
    return len(drafts), sampler.draw(p[len(drafts)])
