#!/usr/bin/env bash
# The local engine on a CUDA GPU host, in one go: the device tests (on CUDA a token's logits must be
# bit-identical alone and inside a draft block, and speculative output must equal plain decoding),
# then the decoding benchmark on the GPU (transformers on the GPU too; llama.cpp, if installed, on the
# CPU). Needs a CUDA build of torch and the local extra (docs/local.md, "Install").
#
#   scripts/gpu-check.sh [PYTHON]        # PYTHON: the interpreter of that environment (default python)
#
# Writes gpu-check-<host>.txt beside the repository root with everything it printed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-python}
OUT="gpu-check-$(hostname).txt"
export PYTHONPATH=$PWD
{
  "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else "torch sees no CUDA GPU")'
  "$PY" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, torch.cuda.get_device_name())'
  "$PY" -m pytest tests/backends/local/test_devices.py -q -p no:randomly -rs
  "$PY" tests/benchmarks/local_decode.py --device cuda --models smollm2 gemma3 --reps 1 \
    --prompts bench public --skip ngram mtp-head-only
} 2>&1 | tee "$OUT"
