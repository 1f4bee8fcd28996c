"""Access: loopback by default; any other interface needs the token; no open CORS."""

from __future__ import annotations

import os
import stat

import httpx
import pytest

import covalent as ct
from covalent.testing import ServerProcess


@ct.electron
def add(x, y):
    return x + y


@ct.lattice
def wf(a):
    return add(a, 1)


def test_loopback_server_needs_no_token_and_sends_no_cors_headers(server):
    response = httpx.get(f"{server.address}/api/v1/dispatches", headers={"Origin": "http://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert not (server.config_dir / "token").exists()


@pytest.fixture
def exposed(tmp_path):
    proc = ServerProcess(tmp_path, host="0.0.0.0")
    with proc:
        yield proc


def test_non_loopback_bind_requires_the_token(exposed):
    token_file = exposed.config_dir / "token"
    assert token_file.exists()
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    token = token_file.read_text().strip()
    base = f"{exposed.address}/api/v1"
    assert httpx.get(f"{base}/health").status_code == 200  # liveness stays open
    assert httpx.get(f"{base}/dispatches").status_code == 401
    assert httpx.get(f"{base}/dispatches", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(f"{base}/dispatches", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(f"{base}/dispatches", cookies={"covalent_token": token}).status_code == 200
    assert httpx.get(f"{exposed.address}/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    page = httpx.get(f"{exposed.address}/dispatches", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/dispatches"
    login = httpx.get(f"{exposed.address}/login", headers={"Accept": "text/html"})
    assert login.status_code == 200 and "token" in login.text.lower()
    # The SDK reads the token from the config directory by itself.
    assert ct.dispatch_sync(wf)(1).result == 2


def test_a_framed_dispatch_needs_the_token_like_any_other(exposed):
    from covalent.client.upload import framed_body
    from covalent.graph.dispatch_body import MEDIA_TYPE

    token = (exposed.config_dir / "token").read_text().strip()
    url = f"{exposed.address}/api/v1/dispatches"
    body = framed_body(wf.build_manifest(1), {})
    typed = {"Content-Type": MEDIA_TYPE, "X-Covalent-Client": "covalent-tests"}
    assert httpx.post(url, content=body, headers=typed).status_code == 401
    assert httpx.post(url, content=body, headers={**typed, "Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.post(url, content=body, headers={**typed, "Authorization": f"Bearer {token}"}).status_code == 201


def test_sdk_without_the_token_gets_a_clear_error(exposed, monkeypatch, tmp_path):
    monkeypatch.setenv("COVALENT_CONFIG_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(ct.ServerError, match=r"401.*token"):
        ct.dispatch(wf)(1)


def test_query_token_is_accepted_on_the_event_stream_only(exposed):
    token = (exposed.config_dir / "token").read_text().strip()
    base = f"{exposed.address}/api/v1"
    # A token in a URL ends up in logs and histories: only EventSource, which cannot send headers, may.
    assert httpx.get(f"{base}/dispatches", params={"token": token}).status_code == 401
    assert httpx.get(f"{base}/events", params={"token": token, "dispatch_id": "nope"}).status_code == 404
    assert httpx.get(f"{base}/events", params={"dispatch_id": "nope"}).status_code == 401
    # With the header, a stray ?token= is not a bad parameter of the list route.
    listed = httpx.get(f"{base}/dispatches", params={"token": token}, headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text


def test_query_token_is_ignored_by_the_list_route_of_a_loopback_server(server):
    answer = httpx.get(f"{server.address}/api/v1/dispatches", params={"token": "x", "limit": 1})
    assert answer.status_code == 200, answer.text


@ct.electron
def big(n):
    return b"v" * n


@ct.lattice
def big_flow(n):
    return big(n)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_config_database_objects_and_log_are_the_users_alone(tmp_path):
    data, config = tmp_path / "data", tmp_path / "config"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # as an older version left it
    import sqlite3

    with sqlite3.connect(data / "covalent.db") as conn:  # a database from before, readable by all
        conn.execute("PRAGMA journal_mode=WAL")
    os.chmod(data / "covalent.db", 0o644)
    # The embedded SQLite database whatever the suite runs on (its files are what this checks).
    with ServerProcess(tmp_path, host="0.0.0.0", extra_env={"COVALENT_DATABASE_URL": ""}) as proc:
        assert ct.dispatch_sync(big_flow)(200_000).result == b"v" * 200_000  # over the inline limit: a file
    assert proc.data_dir == data and proc.config_dir == config
    assert _mode(data) == _mode(config) == 0o700
    files = [config / "token", config / "covalent.conf", proc.log_file]
    files += [p for p in data.iterdir() if p.name.startswith("covalent.db")]
    objects = list((data / "objects").rglob("*"))
    assert any(p.is_file() for p in objects)
    files += [p for p in objects if p.is_file()]
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert {_mode(p) for p in objects if p.is_dir()} | {_mode(data / "objects")} == {0o700}


SECRETS = """
[executors.awsbatch]
auth = "auth-value-1"
pwd = "pwd-value-2"
ssh_passphrase = "passphrase-value-3"
results_url = "postgresql://user:url-password-4@db/x"
"""


def test_settings_status_and_pages_never_show_a_secret(tmp_path):
    with ServerProcess(tmp_path, config=SECRETS) as proc:

        @ct.electron(executor={"name": "local", "kwargs": {"api_token": "option-token-5"}})
        def secretive(x):
            return x

        @ct.lattice
        def flow(x):
            return secretive(x)

        assert ct.dispatch_sync(flow)(1).result == 1  # the executor now runs, with its options
        shown = [
            httpx.get(f"{proc.address}/api/v1/settings").text,
            httpx.get(f"{proc.address}/api/v1/status").text,
            httpx.get(f"{proc.address}/settings").text,
            httpx.get(f"{proc.address}/plugins").text,
        ]
        assert "option-token-5" not in shown[1] and "api_token" in shown[1]
        for text in shown:
            for value in ("auth-value-1", "pwd-value-2", "passphrase-value-3", "url-password-4", "option-token-5"):
                assert value not in text
        assert "user:****@db" in shown[0]
