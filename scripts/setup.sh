#!/usr/bin/env bash
# Create .venv with every package of the workspace (needs only Python 3.11+ and PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! command -v uv >/dev/null 2>&1; then
  "$PYTHON" -m pip install --quiet --upgrade uv
fi
UV="$(command -v uv || echo "$PYTHON -m uv")"
$UV sync --quiet --all-packages --all-extras --group dev "$@"
