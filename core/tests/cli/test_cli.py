"""The covalent command line, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from covalent.testing import free_port


@pytest.fixture
def env(tmp_path):
    port = free_port()
    values = {
        **os.environ,
        "COVALENT_DATA_DIR": str(tmp_path / "data"),
        "COVALENT_CONFIG_DIR": str(tmp_path / "config"),
        "COVALENT_DISPATCHER_ADDR": f"http://127.0.0.1:{port}",
        "PORT": str(port),
    }
    yield values
    subprocess.run([sys.executable, "-m", "covalent.cli", "stop"], env=values, capture_output=True)


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
