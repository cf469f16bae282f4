"""`switchpoint drafter train` end to end on the real SmolLM2, kept tiny: corpus text and the target's
own answers in, a loadable head out; a rerun resumes instead of starting over; --init fine-tunes a
head. One first run is shared; the rerun and the fine-tuning each work on a copy of its files."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class FirstRun:
    """One `switchpoint drafter train` run of one epoch, shared by the tests below (each copies what
    it reruns, so none changes what another reads)."""

    args: list[str]  # what was trained on, and how (no --out, --workdir, --epochs)
    out: Path
    work: Path


@pytest.fixture(scope="module")
def first_run(smollm2, tmp_path_factory: pytest.TempPathFactory) -> FirstRun:  # type: ignore[no-untyped-def]
    from backends.local.train import main

    root = tmp_path_factory.mktemp("train")
    work, out = root / "work", root / "head.safetensors"
    # 18 chunks of corpus text and the answers that fit (the chat ones): a training shard of 16 chunks
    # and a held-out one; the code requests' prompts are longer than 64 - 8 tokens and are skipped.
    args = ["--model", "smollm2", "--tokens", "1100", "--seq-len", "64", "--answers", "4", "--answer-tokens", "8"]
    args += ["--vocab", "256", "--batch", "4", "--threads", "2"]
    assert main([*args, "--out", str(out), "--workdir", str(work), "--epochs", "1"]) == 0
    return FirstRun(args, out, work)


def test_train_writes_a_loadable_head(first_run: FirstRun) -> None:
    from backends.local.mtp import MTPHead

    head, meta = MTPHead.load(first_run.out)
    assert meta["target"] == "smollm2"
    assert 0 < meta["self_generated_answers"] <= 4  # type: ignore[operator]  # prompts too long are skipped
    assert meta["corpus"] == "python-stdlib+site-packages-docs" and meta["epochs"] == 1
    assert len(head.vocab_ids) == meta["vocab"] <= 256  # the tokens the target predicted, at most --vocab
    assert len(meta["heldout_accuracy"]) == 3  # type: ignore[arg-type]  # one figure per draft step
    assert sorted(first_run.work.glob("answers-*.pt")) and len(sorted(first_run.work.glob("features-*.pt"))) == 2


def test_rerun_resumes_from_the_checkpoint(
    first_run: FirstRun, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from backends.local.mtp import MTPHead
    from backends.local.train import main

    work, out = tmp_path / "work", tmp_path / "head.safetensors"
    shutil.copytree(first_run.work, work)  # answers, target states and the epoch-1 checkpoint
    cached = sorted(work.glob("answers-*.pt")) + sorted(work.glob("features-*.pt"))
    stamps = {p: p.stat().st_mtime_ns for p in cached}
    caplog.set_level(logging.INFO, logger="backends.local.train")
    assert main([*first_run.args, "--out", str(out), "--workdir", str(work), "--epochs", "2"]) == 0
    assert any("resuming from" in r.getMessage() and "(epoch 1)" in r.getMessage() for r in caplog.records)
    assert {p: p.stat().st_mtime_ns for p in cached} == stamps  # answers and target states were reused
    assert MTPHead.load(out)[1]["epochs"] == 2


def test_init_fine_tunes_the_given_head(first_run: FirstRun, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Fine-tuning keeps the head's vocabulary and records where it began. Its workdir is a copy of the
    first run's: the same data, so no extraction, but the first run's checkpoint is not resumed."""
    import torch

    from backends.local.mtp import MTPHead
    from backends.local.train import main

    work, tuned = tmp_path / "work", tmp_path / "tuned.safetensors"
    shutil.copytree(first_run.work, work)
    caplog.set_level(logging.INFO, logger="backends.local.train")
    args = [*first_run.args, "--out", str(tuned), "--workdir", str(work), "--epochs", "1", "--init", str(first_run.out)]
    assert main([*args, "--vocab", "128"]) == 0  # a new head would have 128 tokens: the given head's stay
    assert not any("resuming from" in r.getMessage() for r in caplog.records)
    assert len(sorted(work.glob("features-*.pt"))) == 2 and len(sorted(work.glob("train-*.pt"))) == 2
    head = MTPHead.load(first_run.out)[0]
    again, meta = MTPHead.load(tuned)
    assert len(head.vocab_ids) > 128 and torch.equal(again.vocab_ids, head.vocab_ids) and again.attn == head.attn
    assert meta["init"]["head"] == first_run.out.name and meta["init"]["epochs"] == 1  # type: ignore[index]
    assert not torch.equal(again.fc.weight, head.fc.weight)


