#!/usr/bin/env bash
# Set everything up and run the whole test suite (lint, types, tests).
# Installs the Debian packages the tests drive for real: Slurm and munge,
# Chromium, PostgreSQL, an SSH server and rsync, and Node.js with npm for the
# dashboard's bundle (needs root or sudo, as on CI).
set -euo pipefail
cd "$(dirname "$0")/.."
APT_PACKAGES="slurm-wlm munge chromium postgresql openssh-server openssh-client procps rsync gcc"
missing=""
for pkg in $APT_PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
# Node.js and npm build the dashboard's JavaScript bundle (scripts/setup.sh).
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/mypy core/src
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest "$@"
fi
.venv/bin/python -m pytest
# The server suite once more, on a real PostgreSQL instead of SQLite.
COVALENT_TEST_DATABASE=postgres .venv/bin/python -m pytest core/tests/server -m "not slow"
# Covalent's own functional suite against this project's server (docs/compatibility.md):
# ../shared/peer-suites/covalent-0.240, copied to a temporary folder; fails below 96 passes.
.venv/bin/python tests/compat/peer_suite.py
