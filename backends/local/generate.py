"""The decoding loop, as small functions that return their statistics (in the style of gpt-fast).

The loop keeps one invariant between steps: the target's KV cache holds `pos` tokens, `pending` is
the newest token (known but not yet fed to the target) and `hidden` is the target's final hidden
state at position pos-1, the one that predicted `pending`. A draft step feeds [pending, d1..dk] at
`pos` in one target pass, keeps the accepted prefix and moves `pos` past it; rejected positions are
left in the cache and overwritten later (rolling back is just not advancing `pos`). A greedy draft may
add siblings, other guesses for d1 verified in the same pass: when the target's token is one of them,
that sibling's row gives the token after it too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import torch
from torch import Tensor

from .sampling import Sampler, accept_greedy, accept_sampling


class Target(Protocol):
    max_len: int

    @property
    def vocab_size(self) -> int: ...

    def forward(self, tokens: Tensor, pos: int, siblings: int = 0) -> tuple[Tensor, Tensor]: ...

    def keep_sibling(self, pos: int, row: int) -> None: ...


@dataclass(slots=True)
class Draft:
    tokens: list[int]
    q: Tensor | None = None  # [len(tokens), V] distributions the tokens were drawn from; None: one-hot
    siblings: list[int] = field(default_factory=list)  # other guesses for tokens[0] (greedy only)


class Drafter(Protocol):
    def begin(self, prompt: list[int]) -> None:
        """A new request starts with this prompt."""

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler) -> Draft:
        """Up to k tokens to follow `history` (whose last token is pending); hidden: the target's
        state that predicted it."""
        ...


@dataclass(slots=True)
class DecodeStats:
    prompt_tokens: int = 0
    new_tokens: int = 0
    proposed: int = 0
    accepted: int = 0
    target_steps: int = 0
    prefill_s: float = 0.0
    decode_s: float = 0.0
    accept_histogram: list[int] = field(default_factory=list)  # accepted drafts per draft step
    speculation_off_at: int | None = None  # new_tokens count when speculation first paused (stopped paying)

    @property
    def acceptance_length(self) -> float:
        """Tokens committed per draft step (accepted drafts + the target's own token)."""
        steps = len(self.accept_histogram)
        return (sum(self.accept_histogram) + steps) / steps if steps else 1.0

    @property
    def decode_tokens_per_s(self) -> float:
        return (self.new_tokens - 1) / self.decode_s if self.decode_s > 0 and self.new_tokens > 1 else 0.0


def prefill(target: Target, prompt: list[int], sampler: Sampler) -> tuple[int, Tensor, Tensor]:
    """Run the prompt; return the first new token, its producing hidden state and its logits."""
    logits, hidden = target.forward(torch.tensor(prompt, dtype=torch.long), 0)
    return sampler.next_token(logits[-1]), hidden[-1], logits[-1]


def decode_one_token(target: Target, token: int, pos: int, sampler: Sampler) -> tuple[int, Tensor]:
    logits, hidden = target.forward(torch.tensor([token], dtype=torch.long), pos)
    return sampler.next_token(logits[-1]), hidden[-1]


def speculative_decode(
    target: Target, draft: Draft, pending: int, pos: int, sampler: Sampler
) -> tuple[list[int], Tensor]:
    """Verify `draft` after `pending` in one target pass. Returns the committed tokens (accepted
    drafts plus the target's correction or bonus token) and the hidden state that produced the last
    one; len(result) - 1 drafts were accepted."""
    siblings = draft.siblings if sampler.greedy else []
    fed = torch.tensor([pending, *draft.tokens, *siblings], dtype=torch.long)
    logits, hidden = target.forward(fed, pos, len(siblings))
    if not sampler.greedy:
        n, nxt = accept_sampling(sampler.probs(logits), draft.q, draft.tokens, sampler)
        return [*draft.tokens[:n], nxt], hidden[n]
    n, nxt = accept_greedy(logits[: len(fed) - len(siblings)], draft.tokens)
    if n == 0 and nxt in siblings:
        row = len(fed) - len(siblings) + siblings.index(nxt)
        target.keep_sibling(pos, row)
        return [nxt, sampler.next_token(logits[row])], hidden[row]
    return [*draft.tokens[:n], nxt], hidden[n]


@dataclass(slots=True)
class SpecPolicy:
    """Adaptive draft length (+1 when all drafts pass, -1 otherwise) and the switch-off rule.

    Speculation stops paying when, over the last `window` draft steps, no draft was accepted, or the
    tokens committed per second of drafting and verifying fall below the rate of plain decoding steps
    (measured in the same request: after `window` draft steps, one step is a plain one). It is judged
    by time, not by a fixed acceptance rate, since what a draft step costs depends on the machine and
    the model (verifying five SmolLM2 tokens: about 1.05x one step on an Intel CPU with AMX, 1.44x on
    an AMD Zen 5 without it). When it stops paying, the request decodes plainly for `pause` tokens,
    then tries again; each new failure doubles the pause, since how well a drafter guesses changes
    along an answer (prose, then code, then a list)."""

    k: int = 4
    k_min: int = 1
    k_max: int = 8
    window: int = 8  # draft steps judged together
    switch_off: bool = True  # False: speculate to the end, whatever it pays
    pause: int = 16  # tokens decoded plainly after speculation stopped paying; doubles each time

    def update(self, proposed: int, accepted: int) -> None:
        if proposed and accepted == proposed:
            self.k = min(self.k + 1, self.k_max)
        elif proposed:
            self.k = max(self.k - 1, self.k_min)

    def still_pays(self, steps: list[tuple[int, int, float]], plain_step_s: float | None) -> bool:
        """steps: (accepted drafts, committed tokens, seconds) per draft step so far."""
        recent = steps[-self.window :]
        if not self.switch_off or len(recent) < self.window:
            return True
        if sum(accepted for accepted, _, _ in recent) == 0:
            return False
        if plain_step_s is None:
            return True
        seconds = sum(s for _, _, s in recent)
        return sum(committed for _, committed, _ in recent) * plain_step_s >= seconds


def generate(
    target: Target,
    prompt: list[int],
    sampler: Sampler,
    *,
    max_new_tokens: int,
    stop_ids: frozenset[int] = frozenset(),
    drafter: Drafter | None = None,
    policy: SpecPolicy | None = None,
    stats: DecodeStats | None = None,
) -> Iterator[list[int]]:
    """Yield blocks of newly committed tokens (a stop token ends the output and is not yielded).

    The caller may close the iterator at any time (cancellation, stop sequence)."""
    stats = stats if stats is not None else DecodeStats()
    policy = policy or SpecPolicy()
    stats.prompt_tokens = len(prompt)
    if max_new_tokens <= 0:
        return
    start = time.perf_counter()
    pending, hidden, _ = prefill(target, prompt, sampler)
    stats.prefill_s = time.perf_counter() - start
    stats.target_steps = 1
    history = [*prompt, pending]
    pos = len(prompt)
    paused_until, pause = 0, policy.pause  # speculation is off while pos < paused_until
    if drafter is not None:
        drafter.begin(prompt)
    block = [pending]
    steps: list[tuple[int, int, float]] = []  # per draft step: accepted, committed, seconds
    plain_step_s: float | None = None
    decode_start = time.perf_counter()
    while True:
        stopped = False
        for i, tok in enumerate(block):
            if tok in stop_ids:
                block, stopped = block[:i], True
                break
        block = block[: max_new_tokens - stats.new_tokens]
        if block:
            stats.new_tokens += len(block)
            stats.decode_s = time.perf_counter() - decode_start
            yield block
        if stopped or stats.new_tokens >= max_new_tokens:
            return
        # once there is something to judge, one plain step measures what drafting must beat
        probe = policy.switch_off and plain_step_s is None and len(steps) >= policy.window
        speculate = drafter is not None and pos >= paused_until and not probe
        k = min(policy.k, target.max_len - pos - 2) if speculate else 0
        if pos + 1 >= target.max_len:
            return
        step_start = time.perf_counter()
        draft = drafter.propose(history, hidden, k, sampler) if (drafter is not None and k > 0) else Draft([])
        if draft.tokens:
            committed, hidden = speculative_decode(target, draft, pending, pos, sampler)
            accepted = len(committed) - 1
            stats.proposed += len(draft.tokens) + len(draft.siblings)
            stats.accepted += accepted
            stats.accept_histogram.append(accepted)
            steps.append((accepted, len(committed), time.perf_counter() - step_start))
            policy.update(len(draft.tokens), accepted if committed[0] == draft.tokens[0] else 0)
            if not policy.still_pays(steps, plain_step_s):
                paused_until, pause = pos + pause, pause * 2
                steps.clear()
                if stats.speculation_off_at is None:
                    stats.speculation_off_at = stats.new_tokens
        else:  # plain decoding's own cost, without a drafter's time when it declined to guess
            step_start = time.perf_counter()
            nxt, hidden = decode_one_token(target, pending, pos, sampler)
            committed = [nxt]
            took = time.perf_counter() - step_start
            plain_step_s = took if plain_step_s is None else 0.8 * plain_step_s + 0.2 * took
        stats.target_steps += 1
        pos += len(committed)
        history.extend(committed)
        pending = committed[-1]
        block = committed
