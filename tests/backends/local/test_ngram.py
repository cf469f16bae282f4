"""Prompt lookup (NgramDrafter) indexes the history as it grows: it proposes exactly what scanning
the whole history for the suffix's latest earlier occurrence proposes, request after request."""

from __future__ import annotations

import random

import pytest

from backends.local.drafters import NgramDrafter
from backends.local.sampling import Sampler
from tests.benchmarks.draft_cost import scan  # the definition: scan the history for the suffix


@pytest.mark.parametrize(("n_max", "n_min"), [(4, 1), (4, 3), (2, 2)])
def test_indexed_lookup_proposes_what_a_full_scan_does(n_max: int, n_min: int) -> None:
    rng = random.Random(n_max * 10 + n_min)
    drafter = NgramDrafter(n_max, n_min)
    found = 0
    for _ in range(60):  # requests in turn, as an engine serves them, each a new history list
        history = [rng.randrange(rng.choice((3, 6, 20))) for _ in range(rng.randrange(12))]
        drafter.begin(list(history))
        for _ in range(40):
            k = rng.randrange(1, 6)
            want = scan(history, k, n_max, n_min)
            assert drafter.propose(history, None, k, Sampler()).tokens == want  # type: ignore[arg-type]
            found += bool(want)
            history.extend(rng.randrange(6) for _ in range(rng.randrange(1, 4)))
    assert found > 200  # the histories repeat themselves often enough to test matches, not only misses


def test_a_history_that_shrank_or_changed_is_indexed_afresh() -> None:
    drafter = NgramDrafter(n_max=2, n_min=2)
    history = [1, 2, 3, 1, 2]
    assert drafter.propose(history, None, 2, Sampler()).tokens == [3, 1]  # type: ignore[arg-type]
    history[:] = [5, 6, 7]  # the same list, now shorter: nothing of the old one may be proposed
    assert drafter.propose(history, None, 2, Sampler()).tokens == []  # type: ignore[arg-type]
    history += [5, 6]
    assert drafter.propose(history, None, 2, Sampler()).tokens == [7, 5]  # type: ignore[arg-type]
    other = [9, 9, 9]  # another list, no begin(): indexed on its own
    assert drafter.propose(other, None, 1, Sampler()).tokens == [9]  # type: ignore[arg-type]
