"""covalent.client.connection: the token a request carries, read again whenever its file changes."""

from __future__ import annotations

import os

from covalent.client.connection import Connection, read_token


def test_the_token_follows_its_file(tmp_path, monkeypatch):
    monkeypatch.delenv("COVALENT_TOKEN", raising=False)
    monkeypatch.setenv("COVALENT_CONFIG_DIR", str(tmp_path))
    assert read_token() == ""  # no file yet
    (tmp_path / "token").write_text("first-token-of-the-server\n")
    assert read_token() == "first-token-of-the-server"
    assert read_token() == "first-token-of-the-server"  # kept: the file is the same
    # A server started again writes a new one beside it and renames it into place.
    (tmp_path / "token.new").write_text("second-token-of-the-server\n")
    os.replace(tmp_path / "token.new", tmp_path / "token")
    assert read_token() == "second-token-of-the-server"
    # Edited in place to a token of another length.
    (tmp_path / "token").write_text("third\n")
    assert read_token() == "third"
    assert Connection("http://127.0.0.1:1")._headers["Authorization"] == "Bearer third"
    (tmp_path / "token").unlink()
    assert read_token() == ""
    assert "Authorization" not in Connection("http://127.0.0.1:1")._headers
    monkeypatch.setenv("COVALENT_TOKEN", " from-the-environment ")
    assert read_token() == "from-the-environment"


def test_each_config_folder_has_its_own_token(tmp_path, monkeypatch):
    monkeypatch.delenv("COVALENT_TOKEN", raising=False)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "token").write_text(f"token-{name}")
    for name in ("a", "b", "a"):
        monkeypatch.setenv("COVALENT_CONFIG_DIR", str(tmp_path / name))
        assert read_token() == f"token-{name}"
