"""Covalent's configuration keys, mapped onto this project's settings."""

from __future__ import annotations

import pytest

import covalent as ct
from covalent import config
from covalent.config_keys import MAPPED


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("COVALENT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("COVALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COVALENT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COVALENT_DISPATCHER_ADDR", raising=False)
    return tmp_path


def test_mapped_keys_read_and_write_ours(settings):
    ct.set_config({"dispatcher.port": 49123, "dispatcher.address": "127.0.0.2", "sdk.log_level": "debug"})
    assert config.get("server.port") == 49123 and config.get("server.host") == "127.0.0.2"
    assert ct.get_config("dispatcher.port") == 49123 and ct.get_config("dispatcher.address") == "127.0.0.2"
    assert config.dispatcher_address() == "http://127.0.0.2:49123" and ct.get_config("sdk.log_level") == "debug"
    ct.set_config("dask.num_workers", 3)
    assert config.executor_config("dask") == {"n_workers": 3}
    assert ct.get_config(["dask.num_workers", "dispatcher.port"]) == {"dask.num_workers": 3, "dispatcher.port": 49123}


def test_paths_follow_the_environment(settings):
    assert ct.get_config("dispatcher.cache_dir") == str(settings / "cache")
    assert ct.get_config("dispatcher.results_dir") == str(settings / "data" / "results")
    assert ct.get_config("dispatcher.db_path") == str(settings / "data" / "covalent.db")
    with pytest.raises(ValueError, match="COVALENT_CACHE_DIR"):
        ct.set_config("dispatcher.cache_dir", "/elsewhere")


def test_other_keys_are_kept_under_their_own_name(settings):
    with pytest.raises(KeyError):
        ct.get_config("no.such.key")
    ct.set_config("sdk.my_setting", "kept")
    ct.reload_config()
    assert ct.get_config("sdk.my_setting") == "kept" and ct.get_config("sdk.task_packing") == "true"
    everything = ct.get_config()
    assert everything["dispatcher"]["port"] == 48008 and everything["server"]["port"] == 48008
    assert set(MAPPED) <= {
        f"{s}.{k}" for s, section in everything.items() if isinstance(section, dict) for k in section
    }
