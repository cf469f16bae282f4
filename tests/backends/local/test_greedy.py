"""Greedy speculative decoding is token-identical to plain greedy decoding, for every drafter and
draft length, including drafters that always agree and never agree."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import torch
from torch import Tensor

import backends.local.generate as generate_module
from backends.local.drafters import ModelDrafter, MTPDrafter, NgramDrafter
from backends.local.generate import DecodeStats, Draft, SpecPolicy, StepCosts, generate
from backends.local.mtp import MTPHead
from backends.local.sampling import Sampler

PROMPTS = [[(7 * i + 3 * j) % 64 for j in range(3 + i % 9)] for i in range(14)]
NEW = 40


def run(dec, prompt, drafter=None, k=4, adaptive=False, max_new=NEW, stats=None) -> list[int]:  # type: ignore[no-untyped-def]
    policy = SpecPolicy(k=k) if adaptive else SpecPolicy(k=k, k_min=k, k_max=k, switch_off=False)
    blocks: Iterator[list[int]] = generate(
        dec, prompt, Sampler(), max_new_tokens=max_new, drafter=drafter, policy=policy, stats=stats
    )
    return [t for b in blocks for t in b]


class Oracle:
    """Proposes the plain output itself (always agrees), or that output shifted by one (never)."""

    def __init__(self, prompt: list[int], plain: list[int], agree: bool) -> None:
        self.full, self.agree = prompt + plain, agree

    def begin(self, prompt: list[int]) -> None:
        pass

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        ahead = self.full[len(history) : len(history) + k]
        return Draft(ahead if self.agree else [(t + 1) % 64 for t in ahead])


@pytest.fixture(scope="module")
def target(make_decoder):  # type: ignore[no-untyped-def]
    return make_decoder("llama", seed=11, sharpness=3.0)


@pytest.fixture(scope="module")
def plain(target) -> list[list[int]]:  # type: ignore[no-untyped-def]
    outs = [run(target, p) for p in PROMPTS]
    assert len({tuple(o) for o in outs}) > 5, "the test model should not produce the same output for every prompt"
    return outs


@pytest.mark.parametrize("k", range(1, 9))
def test_oracle_drafters(target, plain, k: int) -> None:  # type: ignore[no-untyped-def]
    for prompt, ref in zip(PROMPTS, plain, strict=True):
        stats = DecodeStats()
        assert run(target, prompt, Oracle(prompt, ref, agree=True), k=k, stats=stats) == ref
        assert stats.proposed > 0 and stats.accepted == stats.proposed
        assert stats.target_steps < len(ref)  # fewer target passes than tokens
        stats = DecodeStats()
        assert run(target, prompt, Oracle(prompt, ref, agree=False), k=k, stats=stats) == ref
        assert stats.proposed > 0 and stats.accepted == 0


class SiblingOracle(Oracle):
    """Always guesses the first token wrong, and puts the right one (or, with `hit` False, another
    wrong one) among its siblings, with a chain after the wrong guess."""

    def __init__(self, prompt: list[int], plain: list[int], hit: bool) -> None:
        super().__init__(prompt, plain, agree=True)
        self.hit = hit

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        ahead = super().propose(history, hidden, k, sampler).tokens
        if not ahead:
            return Draft([])
        wrong = [(t + 1) % 64 for t in ahead]
        right = ahead[0] if self.hit else (ahead[0] + 2) % 64
        return Draft(wrong, siblings=[(ahead[0] + 3) % 64, right])


@pytest.mark.parametrize("k", [1, 2, 4, 7])
def test_sibling_drafts(target, plain, k: int) -> None:  # type: ignore[no-untyped-def]
    """A right sibling commits itself and the target's next token in one pass (its cache entry moved
    into place), a wrong one nothing: the output stays the plain one either way."""
    for prompt, ref in zip(PROMPTS, plain, strict=True):
        stats = DecodeStats()
        assert run(target, prompt, SiblingOracle(prompt, ref, hit=True), k=k, stats=stats) == ref
        assert stats.accept_histogram and set(stats.accept_histogram) == {1}
        assert stats.target_steps <= len(ref) // 2 + 1
        stats = DecodeStats()
        assert run(target, prompt, SiblingOracle(prompt, ref, hit=False), k=k, stats=stats) == ref
        assert stats.accepted == 0


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_real_drafters(target, plain, make_decoder, k: int) -> None:  # type: ignore[no-untyped-def]
    arch = target.arch
    head = MTPHead(arch.dim, torch.arange(0, 64, 2))
    attending = MTPHead(arch.dim, torch.arange(0, 64, 2), attn=(arch.n_heads, arch.n_kv_heads, arch.head_dim))
    drafters = [
        NgramDrafter(),
        ModelDrafter(make_decoder("llama", seed=12, sharpness=3.0)),
        MTPDrafter(target, head.float()),
        MTPDrafter(target, attending.float(), min_confidence=0.1),
        MTPDrafter(target, attending.float(), min_first_confidence=0.05, siblings=3, sibling_min=0.0),
    ]
    for drafter in drafters:
        for prompt, ref in zip(PROMPTS, plain, strict=True):
            assert run(target, prompt, drafter, k=k) == ref, type(drafter).__name__


def test_adaptive_length_and_switch_off(target, plain) -> None:  # type: ignore[no-untyped-def]
    prompt, ref = PROMPTS[0], plain[0]
    stats = DecodeStats()
    assert run(target, prompt, Oracle(prompt, ref, agree=False), k=4, adaptive=True, stats=stats) == ref
    assert stats.speculation_off_at is not None  # it stopped paying, so it turned itself off
    assert stats.proposed < len(ref)
    stats = DecodeStats()
    assert run(target, prompt, Oracle(prompt, ref, agree=True), k=1, adaptive=True, stats=stats) == ref
    assert max(stats.accept_histogram) > 1  # the draft length grew


class LateOracle(Oracle):
    """Never agrees for the first `until` tokens of the answer, then always does."""

    def __init__(self, prompt: list[int], plain: list[int], until: int) -> None:
        super().__init__(prompt, plain, agree=True)
        self.start = len(prompt) + until

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        draft = super().propose(history, hidden, k, sampler)
        return draft if len(history) >= self.start else Draft([(t + 1) % 64 for t in draft.tokens])


def test_speculation_comes_back_after_a_pause(target, plain) -> None:  # type: ignore[no-untyped-def]
    prompt, ref = PROMPTS[0], plain[0]
    stats = DecodeStats()
    assert run(target, prompt, LateOracle(prompt, ref, until=10), k=2, adaptive=True, stats=stats) == ref
    off = stats.speculation_off_at
    assert off is not None and off <= 10  # eight draft steps with nothing accepted switched it off
    assert stats.accepted > 0  # after the pause it drafted again, and the drafts now pass


def test_gemma_target(make_decoder) -> None:  # type: ignore[no-untyped-def]
    dec = make_decoder("gemma3", seed=5, sharpness=3.0)
    for prompt in PROMPTS[:6]:
        ref = run(dec, prompt)
        assert run(dec, prompt, Oracle(prompt, ref, agree=True), k=6) == ref
        assert run(dec, prompt, NgramDrafter(), k=3) == ref


def test_native_attention_target(make_decoder, attend16) -> None:  # type: ignore[no-untyped-def]
    """The same identities with the native attention kernel (a 16-wide-head Llama)."""
    dec = make_decoder("llama", seed=11, sharpness=3.0, attend=attend16)
    head = MTPHead(dec.arch.dim, torch.arange(0, 64, 2), attn=(dec.arch.n_heads, dec.arch.n_kv_heads, 16)).float()
    for prompt in PROMPTS[:8]:
        ref = run(dec, prompt)
        for drafter in (
            Oracle(prompt, ref, agree=True),
            Oracle(prompt, ref, agree=False),
            SiblingOracle(prompt, ref, hit=True),
            NgramDrafter(),
            MTPDrafter(dec, head, siblings=2, sibling_min=0.0),
        ):
            assert run(dec, prompt, drafter, k=3) == ref, type(drafter).__name__


def test_unsure_head_stops_drafting(target) -> None:  # type: ignore[no-untyped-def]
    """Past its first token the head drafts only what it is at least `min_confidence` sure of; it
    drafts nothing when unsure of the first (`min_first_confidence`); siblings only when greedy."""
    head = MTPHead(target.arch.dim, torch.arange(0, 64, 2)).float()
    hidden = torch.randn(target.arch.dim)
    assert len(MTPDrafter(target, head).propose([1, 2, 3], hidden, 5, Sampler()).tokens) == 5
    assert len(MTPDrafter(target, head, min_confidence=1.01).propose([1, 2, 3], hidden, 5, Sampler()).tokens) == 1
    sampled = MTPDrafter(target, head, min_confidence=1.01).propose([1, 2, 3], hidden, 5, Sampler(temperature=1.0))
    assert len(sampled.tokens) == 1 and sampled.q is not None and sampled.q.shape[0] == 1
    for sampler in (Sampler(), Sampler(temperature=1.0)):
        assert MTPDrafter(target, head, min_first_confidence=1.01).propose([1, 2, 3], hidden, 5, sampler).tokens == []
    many = MTPDrafter(target, head, siblings=3, sibling_min=0.0)
    greedy = many.propose([1, 2, 3], hidden, 2, Sampler())
    assert len(greedy.siblings) == 3 and greedy.tokens[0] not in greedy.siblings
    assert many.propose([1, 2, 3], hidden, 2, Sampler(temperature=1.0)).siblings == []
    unsure = MTPDrafter(target, head, siblings=3, sibling_min=1.01)
    assert unsure.propose([1, 2, 3], hidden, 2, Sampler()).siblings == []


class SlowRows:
    """The target on a clock of its own (`now`, read by generate in place of time.perf_counter) that
    advances `row_s` seconds per row it runs plus `step_s` per pass, so that the test does not depend
    on how busy the machine is."""

    def __init__(self, target, row_s: float, step_s: float = 0.0) -> None:  # type: ignore[no-untyped-def]
        self.target, self.row_s, self.step_s, self.max_len = target, row_s, step_s, target.max_len
        self.clock = 0.0

    def now(self) -> float:
        return self.clock

    @property
    def vocab_size(self) -> int:
        return int(self.target.vocab_size)

    def forward(self, tokens: Tensor, pos: int, siblings: int = 0) -> tuple[Tensor, Tensor]:
        self.clock += self.step_s + self.row_s * tokens.shape[0]
        return self.target.forward(tokens, pos, siblings)  # type: ignore[no-any-return]

    def keep_sibling(self, pos: int, row: int) -> None:
        self.target.keep_sibling(pos, row)


class HalfOracle(Oracle):
    """Right about the next token, wrong about every one after it."""

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        ahead = self.full[len(history) : len(history) + k]
        return Draft(ahead[:1] + [(t + 1) % 64 for t in ahead[1:]])


def test_switch_off_measures_what_steps_cost_here(target, plain, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Where a verified row costs as much as a plain step, a draft that commits two tokens over three
    rows loses: the rule, measuring both step costs, turns speculation off after a few draft steps
    (it took eight, and eight more after each pause, when it judged only once a window was full), and
    a later request that shares the engine's StepCosts starts off."""
    slow, prompt, ref = SlowRows(target, 0.01, 0.002), PROMPTS[3], plain[3]
    monkeypatch.setattr(generate_module, "time", SimpleNamespace(perf_counter=slow.now))
    costs = StepCosts()
    for allowed in (4, 2):
        stats = DecodeStats()
        policy = SpecPolicy(k=2, k_min=2)
        out = [
            t
            for b in generate(
                slow,
                prompt,
                Sampler(),
                max_new_tokens=NEW,
                drafter=HalfOracle(prompt, ref, True),
                policy=policy,
                stats=stats,
                costs=costs,
            )
            for t in b
        ]
        assert out == ref
        assert stats.speculation_off_at is not None
        assert len(stats.accept_histogram) <= allowed, stats
    # where rows are cheap, the same drafts pay and speculation stays on
    stats = DecodeStats()
    cheap = SlowRows(target, 0.001, 0.01)
    monkeypatch.setattr(generate_module, "time", SimpleNamespace(perf_counter=cheap.now))
    out = [
        t
        for b in generate(
            cheap,
            prompt,
            Sampler(),
            max_new_tokens=NEW,
            drafter=Oracle(prompt, ref, agree=True),
            policy=SpecPolicy(k=2),
            stats=stats,
        )
        for t in b
    ]
    assert out == ref and stats.speculation_off_at is None and stats.accepted > NEW // 2


