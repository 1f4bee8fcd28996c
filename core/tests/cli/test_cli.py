"""The covalent command line, run as a user would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def covalent(env, *args, input=None, check=True):
    return subprocess.run(
        [sys.executable, "-c", "from covalent.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        input=input,
        check=check,
        timeout=120,
    )


def test_config_show_and_set(env):
    out = covalent(env, "config", "dispatcher.default_executor", "local")
    assert 'dispatcher.default_executor = "local"' in out.stdout
    assert covalent(env, "config", "dispatcher.default_executor").stdout.strip() == "local"
    covalent(env, "config", "server.port", "49999")
    shown = covalent(env, "config").stdout
    assert '"port": 49999' in shown
    missing = covalent(env, "config", "no.such.key", check=False)
    assert missing.returncode != 0 and "no setting" in missing.stderr


def test_start_status_logs_restart_stop_purge(env):
    covalent(env, "config", "dispatcher.default_executor", "local")
    started = covalent(env, "start", "--port", env["PORT"], "--no-cluster")
    assert "started" in started.stdout and "ready in" in started.stdout
    again = covalent(env, "start", "--port", env["PORT"], check=False)
    assert again.returncode != 0 and "already running" in again.stderr
    status = json.loads(covalent(env, "status", "--json").stdout)
    assert status["running"] is True and "local" in status["installed_executors"]
    assert status["distribution"] == "bondflow" and status["executor_distributions"]["local"] == "bondflow"
    assert status["coinstalled"] is None
    assert status["database"].endswith("covalent.db")
    shown = covalent(env, "status").stdout
    assert "Address" in shown and "local (bondflow)" in shown and "Conflict" not in shown
    assert "starting on" in covalent(env, "logs", "-n", "20").stdout
    assert "started" in covalent(env, "restart", "--no-cluster").stdout
    assert "stopped" in covalent(env, "stop").stdout
    down = covalent(env, "status", check=False)
    assert down.returncode == 1 and "covalent start" in " ".join(down.stdout.split())
    refused = covalent(env, "purge", input="n\n")
    assert "Nothing deleted" in refused.stdout and Path(env["COVALENT_DATA_DIR"]).exists()
    covalent(env, "purge", "--hard", "--yes")  # --hard: the database too
    assert not Path(env["COVALENT_DATA_DIR"]).exists()


def test_start_with_no_triggers_or_triggers_only(env):
    both = covalent(env, "start", "--port", env["PORT"], "--no-triggers", "--triggers-only", check=False)
    assert both.returncode != 0 and "mutually exclusive" in both.stderr
    covalent(env, "start", "--port", env["PORT"], "--no-cluster", "--no-triggers")
    status = json.loads(covalent(env, "status", "--json").stdout)
    assert status["triggers"]["status"] == "disabled"
    assert "disabled (--no-triggers)" in covalent(env, "status").stdout
    assert "started" in covalent(env, "restart", "--no-cluster", "--triggers-only").stdout
    assert "running (--triggers-only), 0 observed" in covalent(env, "status").stdout


def test_plugins_lists_builtin_local_executor(env):
    data = json.loads(covalent(env, "plugins", "--json").stdout)
    local = next(p for p in data if p["name"] == "local")
    assert local["builtin"] and local["executors"] == ["local"] and local["loaded"]
    assert local["distribution"] == "bondflow"
    table = covalent(env, "plugins").stdout
    assert "local" in table and "bondflow" in table


def test_help_lists_every_command_and_start_imports_only_what_it_needs(env):
    from covalent.cli import COMMANDS

    listed = covalent(env, "--help").stdout
    assert all(f"  {name} " in listed for name in COMMANDS)
    probe = (
        "import sys, click\n"
        "from covalent.cli import cli\n"
        "command = cli.get_command(click.Context(cli), 'start')\n"
        "print(command.name, sorted(m for m in ('rich', 'httpx', 'covalent.cli.plugins_cmd') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["start", "[]"]


def _damaged(path: Path, how: str, good: bytes) -> None:
    if how == "empty":
        path.write_bytes(b"")
    elif how == "foreign":
        path.write_bytes(b"not a database at all\n" * 200)
    elif how == "truncated":
        path.write_bytes(good[: len(good) // 2])
    else:  # the schema page overwritten
        path.write_bytes(good[:100] + b"\xff" * 3996 + good[4096:])


@pytest.mark.parametrize("how", ["empty", "foreign", "truncated", "damaged"])
def test_a_broken_database_file_is_one_clear_line_at_start(env, how):
    """Which file, what is wrong, what to do: restore it, or covalent purge --hard."""
    covalent(env, "config", "dispatcher.default_executor", "local")
    covalent(env, "start", "--port", env["PORT"], "--no-cluster")
    covalent(env, "stop")
    database = Path(env["COVALENT_DATA_DIR"]) / "covalent.db"
    import sqlite3

    with sqlite3.connect(database) as conn:  # make it a few pages long, all checkpointed into the file
        conn.execute("CREATE TABLE padding (data BLOB)")
        conn.executemany("INSERT INTO padding VALUES (?)", [(b"x" * 3000,)] * 50)
    sqlite3.connect(database).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    _damaged(database, how, database.read_bytes())
    refused = covalent(env, "start", "--port", env["PORT"], "--no-cluster", check=False)
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert str(database) in lines[0] and "restore it from a backup" in lines[0] and "covalent purge --hard" in lines[0]
    assert {"empty": "is empty", "foreign": "not an SQLite", "truncated": "truncated", "damaged": "damaged"}[
        how
    ] in lines[0]
    # The server itself (python -m covalent.server.main) says the same in one line and exits.
    server = subprocess.run(
        [sys.executable, "-m", "covalent.server.main", "--port", env["PORT"], "--no-cluster"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = server.stderr.strip().splitlines()
    assert server.returncode == 2 and len(said) == 1 and said[0].endswith(lines[0].removeprefix("Error: ")), said
    covalent(env, "purge", "--hard", "--yes")
    assert "started" in covalent(env, "start", "--port", env["PORT"], "--no-cluster").stdout


def test_the_start_checks_import_neither_sqlalchemy_nor_httpx(env, tmp_path):
    """covalent start checks the token and the database file before the server starts: cheaply."""
    probe = (
        "import sys\n"
        "from covalent.server.access import is_loopback\n"
        "from covalent.server.db.sqlite_file import check_database\n"
        f"check_database('sqlite:///{tmp_path / 'none.db'}')\n"
        "print(sorted(m for m in ('sqlalchemy', 'httpx', 'pydantic') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
