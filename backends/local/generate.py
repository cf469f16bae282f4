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

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        """Up to k tokens to follow `history` (whose last token is pending); hidden: the target's
        state that predicted it. row_cost: what one more verified row costs on this machine, as a
        share of a plain step (StepCosts.row_share); a drafter that knows how sure it is drafts a token
        only where its chance of being accepted is at least that."""
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
class StepCosts:
    """What steps cost on the machine the engine runs on, measured as it decodes and kept across
    requests (one per engine): a plain step, a draft step (drafting plus verifying) and the tokens a
    draft step commits, as moving averages. They are the prior a new request's switch-off rule starts
    from, so on a machine where drafting does not pay a request drafts a step or two, not a window.
    And what a verified row adds to a target pass (`row_share`), which drafters weigh their guesses
    against: about a seventh of a step with AVX-512 VNNI on int4, a third with AVX2 only."""

    plain_s: float | None = None
    draft_s: float | None = None
    committed: float | None = None
    row_s: float | None = None  # what each verified row past the first adds to a target pass
    alpha: float = 0.05

    def _ema(self, old: float | None, new: float) -> float:
        return new if old is None else (1 - self.alpha) * old + self.alpha * new

    def record_plain(self, seconds: float) -> None:
        self.plain_s = self._ema(self.plain_s, seconds)

    def record_draft(self, committed: int, seconds: float) -> None:
        self.draft_s = self._ema(self.draft_s, seconds)
        self.committed = self._ema(self.committed, float(committed))

    def record_rows(self, rows: int, seconds: float) -> None:
        """A target pass over `rows` rows (a draft block) took `seconds`: its cost past a plain step's, per row."""
        if rows > 1 and self.plain_s is not None:
            self.row_s = self._ema(self.row_s, max(0.0, seconds - self.plain_s) / (rows - 1))

    @property
    def row_share(self) -> float:
        """A verified row's cost as a share of a plain step; 0 until both are measured."""
        return self.row_s / self.plain_s if self.row_s is not None and self.plain_s else 0.0


@dataclass(slots=True)
class SpecPolicy:
    """Adaptive draft length (+1 when all drafts pass, -1 otherwise) and the switch-off rule.

    Speculation pays when a draft step's tokens cost less time than as many plain steps. Both are
    measured on the machine it runs on (StepCosts: what a draft step and a plain step take, since that
    depends on the CPU and the kernel path: verifying five SmolLM2 tokens cost about 1.05x one step on
    an Intel CPU with AMX, 1.44x on an AMD Zen 5 without it, several steps on int4 kernels). The rule is
    judged before every draft step and after it, over this request's last `window` draft steps plus
    the engine's averages (below): drafting goes on while tokens committed x plain step
    >= seconds x (1 + `margin`), and with no plain step measured yet, while some draft in the window
    passed. When it stops paying the request decodes plainly for `pause` tokens, then tries again;
    each new failure doubles the pause, since how well a drafter guesses changes along an answer
    (prose, then code, then a list). `margin` leans towards plain decoding where the two are close, so
    that measurement noise does not make speculation cost. The engine's averages fill the window where
    the request has fewer draft steps of its own, and weigh at least `prior` steps: a request's first
    few steps are noisy (chat acceptance comes and goes from step to step), and with the averages at
    two steps from the start one failed draft paused requests where drafting paid on average; weighing
    a full window always, they kept a request drafting where a whole window of its own did not pay."""

    k: int = 4
    k_min: int = 1
    k_max: int = 8
    window: int = 8  # draft steps judged together
    switch_off: bool = True  # False: speculate to the end, whatever it pays
    pause: int = 16  # tokens decoded plainly after speculation stopped paying; doubles each time
    prior: float = 2.0  # least weight of the engine's averages, in draft steps
    margin: float = 0.03

    def update(self, proposed: int, accepted: int) -> None:
        if proposed and accepted == proposed:
            self.k = min(self.k + 1, self.k_max)
        elif proposed:
            self.k = max(self.k - 1, self.k_min)

    def still_pays(self, steps: list[tuple[int, int, float]], costs: StepCosts) -> bool:
        """steps: (accepted drafts, committed tokens, seconds) per draft step so far in this request."""
        if not self.switch_off:
            return True
        recent = steps[-self.window :]
        if len(recent) >= self.window and sum(accepted for accepted, _, _ in recent) == 0:
            return False
        if costs.plain_s is None:
            return True
        committed = float(sum(c for _, c, _ in recent))
        seconds = sum(s for _, _, s in recent)
        weight = 0.0
        if costs.draft_s is not None and costs.committed is not None:
            weight = max(self.prior, self.window - len(recent))  # the averages fill what the window lacks
            committed += weight * costs.committed
            seconds += weight * costs.draft_s
        if len(recent) + weight < 2:
            return True
        return committed * costs.plain_s >= seconds * (1 + self.margin)