def test_a_request_starts_from_the_machines_long_run_costs_not_the_last_answers_tail() -> None:
    """The engine's averages are the prior a request starts from: twenty draft steps that paid (three
    tokens for 1.5 plain steps' time) and then six that did not (the end of an answer) must not make the
    next request start paused. With averages that followed the last few steps (0.2 a step) they did."""
    costs = StepCosts()
    costs.record_plain(1.0)
    for committed in [3] * 20 + [1] * 6:
        costs.record_draft(committed, 1.5)
    assert SpecPolicy().still_pays([], costs)
    for _ in range(60):  # a machine where drafting stopped paying is still found out
        costs.record_draft(1, 1.5)
    assert not SpecPolicy().still_pays([], costs)


def test_one_unlucky_draft_step_does_not_pause_a_request_where_drafting_pays() -> None:
    """Where the engine's averages say drafting pays (1.8 tokens for 1.45 plain steps' time), one draft
    step that passed nothing and ran slow must not pause the request: chat answers' acceptance comes and
    goes from step to step, and pausing on one step forfeited 16 tokens of drafting each time (the
    averages weighed two steps from the start then). The averages fill the window where the request has
    fewer steps, so a full window of the request's own that does not pay still pauses it, even where
    the averages say drafting pays (weighing a full window always, they kept "Why is the sky blue?"
    drafting at 0.94-0.97x plain with AVX2 forced)."""
    costs = StepCosts()
    costs.record_plain(1.0)
    costs.record_draft(2, 1.45)
    costs.committed = 1.8
    assert SpecPolicy().still_pays([(0, 1, 2.0)], costs)
    assert not SpecPolicy().still_pays([(1, 2, 2.0)] * 4 + [(0, 1, 1.1)] * 4, costs)  # 12 tokens for 12.4 steps
    assert SpecPolicy().still_pays([(1, 2, 1.3)] * 4 + [(0, 1, 1.1)] * 4, costs)  # 12 for 9.6: it pays


