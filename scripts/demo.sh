#!/usr/bin/env bash
# Set everything up, start the server (SQLite, default Dask executor), dispatch
# the quickstart workflow, and print its result and the dashboard address.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! .venv/bin/covalent status >/dev/null 2>&1; then
  .venv/bin/covalent start
fi
.venv/bin/python examples/quickstart.py
