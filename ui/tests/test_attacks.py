"""Real Chromium, real server: pages of other origins try to act for the user and change nothing.

Three attackers: a page served from another local origin (another port), an
HTML file opened from disk (``file://``, origin ``null``), and a page whose
host name was re-pointed at the server (DNS rebinding: Chromium's host
resolver maps ``rebind.evil.example`` to 127.0.0.1, and the attacker's page
is served under that name on the server's own port).  Each one sends what
the findings describe -- a multipart ``no-cors`` dispatch, text/plain start,
cancel and redispatch, a DELETE, form posts to the dashboard, a request with
the client header -- then the test checks, through the API, that nothing
was registered, run, cancelled or deleted.  The dashboard's own buttons are
tested in test_browser.py against the same checks.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import covalent as ct
from covalent.graph.bundle import write_bundle
from covalent.testing import ServerProcess, free_port, wait_until


@ct.electron
def touch(path):
    Path(path).write_text("ran")
    return 1


@ct.lattice
def touching(path):
    return touch(path)


@ct.electron
def hold(path, limit=120.0):
    import os
    import time

    deadline = time.monotonic() + limit
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return "released"


@ct.lattice
def holding(path):
    return hold(path)


ATTACK = """<!doctype html><html><body><form id="f" method="post" target="sink"><input name="manifest"></form>
<iframe name="sink"></iframe><script>
const target = %(target)s, plan = %(plan)s;
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const results = {};
async function attempt(name, url, init) {
  try { const r = await fetch(target + url, init); results[name] = r.type === "opaque" ? "opaque" : r.status; }
  catch (e) { results[name] = "blocked"; }
}
async function attack() {
  const form = new FormData();
  form.append("manifest", new Blob([bytes(plan.manifest)]), "m.json");
  form.append("blobs", new Blob([bytes(plan.blobs)]), "b");
  const plain = { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: "{}" };
  const api = "/api/v1/dispatches/";
  await attempt("dispatch", "/api/v1/dispatches", { method: "POST", mode: "no-cors", body: form });
  await attempt("start", api + plan.idle + "/start", plain);
  await attempt("cancel", api + plan.running + "/cancel", plain);
  await attempt("redispatch", api + plan.done + "/redispatch", plain);
  await attempt("ui-redispatch", "/dispatches/" + plan.done + "/redispatch", { method: "POST", mode: "no-cors" });
  await attempt("delete", api + plan.done, { method: "DELETE" });
  await attempt("with-header", api + plan.idle + "/start", { method: "POST", headers: { "X-Covalent-Client": "x" } });
  await attempt("read", "/api/v1/dispatches", { method: "GET" });
  const f = document.getElementById("f");
  f.action = target + "/preview";
  f.elements.manifest.value = atob(plan.manifest);
  f.submit();
  await new Promise((resolve) => setTimeout(resolve, 500));
  window.attackResults = results;
}
attack();
</script></body></html>"""


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server holding an idle, a running and a completed dispatch."""
    root = tmp_path_factory.mktemp("victim")
    with ServerProcess(root, default_executor="local") as server:
        release = root / "release"
        state = {
            "server": server,
            "root": root,
            "marker": root / "ran",
            "idle": ct.dispatch(touching, disable_run=True)(str(root / "idle-ran")),
            "running": ct.dispatch(holding)(str(release)),
            "done": ct.dispatch_sync(touching)(str(root / "done-ran")).dispatch_id,
        }
        _wait_running(server, state["running"])
        try:
            yield state
        finally:
            release.write_text("go")
            ct.get_result(state["running"], wait=True)


def _wait_running(server: ServerProcess, dispatch_id: str) -> None:
    def holding() -> bool:
        nodes = httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/nodes?brief=1").json()["nodes"]
        return any(n["name"] == "hold" and n["status"] == "RUNNING" for n in nodes)

    wait_until(holding, 60, what="the holding task to start")


def _attack_page(victim: dict[str, Any], target: str) -> str:
    manifest = touching.build_manifest(str(victim["marker"]))
    plan = {
        "manifest": base64.b64encode(json.dumps(manifest.to_json()).encode()).decode(),
        "blobs": base64.b64encode(write_bundle(manifest.blobs.items())).decode(),
        "idle": victim["idle"],
        "running": victim["running"],
        "done": victim["done"],
    }
    return ATTACK % {"target": json.dumps(target), "plan": json.dumps(plan)}


def _total(server: ServerProcess) -> int:
    return httpx.get(f"{server.address}/api/v1/dispatches?limit=1&include_children=true").json()["total"]


def _run_attack(browser: Any, url: str, victim: dict[str, Any], route: tuple[str, str] | None = None) -> dict[str, Any]:
    server = victim["server"]
    before = _total(server)
    context = browser.new_context()
    try:
        tab = context.new_page()
        if route is not None:
            pattern, html = route
            tab.route(pattern, lambda r: r.fulfill(status=200, content_type="text/html", body=html))
        tab.goto(url)
        tab.wait_for_function("window.attackResults !== undefined", timeout=30_000)
        results = tab.evaluate("window.attackResults")
    finally:
        context.close()
    time.sleep(0.5)  # anything accepted would have been registered by now
    assert _total(server) == before, "the attack registered a dispatch"
    assert not victim["marker"].exists(), "the attack ran a task"
    assert ct.get_result(victim["idle"]).status == "NEW_OBJECT", "the attack started a dispatch"
    assert ct.get_result(victim["running"]).status == "RUNNING", "the attack cancelled a dispatch"
    assert ct.get_result(victim["done"]).status == "COMPLETED", "the attack deleted a dispatch"
    return results


@pytest.fixture(scope="module")
def other_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """An ordinary web server on another local port, serving a folder."""
    folder = tmp_path_factory.mktemp("attacker")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_page_of_another_local_origin_changes_nothing(browser: Any, victim: dict[str, Any], other_origin) -> None:
    folder, origin = other_origin
    (folder / "attack.html").write_text(_attack_page(victim, victim["server"].address))
    results = _run_attack(browser, f"{origin}/attack.html", victim)
    assert results["read"] == "blocked" and results["with-header"] == "blocked" and results["delete"] == "blocked"


def test_a_file_page_changes_nothing(browser: Any, victim: dict[str, Any], tmp_path: Path) -> None:
    page = tmp_path / "attack.html"
    page.write_text(_attack_page(victim, victim["server"].address))
    results = _run_attack(browser, page.as_uri(), victim)
    assert results["read"] == "blocked" and results["with-header"] == "blocked"


def test_a_rebound_host_name_reads_and_changes_nothing(chromium_launcher: Any, victim: dict[str, Any]) -> None:
    port = victim["server"].port
    origin = f"http://rebind.evil.example:{port}"
    rebinding = chromium_launcher(
        "--host-resolver-rules=MAP rebind.evil.example 127.0.0.1",
        # Chromium's own Local Network Access checks would stop a page it loaded from
        # a public address first; other browsers have none, so the server must refuse.
        "--disable-features=PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,"
        "BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks",
    )
    try:
        # The page is the attacker's (served under the rebound name); its requests reach the server.
        html = _attack_page(victim, "")
        results = _run_attack(rebinding, f"{origin}/attack.html", victim, route=(f"{origin}/attack.html", html))
    finally:
        rebinding.close()
    # Same origin for the browser, so nothing is blocked there: the server refuses the name.
    assert results["read"] == 403 and results["with-header"] == 403 and results["delete"] == 403
