"""ct.covalent_start(), ct.is_covalent_running(), ct.covalent_stop(): the server from Python."""

from __future__ import annotations

import covalent as ct
from covalent.testing import free_port


def test_start_status_and_stop_from_python(tmp_path, monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("COVALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COVALENT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("COVALENT_DISPATCHER_ADDR", f"http://127.0.0.1:{port}")
    ct.set_config("dispatcher.default_executor", "local")
    assert not ct.is_covalent_running()
    try:
        ct.covalent_start(port=port, no_cluster=True)
        assert ct.is_covalent_running()
        ct.covalent_start(port=port)  # running already: nothing to do
        assert "already running" in capsys.readouterr().out

        @ct.electron
        def double(x):
            return 2 * x

        @ct.lattice
        def wf(x):
            return double(x)

        assert ct.dispatch_sync(wf)(21).result == 42
    finally:
        ct.covalent_stop(quiet=True)
    assert not ct.is_covalent_running()
    ct.covalent_stop()
    assert "not running" in capsys.readouterr().out