def _items(decoder, chunks: list[list[int]]) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    import torch

    items = []
    for c in chunks:
        logits, hidden = decoder.forward(torch.tensor(c), 0)
        keys, values = decoder.layer_cache(-1)
        items.append(
            {
                "x": torch.tensor(c),
                "h": hidden.clone(),
                "a": logits.argmax(-1),
                "first": 3,
                "k": keys[:, : len(c)].clone(),
                "v": values[:, : len(c)].clone(),
            }
        )
    return items


def test_batched_loss_keeps_each_chunk_to_its_own_keys(make_decoder) -> None:  # type: ignore[no-untyped-def]
    """Chunks laid end to end score exactly as each alone: no position attends to another chunk."""
    import torch

    from backends.local.mtp import MTPHead
    from backends.local.train import TargetTables, head_loss

    decoder = make_decoder("llama", seed=5)
    arch = decoder.arch
    torch.manual_seed(1)
    head = MTPHead(arch.dim, torch.arange(arch.vocab_size), attn=(arch.n_heads, arch.n_kv_heads, arch.head_dim))
    for p in head.parameters():
        torch.nn.init.normal_(p, std=0.3)
    head.attach(decoder.lm_head.float())
    items = _items(decoder, [[(7 * i + s) % 64 for i in range(n)] for s, n in ((1, 20), (2, 13), (5, 17))])
    target = TargetTables.of(decoder, torch.device("cpu"))
    remap = torch.arange(arch.vocab_size)
    with torch.no_grad():
        loss, accs, scored = head_loss(head, target, items, remap, depth=3)
        alone = [head_loss(head, target, [it], remap, depth=3) for it in items]
    counts = [it["x"].shape[0] - 3 - 2 for it in items]  # starts from first - 1 = 2 to n - depth
    assert scored == sum(counts) == sum(n for _, _, n in alone)
    expected = sum(n * float(each) for n, (each, _, _) in zip(counts, alone, strict=True)) / sum(counts)
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    for j in range(3):
        assert accs[j] == pytest.approx(sum(n * a[j] for n, (_, a, _) in zip(counts, alone, strict=True)) / sum(counts))


def test_extract_pads_without_changing_a_chunk(tmp_path: Path) -> None:
    """Chunks extracted together (padded at the end) give what our decoder gives for each alone; other
    chunks extracted in the same workdir get shards of their own (not the first chunks' states)."""
    import torch

    from backends.local.decoder import decoder_from_hf
    from backends.local.train import extract

    from .conftest import tiny_hf

    hf = tiny_hf("llama", seed=2)
    decoder = decoder_from_hf(hf, max_len=64, dtype=torch.float32)
    other = [([(5 * i + 2) % 64 for i in range(n)], 1) for n in (9, 21, 14)]
    extract(hf, other, tmp_path, device=torch.device("cpu"), batch=3)
    chunks = [([(3 * i + 1) % 64 for i in range(n)], n // 2) for n in (9, 21, 14)]
    paths = extract(hf, chunks, tmp_path, device=torch.device("cpu"), batch=3)
    items = [it for p in paths for it in torch.load(p)]
    assert [it["first"] for it in items] == [n // 2 for n in (9, 21, 14)]
    for it, (c, _) in zip(items, chunks, strict=True):
        logits, hidden = decoder.forward(torch.tensor(c), 0)
        keys, values = decoder.layer_cache(-1)
        assert torch.equal(it["x"], torch.tensor(c))
        torch.testing.assert_close(it["h"], hidden, atol=1e-4, rtol=1e-4)
        assert torch.equal(it["a"], logits.argmax(-1))
        torch.testing.assert_close(it["k"], keys[:, : len(c)], atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(it["v"], values[:, : len(c)], atol=1e-4, rtol=1e-4)
