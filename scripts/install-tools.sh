#!/usr/bin/env bash
# Install the coding tools the end-to-end tests drive, under a local prefix (default: .tools/ in the
# repository, which git ignores). Nothing is installed globally.
#
#   scripts/install-tools.sh            # all tools
#   scripts/install-tools.sh claude codex   # only some: claude codex opencode continue aider
#
# Then: PATH="$PWD/.tools/bin:$PATH" pytest -m e2e tests/e2e
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${SWITCHPOINT_TOOLS:-$ROOT/.tools}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$PREFIX/bin"
# Keep the installs out of git without touching the repository's .gitignore.
[ -f "$PREFIX/.gitignore" ] || echo "*" > "$PREFIX/.gitignore"

declare -A NPM_PACKAGES=(
  [claude]="@anthropic-ai/claude-code"
  [codex]="@openai/codex"
  [opencode]="opencode-ai"
  [continue]="@continuedev/cli"
)

tools=("$@")
if [ ${#tools[@]} -eq 0 ]; then
  tools=(claude codex opencode continue aider)
fi

npm_install() {
  local pkg="$1"
  echo "installing $pkg (npm) under $PREFIX"
  npm install --global --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "$pkg"
}

aider_install() {
  # Aider pins many packages: it gets its own virtual environment, linked into $PREFIX/bin.
  echo "installing aider-chat (PyPI) in $PREFIX/aider-venv"
  "$PYTHON" -m venv "$PREFIX/aider-venv"
  "$PREFIX/aider-venv/bin/pip" install --quiet --upgrade pip
  "$PREFIX/aider-venv/bin/pip" install --quiet aider-chat
  ln -sf "$PREFIX/aider-venv/bin/aider" "$PREFIX/bin/aider"
}

for tool in "${tools[@]}"; do
  case "$tool" in
    aider) aider_install ;;
    claude|codex|opencode|continue) npm_install "${NPM_PACKAGES[$tool]}" ;;
    *) echo "unknown tool '$tool' (use: claude codex opencode continue aider)" >&2; exit 2 ;;
  esac
done

echo
echo "installed under $PREFIX/bin:"
ls "$PREFIX/bin"
echo "run the end-to-end tests with: PATH=\"$PREFIX/bin:\$PATH\" pytest -m e2e tests/e2e"
