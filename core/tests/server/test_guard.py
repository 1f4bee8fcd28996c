"""No web page acts for the user: cross-site writes (CSRF) and foreign Host names (DNS rebinding) are refused.

Each request here is what a browser sends for the attack (the same headers),
against a real server process; the browser itself is in ui/tests/test_attacks.py.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import covalent as ct
from covalent.testing import CLIENT_HEADERS, ServerProcess, upload_parts


@ct.electron
def touch(path):
    Path(path).write_text("ran")
    return 1


@ct.lattice
def touching(path):
    return touch(path)


def _total(server: ServerProcess) -> int:
    return httpx.get(f"{server.address}/api/v1/dispatches?limit=1").json()["total"]


def _host(server: ServerProcess) -> str:
    return server.address.removeprefix("http://")


EVIL = "http://127.0.0.1:1"  # another local origin (any other port is another origin)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL, "Sec-Fetch-Site": "same-site"},  # a page on another local port
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # a file:// page
        {"Sec-Fetch-Site": "cross-site"},  # a browser that left Origin out
        {},  # a browser that sends neither: the simple multipart body is not enough
    ],
    ids=["other-origin", "file-page", "fetch-site-only", "no-origin"],
)
def test_a_forged_multipart_dispatch_is_refused_and_nothing_runs(server, tmp_path, headers):
    marker = tmp_path / "ran"
    before = _total(server)
    parts = upload_parts(touching, str(marker))
    answer = httpx.post(f"{server.address}/api/v1/dispatches", files=parts, headers=headers)
    assert answer.status_code == 403, answer.text
    assert "refused" in answer.json()["detail"] or "X-Covalent-Client" in answer.json()["detail"]
    assert _total(server) == before
    assert not marker.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL, "Sec-Fetch-Site": "same-site"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["other-origin", "file-page", "fetch-site-only"],
)
def test_a_forged_framed_dispatch_is_refused_and_nothing_runs(server, tmp_path, headers):
    # The framed body's type is not a simple one: a page's fetch of it is preflighted, and the
    # preflight grants nothing; a request as a browser would send it is refused like any other write.
    from covalent.client.upload import framed_body
    from covalent.graph.dispatch_body import MEDIA_TYPE

    marker = tmp_path / "ran"
    before = _total(server)
    body = framed_body(touching.build_manifest(str(marker)), {})
    page = {**headers, "Content-Type": MEDIA_TYPE}
    answer = httpx.post(f"{server.address}/api/v1/dispatches", content=body, headers=page)
    assert answer.status_code == 403, answer.text
    assert "refused" in answer.json()["detail"]
    preflight = httpx.options(
        f"{server.address}/api/v1/dispatches",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert _total(server) == before
    assert not marker.exists()


def test_forged_start_cancel_redispatch_and_delete_change_nothing(server, tmp_path):
    marker = tmp_path / "ran"
    dispatch_id = ct.dispatch(touching, disable_run=True)(str(marker))
    done = ct.dispatch_sync(touching)(str(tmp_path / "done"))
    base = f"{server.address}/api/v1/dispatches"
    forged = {"Origin": EVIL, "Content-Type": "text/plain", "Sec-Fetch-Site": "same-site"}
    before = _total(server)
    for path in (f"{dispatch_id}/start", f"{dispatch_id}/cancel", f"{done.dispatch_id}/redispatch"):
        assert httpx.post(f"{base}/{path}", content=b"{}", headers=forged).status_code == 403
        # Without Origin (an old browser), text/plain is still not enough.
        assert httpx.post(f"{base}/{path}", content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 403
    assert httpx.delete(f"{base}/{done.dispatch_id}", headers={"Origin": EVIL}).status_code == 403
    assert httpx.delete(f"{base}/{done.dispatch_id}").status_code == 403
    assert _total(server) == before
    assert ct.get_result(dispatch_id).status == "NEW_OBJECT" and not marker.exists()
    assert ct.get_result(done.dispatch_id).status == "COMPLETED"


def test_dashboard_writes_from_another_origin_are_refused(server):
    manifest = touching.build_manifest("x").to_json()
    for path, kwargs in [
        ("/preview", {"data": {"manifest": str(manifest)}}),
        ("/login", {"data": {"token": "x"}}),
        ("/dispatches/abc/redispatch", {}),
    ]:
        answer = httpx.post(f"{server.address}{path}", headers={"Origin": EVIL}, **kwargs)
        assert answer.status_code == 403, (path, answer.text)
        assert httpx.post(f"{server.address}{path}", headers={"Origin": "null"}, **kwargs).status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/dispatches", "/api/v1/settings", "/", "/settings", "/api/v1/events"])
def test_a_foreign_host_name_is_refused_even_with_a_matching_origin(server, path):
    port = server.port
    rebound = {"Host": f"rebind.evil.example:{port}", "Origin": f"http://rebind.evil.example:{port}"}
    answer = httpx.get(f"{server.address}{path}", headers=rebound)
    assert answer.status_code == 403
    assert "rebind.evil.example" in answer.json()["detail"] and "allowed_hosts" in answer.json()["detail"]
    assert httpx.post(f"{server.address}/api/v1/dispatches", headers=rebound).status_code == 403


def test_the_servers_own_names_and_its_clients_pass(server):
    port = server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "127.0.0.1"):
        assert httpx.get(f"{server.address}/api/v1/dispatches", headers={"Host": host}).status_code == 200, host
    # A same-origin write from the dashboard's page (what Chromium sends).
    own = {"Origin": server.address, "Sec-Fetch-Site": "same-origin", **CLIENT_HEADERS}
    assert httpx.post(f"{server.address}/api/v1/dispatches/nope/start", headers=own).status_code == 404
    # A script or the SDK: a JSON body, or the client header.
    assert httpx.post(f"{server.address}/api/v1/dispatches/nope/cancel", json={}).status_code == 404
    assert httpx.post(f"{server.address}/api/v1/dispatches/nope/start", headers=CLIENT_HEADERS).status_code == 404
    assert ct.dispatch_sync(touching)(str(Path(server.root) / "sdk")).status == "COMPLETED"


def test_proxies_are_configured_with_allowed_hosts_and_origins(tmp_path):
    config = '[server]\nallowed_hosts = [".example.org"]\nallowed_origins = ["https://covalent.example.org"]\n'
    with ServerProcess(tmp_path, config=config) as proxied:
        base = f"{proxied.address}/api/v1"
        public = {"Host": "covalent.example.org", "Origin": "https://covalent.example.org", **CLIENT_HEADERS}
        assert httpx.get(f"{base}/dispatches", headers={"Host": "covalent.example.org"}).status_code == 200
        assert httpx.get(f"{base}/dispatches", headers={"Host": "example.org"}).status_code == 200
        assert httpx.get(f"{base}/dispatches", headers={"Host": "example.org.evil.net"}).status_code == 403
        assert httpx.post(f"{base}/dispatches/nope/start", headers=public).status_code == 404
        other = {**public, "Origin": "https://other.example.org"}
        assert httpx.post(f"{base}/dispatches/nope/start", headers=other).status_code == 403
