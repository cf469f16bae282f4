"""Stop sequences and max tokens that land inside an accepted draft block end the output exactly
where plain decoding would."""

from __future__ import annotations

import pytest
from torch import Tensor

from backends.local.generate import Draft, SpecPolicy, generate
from backends.local.sampling import Sampler
from backends.local.textstream import TextAssembler

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?-+*/=()[]{}<>'\"#@$%"


class CharTokenizer:
    """One character per token id: token counts are easy to reason about."""

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return "".join(ALPHABET[i] for i in ids)


class Oracle:
    def __init__(self, full: list[int]) -> None:
        self.full = full

    def begin(self, prompt: list[int]) -> None:
        pass

    def propose(self, history: list[int], hidden: Tensor, k: int, sampler: Sampler, *, row_cost: float = 0.0) -> Draft:
        return Draft(self.full[len(history) : len(history) + k])


PROMPT = [3, 1, 4, 1, 5]


@pytest.fixture(scope="module")
def target(make_decoder):  # type: ignore[no-untyped-def]
    return make_decoder("llama", seed=31, sharpness=3.0)


@pytest.fixture(scope="module")
def plain(target) -> list[int]:  # type: ignore[no-untyped-def]
    return [t for b in generate(target, PROMPT, Sampler(), max_new_tokens=40) for t in b]


def speculate(target, plain: list[int], max_new: int):  # type: ignore[no-untyped-def]
    policy = SpecPolicy(k=8, k_min=8, k_max=8, switch_off=False)
    return generate(target, PROMPT, Sampler(), max_new_tokens=max_new, drafter=Oracle(PROMPT + plain), policy=policy)


def test_max_tokens_inside_a_block(target, plain) -> None:  # type: ignore[no-untyped-def]
    for max_new in range(1, 20):
        blocks = list(speculate(target, plain, max_new))
        assert [t for b in blocks for t in b] == plain[:max_new]
        if max_new > 2:
            assert len(blocks) < max_new  # blocks of several tokens were cut, not single steps


@pytest.mark.parametrize("start", [3, 9, 14, 22])
def test_stop_sequence_inside_a_block(target, plain, start: int) -> None:  # type: ignore[no-untyped-def]
    text_ref = CharTokenizer().decode(plain)
    stop = text_ref[start : start + 3]
    cut = text_ref.find(stop)
    text = TextAssembler(CharTokenizer(), [stop])
    out, sizes = [], []
    for block in speculate(target, plain, 40):
        sizes.append(len(block))
        out.append(text.add(block))
        if text.stopped:
            break
    out.append(text.finish())
    assert "".join(out) == text_ref[:cut]
    assert text.tokens == cut + len(stop)  # exactly the tokens plain decoding needs to produce the stop
    assert max(sizes) > 1


def test_assembler_holds_back_partial_stop() -> None:
    tok = CharTokenizer()
    ids = {c: ALPHABET.index(c) for c in "abxyzq "}
    text = TextAssembler(tok, ["xyz"])
    assert text.add([ids["a"], ids["b"], ids[" "], ids["x"]]) == "ab "
    assert text.add([ids["y"]]) == ""
    assert text.add([ids["q"]]) == "xyq"
    assert text.add([ids["x"], ids["y"], ids["z"], ids["a"]]) == ""
    assert text.stopped and text.tokens == 9
    assert text.finish() == ""
