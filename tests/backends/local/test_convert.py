"""Installing a finished conversion: two processes converting the same GGUF at once both end with one
complete folder, and neither writes into the other's files."""

from __future__ import annotations

from pathlib import Path

from backends.local.convert import _install


def _finished(path: Path, marker: str) -> Path:
    path.mkdir(parents=True)
    (path / "model.safetensors").write_text(marker)
    (path / ".complete").write_text(marker)
    return path


def test_a_conversion_moves_into_place(tmp_path: Path) -> None:
    out = tmp_path / "smollm2-abc"
    _install(_finished(tmp_path / "smollm2-abc.partial-1", "mine"), out)
    assert (out / "model.safetensors").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["smollm2-abc"]


def test_the_first_finished_conversion_is_kept(tmp_path: Path) -> None:
    out = _finished(tmp_path / "smollm2-abc", "theirs")
    _install(_finished(tmp_path / "smollm2-abc.partial-2", "mine"), out)
    assert (out / "model.safetensors").read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["smollm2-abc"]


def test_an_interrupted_conversion_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "smollm2-abc"
    out.mkdir()
    (out / "model.safetensors").write_text("half")
    _install(_finished(tmp_path / "smollm2-abc.partial-3", "mine"), out)
    assert (out / "model.safetensors").read_text() == "mine"
