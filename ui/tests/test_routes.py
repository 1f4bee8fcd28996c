"""The dashboard's HTML routes inside the real server app (starlette TestClient, real database)."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette 1.x suggests httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import covalent as ct
from covalent.plugins import hookimpl
from covalent.testing import CLIENT_HEADERS

# -- workflows ---------------------------------------------------------------------


@ct.electron
def double(x):
    return 2 * x


@ct.lattice
def alpha(x):
    """Doubles twice."""
    return double(double(x))


@ct.lattice
def beta(x):
    return double(x)


@ct.lattice(name="<script>alert('x')</script>")
def hostile(x):
    return double(x)


# -- fixtures ----------------------------------------------------------------------


class PanelPlugin:
    """A plugin that adds a dashboard panel, registered like any other."""

    @hookimpl
    def register_dashboard_panels(self, register: Any) -> None:
        register("Quantum jobs", "/quantum", "jobs on quantum backends")


@pytest.fixture
def client(covalent_env: Path) -> Iterator[TestClient]:
    from covalent.plugins.manager import get_plugin_manager
    from covalent.server.app import create_app

    pm = get_plugin_manager()
    panel = PanelPlugin()
    pm.register(panel, name="test-panel")
    try:
        app = create_app(start_cluster=False, log_path=None)
    finally:
        pm.unregister(panel)
    with TestClient(app, base_url="http://localhost", headers=CLIENT_HEADERS) as test_client:
        yield test_client


def register(client: TestClient, lattice: Any, *args: Any) -> str:
    """Register a dispatch through the real API, without starting it."""
    from covalent.graph.bundle import write_bundle

    manifest = lattice.build_manifest(*args)
    files = [
        ("manifest", ("m.json", json.dumps(manifest.to_json()).encode(), "application/json")),
        ("options", ("o.json", b'{"start": false}', "application/json")),
        ("blobs", ("b.bin", write_bundle(manifest.blobs.items()), "application/octet-stream")),
    ]
    answer = client.post("/api/v1/dispatches", files=files)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["dispatch_id"])


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-dispatch-id="([^"]+)"', html)


# -- the list ----------------------------------------------------------------------


def test_empty_list_explains_how_to_dispatch(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "No dispatches" in page.text and "ct.dispatch" in page.text
    assert "Page 1 of 1" in page.text


def test_list_search_filter_sort_and_pages(client: TestClient) -> None:
    alphas = [register(client, alpha, i) for i in range(27)]
    betas = [register(client, beta, i) for i in range(3)]
    first = client.get("/", params={"limit": 25})
    assert len(rows(first.text)) == 25 and "Page 1 of 2" in first.text
    assert rows(first.text)[0] == betas[-1]  # newest first
    second = client.get("/", params={"limit": 25, "page": 2})
    assert len(rows(second.text)) == 5 and "Page 2 of 2" in second.text
    assert set(rows(first.text)) | set(rows(second.text)) == set(alphas) | set(betas)
    assert set(rows(client.get("/", params={"search": "bet"}).text)) == set(betas)
    assert rows(client.get("/", params={"search": alphas[4]}).text) == [alphas[4]]
    by_name = rows(client.get("/", params={"sort": "name", "order": "desc", "limit": 5}).text)
    assert set(by_name[:3]) == set(betas)
    assert len(rows(client.get("/", params={"status": "NEW_OBJECT", "limit": 200}).text)) == 30
    assert rows(client.get("/", params={"status": "COMPLETED"}).text) == []
    # bad values fall back to defaults instead of failing
    assert client.get("/", params={"limit": "lots", "page": "-3", "sort": "x"}).status_code == 200


def test_list_filters_by_name_and_creation_day_and_sorts_by_duration(client: TestClient) -> None:
    import time as clock

    from covalent.server.store.records import set_dispatch

    alphas = [register(client, alpha, i) for i in range(3)]
    beta_id = register(client, beta, 1)
    state = client.app.state.covalent
    day = 24 * 3600
    now = clock.time()
    with state.engine.begin() as conn:  # as if they had run for 5, 50 and 500 seconds, days apart
        for i, (dispatch_id, seconds) in enumerate(zip(alphas, (5, 50, 500), strict=True)):
            created = now - (2 - i) * day
            set_dispatch(conn, dispatch_id, created_at=created, started_at=created, ended_at=created + seconds)
    assert set(rows(client.get("/", params={"name": "alpha"}).text)) == set(alphas)
    assert rows(client.get("/", params={"name": "alph"}).text) == []  # the whole name, not a part
    names = client.get("/").text.split('id="lattice-names"')[1].split("</datalist>")[0]
    assert 'value="alpha"' in names and 'value="beta"' in names
    today = clock.strftime("%Y-%m-%d", clock.gmtime(now))
    two_days_ago = clock.strftime("%Y-%m-%d", clock.gmtime(now - 2 * day))
    assert set(rows(client.get("/", params={"from": today}).text)) == {alphas[2], beta_id}
    assert rows(client.get("/", params={"to": two_days_ago, "name": "alpha"}).text) == [alphas[0]]
    assert client.get("/", params={"from": "not a day"}).status_code == 200  # ignored
    longest = rows(client.get("/", params={"sort": "duration", "order": "desc", "name": "alpha"}).text)
    assert longest == [alphas[2], alphas[1], alphas[0]]
    shortest = rows(client.get("/", params={"sort": "duration", "order": "asc"}).text)
    assert shortest[:3] == alphas and shortest[-1] == beta_id  # never started: last either way
    api = client.get("/api/v1/dispatches", params={"sort": "duration", "name": "alpha", "limit": 1}).json()
    assert api["total"] == 3 and api["items"][0]["dispatch_id"] == alphas[2]
    assert client.get("/api/v1/dispatches", params={"created_after": "soon"}).status_code == 422


def test_overview_and_live_rows(client: TestClient) -> None:
    first, second = register(client, alpha, 1), register(client, beta, 2)
    page = client.get("/").text
    assert 'id="overview-running">0<' in page and "task time today" in page
    answer = client.get("/rows", params={"ids": f"{first},{second},nope", "name": "beta", "overview": "1"}).json()
    assert answer["rows"][first] is None and answer["rows"]["nope"] is None  # not matching, unknown
    assert f'data-dispatch-id="{second}"' in answer["rows"][second] and answer["created"] == [second]
    assert answer["total"] == 1 and 'id="overview"' in answer["overview"]
    assert "overview" not in client.get("/rows", params={"ids": first}).json()  # only when asked
    body = client.get("/", params={"fragment": "1"}).json()
    assert body["total"] == 2 and body["rows"].count("<tr ") == 2


# -- the dispatch page -------------------------------------------------------------


def test_dispatch_page_shows_graph_lattice_and_script_data(client: TestClient) -> None:
    dispatch_id = register(client, alpha, 3)
    page = client.get(f"/dispatches/{dispatch_id}")
    assert page.status_code == 200
    assert page.text.count('class="node"') == 4  # two tasks, a parameter and the return value
    assert "Doubles twice." in page.text and "def alpha(x):" in page.text
    data = json.loads(re.search(r'id="graph-data">(.*?)</script>', page.text).group(1))
    assert data["dispatch_id"] == dispatch_id and data["options"]["mode"] == "full" and not data["terminal"]
    collapsed = client.get(f"/dispatches/{dispatch_id}", params={"view": "collapsed"})
    assert (
        'class="group"' in collapsed.text
        and ":parameter:" not in collapsed.text.split("graph-wrap")[1].split("</svg>")[0]
    )
    statuses = client.get(f"/dispatches/{dispatch_id}/statuses").json()
    assert statuses["status"] == "NEW_OBJECT" and len(statuses["nodes"]) == 3  # two tasks and the return value
    summary = client.get(f"/dispatches/{dispatch_id}/summary")
    assert dispatch_id in summary.text and "<html" not in summary.text


def test_node_page_masks_secret_executor_options_and_shows_the_source(client: TestClient) -> None:
    from covalent.graph.bundle import write_bundle

    manifest = beta.build_manifest(5)
    data = manifest.to_json()
    task = next(n for n in data["graph"]["nodes"] if n["kind"] == "electron")
    task["executor"] = {"name": "local", "kwargs": {"workers": 2, "api_key": "hunter2", "password": "pw"}}
    files = [
        ("manifest", ("m.json", json.dumps(data).encode(), "application/json")),
        ("options", ("o.json", b'{"start": false}', "application/json")),
        ("blobs", ("b.bin", write_bundle(manifest.blobs.items()), "application/octet-stream")),
    ]
    dispatch_id = client.post("/api/v1/dispatches", files=files).json()["dispatch_id"]
    for params in ({}, {"fragment": "1"}):
        page = client.get(f"/dispatches/{dispatch_id}/nodes/{task['id']}", params=params)
        assert page.status_code == 200
        assert "hunter2" not in page.text and ">pw<" not in page.text and page.text.count("****") == 2
        assert "workers" in page.text and '<span class="k">def</span>' in page.text  # highlighted source
        assert ("<html" in page.text) == (not params)  # the page, or the panel's part alone
    assert client.get(f"/dispatches/{dispatch_id}/nodes/{task['id']}/output").json() == {
        "stdout": "",
        "stderr": "",
        "live": False,
        "status": "NEW_OBJECT",
    }
    nodes = client.get(f"/dispatches/{dispatch_id}/nodes").text
    assert nodes.count("<tr data-node-id=") == 3  # the task, its parameter and the return value
    assert client.get(f"/dispatches/{dispatch_id}/nodes/99").status_code == 404
    assert client.get(f"/dispatches/{dispatch_id}/nodes/-1").status_code == 422


def test_node_inputs_preview_parameter_values(client: TestClient) -> None:
    dispatch_id = register(client, beta, 21)
    graph = client.get(f"/api/v1/dispatches/{dispatch_id}/graph").json()
    task = next(n["id"] for n in graph["nodes"] if n["name"] == "double")
    inputs = client.get(f"/dispatches/{dispatch_id}/nodes/{task}/inputs").json()
    assert inputs["total"] == 1
    assert inputs["inputs"][0]["preview"] == "21" and inputs["inputs"][0]["kind"] == "parameter"
    assert client.get(f"/dispatches/{dispatch_id}/nodes/999/inputs").status_code == 404
    assert client.get(f"/dispatches/{dispatch_id}/nodes/x/inputs").status_code == 422


def test_names_are_escaped_everywhere(client: TestClient) -> None:
    dispatch_id = register(client, hostile, 1)
    for url in ("/", f"/dispatches/{dispatch_id}", f"/dispatches/{dispatch_id}?view=collapsed"):
        html = client.get(url).text
        assert "<script>alert" not in html, url
    data = client.get(f"/dispatches/{dispatch_id}", params={"view": "collapsed"}).text
    assert "</script>" not in re.search(r'id="graph-data">(.*?)</script>', data).group(1)


def test_unknown_dispatch_is_an_html_404_for_browsers_and_json_for_scripts(client: TestClient) -> None:
    page = client.get("/dispatches/nope", headers={"accept": "text/html"})
    assert page.status_code == 404 and "<html" in page.text and "no dispatch with id nope" in page.text
    api = client.get("/dispatches/nope/statuses", headers={"accept": "application/json"})
    assert api.status_code == 404 and api.json()["detail"] == "no dispatch with id nope"
    assert client.post("/dispatches/nope/redispatch").status_code == 404


# -- server pages, plugins, preview, security -------------------------------------


def test_settings_logs_and_plugins_pages(client: TestClient) -> None:
    settings = client.get("/settings")
    assert "dispatcher.default_executor" in settings.text and "local" in settings.text
    assert "foreground" in client.get("/logs").text  # this app writes no log file
    plugins = client.get("/plugins").text
    assert "covalent_ui.plugin" in plugins and "covalent.executor.local" in plugins
    assert "Quantum jobs" in plugins and "jobs on quantum backends" in plugins
    assert 'href="/quantum"' in client.get("/").text  # panels are in every page's menu


def test_preview_from_json_and_from_the_form(client: TestClient) -> None:
    manifest = alpha.build_manifest(2).to_json()
    answer = client.post("/preview", json=manifest)
    assert answer.status_code == 201
    page = client.get(answer.json()["url"])
    assert page.status_code == 200 and page.text.count('class="node"') == 4 and "def alpha" in page.text
    form = client.post("/preview", data={"manifest": json.dumps(manifest)}, follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"].startswith("/preview/")
    assert "alpha" in client.get("/preview").text
    assert (
        client.post("/preview", json={"graph": {"nodes": [], "edges": [{"source": 0, "target": 1}]}}).status_code == 422
    )
    assert client.post("/preview", data={"manifest": "not json"}).status_code == 422
    for field in ("kind", "name"):  # a node without it (it used to answer 500)
        broken = json.loads(json.dumps(manifest))
        del broken["graph"]["nodes"][1][field]
        refused = client.post("/preview", json=broken)
        assert refused.status_code == 422 and f"graph.nodes[1].{field}" in refused.json()["detail"]
    assert client.get("/preview/unknown").status_code == 404


def test_cross_origin_posts_are_refused(client: TestClient) -> None:
    manifest = alpha.build_manifest(2).to_json()
    refused = client.post("/preview", json=manifest, headers={"origin": "http://evil.example"})
    assert refused.status_code == 403
    assert client.post("/preview", json=manifest, headers={"origin": "http://localhost"}).status_code == 201


def test_pages_forbid_inline_and_foreign_scripts(client: TestClient) -> None:
    csp = client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "http" not in client.get("/").text.split("<main>")[0]  # no CDN in the page head
    assert client.get("/static/dist/dispatch.js").status_code == 200


def test_login_sets_the_cookie_the_token_middleware_accepts(
    covalent_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from covalent.server.app import create_app

    token = "s3cret-token-of-at-least-32-characters"
    monkeypatch.setenv("COVALENT_TOKEN", token)
    app = create_app(host="0.0.0.0", start_cluster=False)
    with TestClient(app, base_url="http://localhost") as client:
        assert client.get("/").status_code == 401
        form = client.get("/login", params={"next": "/settings"})
        assert form.status_code == 200 and "asks for its access token" in form.text
        wrong = client.post("/login", data={"token": "nope", "next": "/settings"}, follow_redirects=False)
        assert wrong.status_code == 401 and "not the token of this server" in wrong.text
        assert "covalent_token" not in wrong.headers.get("set-cookie", "")
        right = client.post("/login", data={"token": token, "next": "/settings"}, follow_redirects=False)
        assert right.status_code == 303 and right.headers["location"] == "/settings"
        cookie = right.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert client.get("/settings").status_code == 200  # the cookie is sent from now on
        assert client.get("/api/v1/status").status_code == 200
        elsewhere = client.post("/login", data={"token": token, "next": "//evil.example/x"}, follow_redirects=False)
        assert elsewhere.headers["location"] == "/"
        client.get("/logout")
        assert client.get("/settings").status_code == 401