@dataclass(slots=True)
class _Decoding:
    """One request's loop: the invariant of the module docstring (`pos`, `pending`, `hidden`) and
    when to speculate (paused while pos < paused_until; one plain step per request as a probe)."""

    target: Target
    sampler: Sampler
    drafter: Drafter | None
    policy: SpecPolicy
    stats: DecodeStats
    costs: StepCosts
    pending: int
    hidden: Tensor
    pos: int
    history: list[int]
    pause: int
    paused_until: int = 0
    probed: bool = False
    steps: list[tuple[int, int, float]] = field(default_factory=list)  # per draft step: accepted, committed, seconds

    def pause_speculation(self) -> None:
        """Decode plainly for `pause` tokens (doubled for next time), then judge afresh."""
        self.paused_until, self.pause = self.pos + self.pause, self.pause * 2
        self.steps.clear()
        if self.stats.speculation_off_at is None:
            self.stats.speculation_off_at = self.stats.new_tokens

    def step(self) -> list[int] | None:
        """One target pass (a draft step, or a plain one); the tokens it commits. None: the cache is full."""
        policy = self.policy
        # once there is something to judge, one plain step measures what drafting must beat
        probe = policy.switch_off and not self.probed and len(self.steps) >= min(policy.window, 2)
        speculate = self.drafter is not None and self.pos >= self.paused_until and not probe
        # a request starts from the engine's averages: where drafting has not paid, it starts paused
        if speculate and self.paused_until == 0 and not self.steps and not policy.still_pays(self.steps, self.costs):
            self.pause_speculation()
            speculate = False
        k = min(policy.k, self.target.max_len - self.pos - 2) if speculate else 0
        if self.pos + 1 >= self.target.max_len:
            return None
        start = time.perf_counter()
        draft = Draft([])
        if self.drafter is not None and k > 0:
            draft = self.drafter.propose(self.history, self.hidden, k, self.sampler, row_cost=self.costs.row_share)
        drafting = time.perf_counter() - start
        if draft.tokens:
            committed = self._draft_step(draft, start)
        else:
            committed = self._plain_step(probe)
            if k > 0:
                self._declined(drafting, time.perf_counter() - start)
        self.stats.target_steps += 1
        self.pos += len(committed)
        self.history.extend(committed)
        self.pending = committed[-1]
        return committed

    def _draft_step(self, draft: Draft, start: float) -> list[int]:
        verify = time.perf_counter()
        committed, self.hidden = speculative_decode(self.target, draft, self.pending, self.pos, self.sampler)
        took = time.perf_counter() - start
        siblings = len(draft.siblings) if self.sampler.greedy else 0
        self.costs.record_rows(1 + len(draft.tokens) + siblings, took - (verify - start))
        accepted = len(committed) - 1
        stats = self.stats
        stats.proposed += len(draft.tokens) + len(draft.siblings)
        stats.accepted += accepted
        stats.accept_histogram.append(accepted)
        self.steps.append((accepted, len(committed), took))
        self.costs.record_draft(len(committed), took)
        self.policy.update(len(draft.tokens), accepted if committed[0] == draft.tokens[0] else 0)
        if not self.policy.still_pays(self.steps, self.costs):
            self.pause_speculation()
        return committed

    def _declined(self, drafting: float, took: float) -> None:
        """The drafter was asked and declined (unsure of every guess): the step committed one token
        in a plain step's time plus the drafter's. The switch-off rule counts it as a draft step that
        passed nothing, judged once a window of steps is there, so that a head that keeps declining is
        paused like one that keeps failing, and a few declines among paying drafts are not. A decline
        that cost next to nothing (prompt lookup finding no match) is not counted."""
        if self.costs.plain_s is None or drafting < self.policy.margin * self.costs.plain_s:
            return
        self.steps.append((0, 1, took))
        self.costs.record_draft(1, took)
        if len(self.steps) >= self.policy.window and not self.policy.still_pays(self.steps, self.costs):
            self.pause_speculation()

    def _plain_step(self, probe: bool) -> list[int]:
        """Plain decoding's own cost, without a drafter's time when it declined to guess."""
        start = time.perf_counter()
        nxt, self.hidden = decode_one_token(self.target, self.pending, self.pos, self.sampler)
        self.costs.record_plain(time.perf_counter() - start)
        self.probed = self.probed or probe
        return [nxt]


def _until_stop(block: list[int], stop_ids: frozenset[int], room: int) -> tuple[list[int], bool]:
    """The block up to its first stop token (and at most `room` tokens); whether a stop token ended it."""
    for i, tok in enumerate(block):
        if tok in stop_ids:
            return block[: min(i, room)], True
    return block[:room], False


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
    costs: StepCosts | None = None,
) -> Iterator[list[int]]:
    """Yield blocks of newly committed tokens (a stop token ends the output and is not yielded).
    costs: the engine's step costs (read and updated); None: this request's own.

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
    if drafter is not None:
        drafter.begin(prompt)
    loop = _Decoding(
        target, sampler, drafter, policy, stats, costs if costs is not None else StepCosts(),
        pending, hidden, len(prompt), [*prompt, pending], policy.pause,
    )  # fmt: skip
    block: list[int] | None = [pending]
    decode_start = time.perf_counter()
    while block is not None:
        block, stopped = _until_stop(block, stop_ids, max_new_tokens - stats.new_tokens)
        if block:
            stats.new_tokens += len(block)
            stats.decode_s = time.perf_counter() - decode_start
            yield block
        if stopped or stats.new_tokens >= max_new_tokens:
            return
        block = loop.step()
