"""Tokens fail closed: a server beyond loopback never starts with an empty, blank or short token."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from covalent.testing import ServerProcess, free_port

STRONG = "k" * 32


def _refused(proc: ServerProcess) -> str:
    try:
        proc.start(timeout=30)
    except RuntimeError as exc:
        return str(exc)
    proc.stop()  # it must not outlive the test that caught it listening
    pytest.fail("the server started with a weak token")


@pytest.mark.parametrize("content", ["", "   \n", "short-token-of-31-characters-xx"], ids=["empty", "blank", "short"])
def test_a_weak_token_file_keeps_an_exposed_server_from_starting(tmp_path, content):
    proc = ServerProcess(tmp_path, host="0.0.0.0")
    (proc.config_dir / "token").write_text(content)
    message = _refused(proc)
    assert "refusing to listen on 0.0.0.0" in message and "at least 32 characters" in message
    assert str(proc.config_dir / "token") in message and "delete the file" in message


@pytest.mark.parametrize("value", ["", " ", "x" * 31], ids=["empty", "blank", "short"])
def test_a_weak_covalent_token_keeps_an_exposed_server_from_starting(tmp_path, value):
    proc = ServerProcess(tmp_path, host="0.0.0.0", extra_env={"COVALENT_TOKEN": value})
    message = _refused(proc)
    assert "COVALENT_TOKEN" in message and "at least 32 characters" in message


def test_a_strong_token_starts_it_and_loopback_needs_none(tmp_path):
    import httpx

    with ServerProcess(tmp_path / "a", host="0.0.0.0", extra_env={"COVALENT_TOKEN": f"  {STRONG}  "}) as proc:
        headers = {"Authorization": f"Bearer {STRONG}"}
        assert httpx.get(f"{proc.address}/api/v1/dispatches", headers=headers).status_code == 200
    loopback = ServerProcess(tmp_path / "b", extra_env={"COVALENT_TOKEN": " "})
    with loopback:  # a blank token does not matter where no token is asked for
        assert httpx.get(f"{loopback.address}/api/v1/dispatches").status_code == 200


def test_covalent_start_says_in_one_line_how_to_fix_a_weak_token(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "token").write_text(" ")
    env = {**os.environ, "COVALENT_CONFIG_DIR": str(config_dir), "COVALENT_DATA_DIR": str(tmp_path / "data")}
    env.pop("COVALENT_TOKEN", None)
    command = [sys.executable, "-m", "covalent.cli", "start", "--host", "0.0.0.0", "--port", str(free_port())]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    finally:  # should it have started after all, it must not outlive the test
        subprocess.run([sys.executable, "-m", "covalent.cli", "stop"], env=env, capture_output=True, timeout=60)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is empty" in lines[0] and "delete the file" in lines[0], done.stderr
    assert not (tmp_path / "data" / "covalent.pid").exists()


def test_the_token_file_is_made_whole_once_even_by_racing_servers(tmp_path):
    config_dir = tmp_path / "config"
    script = "from covalent.server.access import ensure_token; print(ensure_token())"
    env = {**os.environ, "COVALENT_CONFIG_DIR": str(config_dir)}
    env.pop("COVALENT_TOKEN", None)
    racers = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True) for _ in range(6)
    ]
    tokens = {racer.communicate(timeout=60)[0].strip() for racer in racers}
    assert len(tokens) == 1 and len(tokens.pop()) >= 32
    assert sorted(p.name for p in config_dir.iterdir()) == ["token"]  # no temporary file left behind
    assert stat.S_IMODE(os.stat(config_dir / "token").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(config_dir).st_mode) == 0o700
