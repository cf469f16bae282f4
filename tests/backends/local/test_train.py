"""`switchpoint drafter train` end to end on the real SmolLM2, kept tiny: corpus text and the target's
own answers in, a loadable head out; a rerun resumes instead of starting over."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest


def test_train_writes_a_head_and_resumes(smollm2, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    from backends.local.mtp import MTPHead
    from backends.local.train import main

    work, out = tmp_path / "work", tmp_path / "head.safetensors"
    args = ["--model", "smollm2", "--out", str(out), "--workdir", str(work), "--tokens", "1500", "--seq-len", "64",
            "--answers", "4", "--answer-tokens", "8", "--vocab", "256", "--batch", "4", "--threads", "2"]
    assert main([*args, "--epochs", "1"]) == 0
    head, meta = MTPHead.load(out)
    assert meta["target"] == "smollm2"
    assert 0 < meta["self_generated_answers"] <= 4  # type: ignore[operator]  # prompts too long are skipped
    assert meta["corpus"] == "python-stdlib+site-packages-docs" and meta["epochs"] == 1
    assert len(head.vocab_ids) == meta["vocab"] <= 256  # the tokens the target predicted, at most --vocab
    assert len(meta["heldout_accuracy"]) == 3  # type: ignore[arg-type]
    answers = sorted(work.glob("answers-*.pt"))
    shards = sorted(work.glob("features-*.pt"))
    assert answers and shards
    stamps = {p: p.stat().st_mtime_ns for p in answers + shards}

    caplog.set_level(logging.INFO, logger="backends.local.train")
    assert main([*args, "--epochs", "2"]) == 0
    assert any("resuming from" in r.getMessage() and "(epoch 1)" in r.getMessage() for r in caplog.records)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # answers and target states were reused
    assert MTPHead.load(out)[1]["epochs"] == 2
