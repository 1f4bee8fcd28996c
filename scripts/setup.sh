#!/usr/bin/env bash
# Create .venv with every package of the workspace (needs only Python 3.11+ and PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! command -v uv >/dev/null 2>&1; then
  "$PYTHON" -m pip install --quiet --upgrade uv
fi
UV="$(command -v uv || echo "$PYTHON -m uv")"
# Byte-compile what is installed: with PYTHONDONTWRITEBYTECODE set (as on CI),
# nothing would ever be cached and every start would recompile every import.
UV_COMPILE_BYTECODE=1 $UV sync --quiet --all-packages --all-extras --group dev "$@"
# The dashboard's JavaScript bundle (npm ci + esbuild), rebuilt only when its sources changed.
.venv/bin/python ui/frontend/bundle.py -q
.venv/bin/python -m compileall -q -j 0 core/src plugins/*/src ui/src examples/*/src >/dev/null
