"""The server's entry point, called in this process (what ``python -m covalent.server.main`` runs)."""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys

from covalent.server.main import main


def test_a_start_that_is_refused_leaves_the_garbage_collector_on(tmp_path, monkeypatch):
    """main turns the collector off while it starts; whatever way it returns, it is on again."""
    monkeypatch.setenv("COVALENT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("COVALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COVALENT_DATABASE_URL", raising=False)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "covalent.db").write_bytes(b"")  # an empty file: refused, one clear line
    assert gc.isenabled()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        assert main(["--port", "1", "--no-cluster", "--log-file", str(tmp_path / "server.log")]) == 2
    finally:  # main configured this process's logging for the server: undo it
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = handlers, level
    assert gc.isenabled()
    assert "is empty" in (tmp_path / "server.log").read_text()


def test_a_bad_numeric_setting_is_one_line_naming_it_from_the_server(tmp_path):
    """``python -m covalent.server.main`` itself (as ``covalent start --develop`` and a spawned server run it)."""
    env = {
        **os.environ,
        "COVALENT_CONFIG_DIR": str(tmp_path / "config"),
        "COVALENT_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("COVALENT_DATABASE_URL", None)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "covalent.conf").write_text('[server]\nmax_connections = "lots"\n')
    log = tmp_path / "server.log"
    out = subprocess.run(
        [sys.executable, "-m", "covalent.server.main", "--port", "1", "--no-cluster", "--log-file", str(log)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = "server.max_connections = 'lots' in covalent.conf: expected a whole number (at least 0)"
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [f"covalent server: {said}"], out.stderr
    assert said in log.read_text() and "Traceback" not in log.read_text()