def test_rows_cost_what_the_machine_says() -> None:
    """StepCosts learns what each verified row past the first adds to a target pass, as a share of
    a plain step: nothing is known before a plain step is."""
    costs = StepCosts()
    costs.record_rows(5, 1.4)
    assert costs.row_share == 0.0
    costs.record_plain(1.0)
    costs.record_rows(1, 3.0)  # one row is a plain step, not a draft block
    assert costs.row_share == 0.0
    costs.record_rows(5, 1.4)
    assert costs.row_share == pytest.approx(0.1)
    costs.record_rows(3, 0.5)  # faster than a plain step (noise): costs nothing, not less than nothing
    assert 0.0 < costs.row_share < 0.1


class Listening(Oracle):
    """Agrees, and keeps the row cost each call was given."""

    def __init__(self, prompt: list[int], plain: list[int]) -> None:
        super().__init__(prompt, plain, agree=True)
        self.row_costs: list[float] = []

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        self.row_costs.append(row_cost)
        return super().propose(history, hidden, k, sampler)


def test_the_loop_tells_the_drafter_what_a_row_costs(target, plain, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On a target whose passes take 10 ms plus 1 ms a row, a verified row costs 1/11 of a plain step;
    once the loop has measured both, that is what the drafter is told."""
    slow, prompt, ref = SlowRows(target, 0.001, 0.01), PROMPTS[3], plain[3]
    monkeypatch.setattr(generate_module, "time", SimpleNamespace(perf_counter=slow.now))
    drafter = Listening(prompt, ref)
    out = [
        t
        for b in generate(slow, prompt, Sampler(), max_new_tokens=NEW, drafter=drafter, policy=SpecPolicy(k=3))
        for t in b
    ]
    assert out == ref
    assert drafter.row_costs[0] == 0.0  # nothing measured yet
    assert drafter.row_costs[-1] == pytest.approx(1 / 11)


def test_a_dear_row_needs_a_surer_guess(target) -> None:  # type: ignore[no-untyped-def]
    """The head drafts a token only while the chance that it and the ones before it all pass is at
    least a row's cost, and a sibling only where its own chance is: the dearer the row, the shorter
    the draft (a prefix of the cheaper one) and the fewer the siblings; nothing where a row costs a
    whole step's worth of certainty."""
    torch.manual_seed(1)
    head = MTPHead(target.arch.dim, torch.arange(0, 64, 2)).float()
    for p in head.parameters():
        torch.nn.init.normal_(p, std=0.5)  # a head sure of some guesses and not of others
    hidden = torch.randn(target.arch.dim)
    drafter = MTPDrafter(target, head, siblings=3, sibling_min=0.0)
    drafts = [
        drafter.propose([1, 2, 3], hidden, 6, Sampler(), row_cost=c) for c in (0.0, 0.01, 0.05, 0.1, 0.2, 0.4, 0.7)
    ]
    for cheaper, dearer in itertools.pairwise(drafts):
        assert dearer.tokens == cheaper.tokens[: len(dearer.tokens)]
        assert set(dearer.siblings) <= set(cheaper.siblings)
    assert len({len(d.tokens) for d in drafts}) >= 3 and len(drafts[0].siblings) > len(drafts[-1].siblings)
    none = drafter.propose([1, 2, 3], hidden, 6, Sampler(), row_cost=1.01)
    assert none.tokens == [] and none.siblings == []


class Declining:
    """Asked for a draft, spends `think_s` on its own clock and proposes nothing (a head unsure of
    every guess)."""

    def __init__(self, clock: SlowRows, think_s: float) -> None:
        self.clock, self.think_s, self.asked = clock, think_s, 0

    def begin(self, prompt: list[int]) -> None:
        pass

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        self.asked += 1
        self.clock.clock += self.think_s
        return Draft([])


def test_a_drafter_that_keeps_declining_is_paused(target, plain, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each declined proposal costs its time and wins nothing; the switch-off rule sees it (it used
    to time only the plain step that followed, so a head that declined at every step was asked at
    every step, each time for nothing)."""
    slow, prompt, ref = SlowRows(target, 0.001, 0.01), PROMPTS[3], plain[3]
    monkeypatch.setattr(generate_module, "time", SimpleNamespace(perf_counter=slow.now))
    drafter = Declining(slow, 0.002)
    out = [
        t
        for b in generate(slow, prompt, Sampler(), max_new_tokens=NEW, drafter=drafter, policy=SpecPolicy())
        for t in b
    ]
    assert out == ref
    assert drafter.asked <= NEW // 2, drafter.asked  # a window of 8 before each pause (16, then 32 tokens); 39 before
    free = Declining(slow, 0.0)  # declining costs nothing (prompt lookup finding no match): asked at every step
    out = [
        t for b in generate(slow, prompt, Sampler(), max_new_tokens=NEW, drafter=free, policy=SpecPolicy()) for t in b
    ]
    assert out == ref and free.asked >= NEW - 2, free.asked
