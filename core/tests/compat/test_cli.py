"""Covalent's command-line forms: -v, purge (keeping the database unless --hard), db migrate."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path


def covalent(env, *args, input=None):
    command = [sys.executable, "-m", "covalent.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, input=input, check=True, timeout=120)


def test_version_short_flag(env):
    from covalent import __version__

    assert __version__ in covalent(env, "-v").stdout


def test_db_migrate_creates_the_newest_schema(env):
    out = covalent(env, "db", "migrate").stdout
    assert "up to date" in out
    database = Path(env["COVALENT_DATA_DIR"]) / "covalent.db"
    with sqlite3.connect(database) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"dispatches", "nodes", "alembic_version"} <= tables
    assert "up to date" in covalent(env, "db", "migrate").stdout  # again: nothing to do


def test_purge_keeps_the_database_unless_hard(env):
    covalent(env, "config", "dispatcher.default_executor", "local")
    covalent(env, "start", "--port", env["PORT"], "--no-cluster")
    data, cache = Path(env["COVALENT_DATA_DIR"]), Path(env["COVALENT_CACHE_DIR"])
    cache.mkdir(parents=True)
    (data / "results").mkdir()
    assert "Nothing deleted" in covalent(env, "purge", input="n\n").stdout
    out = covalent(env, "purge", "--yes").stdout
    assert "is kept" in out and (data / "covalent.db").exists()
    assert not (data / "covalent.log").exists() and not (data / "results").exists() and not cache.exists()
    assert (Path(env["COVALENT_CONFIG_DIR"]) / "covalent.conf").exists()
    covalent(env, "purge", "--hard", "--yes")
    assert not data.exists() and (Path(env["COVALENT_CONFIG_DIR"]) / "covalent.conf").exists()
    covalent(env, "purge", "-H", "--config", "--yes")
    assert not Path(env["COVALENT_CONFIG_DIR"]).exists()
