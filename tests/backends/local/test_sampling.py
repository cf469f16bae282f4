"""Speculative sampling draws from exactly the target's distribution (chi-square, vocab of 8), and
the test catches two classic mistakes: argmax drafts scored with a softmax q, and drafts drawn from
the processed q while the ratio uses the unprocessed one."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import Tensor

from backends.local.decoder import Decoder
from backends.local.generate import Draft, SpecPolicy, generate
from backends.local.sampling import Sampler, accept_sampling

V = 8
N = 5000
PROMPT = [1, 4, 2]


def settings(seed: int) -> Sampler:
    return Sampler(temperature=0.8, top_k=6, top_p=0.95, generator=torch.Generator().manual_seed(seed))


class SmallModelDrafter:
    """Drafts with a second tiny model. mode: "exact" (draws from processed q and reports it),
    "argmax" (argmax drafts, reports softmax q), "unprocessed" (draws from processed q, reports
    the unprocessed softmax)."""

    def __init__(self, model: Decoder, mode: str) -> None:
        self.model, self.mode = model, mode
        self.rows: dict[tuple[int, ...], Tensor] = {}  # the draft model is deterministic: memoise it

    def row(self, seq: list[int]) -> Tensor:
        key = tuple(seq)
        if key not in self.rows:
            self.rows[key] = self.model.forward(torch.tensor(seq), 0)[0][-1]
        return self.rows[key]

    def begin(self, prompt: list[int]) -> None:
        pass

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        seq, tokens, qs = list(history), [], []
        for _ in range(k):
            row = self.row(seq)
            processed = sampler.probs(row)
            if self.mode == "argmax":
                tok, q = int(row.argmax()), row.softmax(-1)
            else:
                tok = sampler.draw(processed)
                q = processed if self.mode == "exact" else row.softmax(-1)
            tokens.append(tok)
            qs.append(q)
            seq.append(tok)
        return Draft(tokens, torch.stack(qs))


def exact_joint(target: Decoder, sampler: Sampler) -> Tensor:
    """P(t1, t2) of plain sampling, marginalised over the first new token t0."""

    def p(seq: list[int]) -> Tensor:
        return sampler.probs(target.forward(torch.tensor(seq), 0)[0][-1])

    joint = torch.zeros(V, V)
    p0 = p(PROMPT)
    for t0 in range(V):
        if p0[t0] == 0:
            continue
        p1 = p([*PROMPT, t0])
        for t1 in range(V):
            if p1[t1] > 0:
                joint[t1] += p0[t0] * p1[t1] * p([*PROMPT, t0, t1])
    return joint


def chi_square_p(observed: Tensor, probs: Tensor, n: int) -> float:
    expected = probs.flatten() * n
    observed = observed.flatten().float()
    if bool((observed[expected == 0] > 0).any()):
        return 0.0  # a token plain sampling can never produce
    big = expected >= 5
    obs = torch.cat([observed[big], observed[~big].sum()[None]])
    exp = torch.cat([expected[big], expected[~big].sum()[None]])
    keep = exp > 0
    chi2 = float((((obs - exp) ** 2) / exp)[keep].sum())
    df = int(keep.sum()) - 1
    return float(torch.special.gammaincc(torch.tensor(df / 2), torch.tensor(chi2 / 2)))


@pytest.fixture(scope="module")
def models(make_decoder):  # type: ignore[no-untyped-def]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads cost more than they give
    target = make_decoder("llama", vocab=V, seed=21, sharpness=2.0, layers=1)
    draft = make_decoder("llama", vocab=V, seed=22, sharpness=2.0, layers=1)
    yield target, draft
    torch.set_num_threads(threads)


def sample_joint(target: Decoder, drafter: SmallModelDrafter | None) -> Tensor:
    sampler = settings(seed=1234)
    counts = torch.zeros(V, V, dtype=torch.long)
    for _ in range(N):
        policy = SpecPolicy(k=2, k_min=2, k_max=2, switch_off=False)
        out = [
            t for b in generate(target, PROMPT, sampler, max_new_tokens=3, drafter=drafter, policy=policy) for t in b
        ]
        counts[out[1], out[2]] += 1
    return counts


@pytest.mark.parametrize(("mode", "exact"), [("exact", True), ("argmax", False), ("unprocessed", False)])
def test_speculative_sampling_distribution(models, mode: str, exact: bool) -> None:  # type: ignore[no-untyped-def]
    target, draft = models
    probs = exact_joint(target, settings(0))
    assert (probs > 0.01).sum() >= 8, "the test distribution should be spread over many outcomes"
    p_value = chi_square_p(sample_joint(target, SmallModelDrafter(draft, mode)), probs, N)
    if exact:
        assert p_value > 1e-3, p_value
    else:
        assert p_value < 1e-6, p_value


def test_plain_sampling_matches_reference(models) -> None:  # type: ignore[no-untyped-def]
    target, _ = models
    assert chi_square_p(sample_joint(target, None), exact_joint(target, settings(0)), N) > 1e-3


def test_accept_rule_one_step() -> None:
    """One verification step in isolation: the committed first token is distributed as p[0]."""
    g = torch.Generator().manual_seed(7)
    p = torch.tensor([[0.5, 0.3, 0.2, 0.0], [0.25, 0.25, 0.25, 0.25]])
    q = torch.tensor([[0.1, 0.1, 0.1, 0.7]])
    sampler = Sampler(temperature=1.0, generator=g)
    counts = torch.zeros(4)
    for _ in range(20000):
        d = sampler.draw(q[0])
        n, nxt = accept_sampling(p, q, [d], sampler)
        counts[d if n == 1 else nxt] += 1
    assert counts[3] == 0
    assert torch.allclose(counts / counts.sum(), p[0], atol=0.015)
    for a, b in itertools.pairwise(range(3)):
        assert counts[a] > counts[b]
