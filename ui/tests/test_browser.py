"""End-to-end: real server, real workflows dispatched with the SDK, real headless Chromium."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import covalent as ct
from covalent.testing import ServerProcess, wait_until

REPO = Path(__file__).resolve().parents[2]

# -- workflows ---------------------------------------------------------------------


@ct.electron
def add(a, b):
    print(f"adding {a} + {b}")
    return a + b


@ct.electron
def explode(x):
    raise ValueError(f"boom on {x}")


@ct.electron
def wait_for_file(path, limit=60.0):
    """Block until ``path`` exists (the test decides when), at most ``limit`` seconds."""
    import os

    deadline = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.05)
    return "released"


@ct.electron
def shout(text):
    return text.upper()


@ct.lattice
def arithmetic(a, b):
    """Adds a few numbers."""
    total = add(a, b)
    return add(total, add(a, 1))


@ct.lattice
def failing(x):
    return explode(add(x, 1))


@ct.electron
def report(parts, word):
    return f"{word}: {sum(parts)}"


@ct.lattice
def gated(path):
    """Waits for a file the test creates, then finishes."""
    prepared = [add(i, 1) for i in range(3)]
    return shout(report(prepared, wait_for_file(path)))


@ct.electron
@ct.lattice
def inner(x):
    return add(x, 10)


@ct.lattice
def outer(x):
    return add(inner(x), 1)


# -- helpers -----------------------------------------------------------------------


def node_id(server: ServerProcess, dispatch_id: str, name: str) -> int:
    nodes = httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/nodes", params={"brief": 1}).json()["nodes"]
    return next(n["node_id"] for n in nodes if n["name"] == name)


def wait_status(server: ServerProcess, dispatch_id: str, node: int, status: str, timeout: float = 60) -> None:
    url = f"{server.address}/api/v1/dispatches/{dispatch_id}/nodes/{node}"
    wait_until(
        lambda: httpx.get(url, params={"preview": 0}).json()["status"] == status,
        timeout,
        what=f"node {node} of {dispatch_id} to reach {status}",
    )


# -- tests -------------------------------------------------------------------------


def test_list_shows_new_dispatch_and_links_to_its_graph(page: Any, server: ServerProcess, shot: Any) -> None:
    dispatch_id = ct.dispatch(arithmetic)(2, 3)
    assert ct.get_result(dispatch_id, wait=True).result == 8
    page.goto("/")
    row = page.locator(f'tr[data-dispatch-id="{dispatch_id}"]')
    assert "arithmetic" in row.inner_text()
    assert "COMPLETED" in row.inner_text()
    assert "3 completed" in row.locator(".counts").inner_text()
    shot(page, "dispatch-list")
    row.locator("a").first.click()
    page.wait_for_url(f"**/dispatches/{dispatch_id}")
    assert page.locator("#graph svg g.node").count() >= 5
    assert page.locator("#dispatch-result").inner_text() == "8"
    assert "Adds a few numbers." in page.locator("#lattice-doc").inner_text()
    assert "def arithmetic(a, b):" in page.locator("#lattice-source").inner_text()
    assert "a" in page.locator("#lattice-parameters").inner_text()
    shot(page, "dispatch-completed", full_page=True)


def test_running_node_turns_completed_live(page: Any, server: ServerProcess, tmp_path: Path, shot: Any) -> None:
    gate = tmp_path / "release"
    dispatch_id = ct.dispatch(gated)(str(gate))
    waiting = node_id(server, dispatch_id, "wait_for_file")
    wait_status(server, dispatch_id, waiting, "RUNNING")
    page.goto(f"/dispatches/{dispatch_id}")
    box = page.locator(f'#graph g.node[data-node-id="{waiting}"]')
    assert box.get_attribute("data-status") == "RUNNING"
    page.wait_for_selector("#live:not(.hidden)")  # the event stream is connected
    page.locator('#graph g.node[data-status="COMPLETED"]').nth(2).wait_for()  # the three adds
    collapsed = page.context.new_page()  # the collapsed view of the same dispatch, open at the same time
    collapsed.goto(f"/dispatches/{dispatch_id}?view=collapsed")
    collapsed.wait_for_selector("#live:not(.hidden)")
    page.evaluate("window.__notReloaded = true")
    box.click()
    page.wait_for_selector("#node-panel:not(.hidden) h2:has-text('wait_for_file')")
    running = shot(page, "dispatch-running")
    if os.environ.get("COVALENT_UI_UPDATE_SCREENSHOTS") == "1":  # refresh the README's picture
        docs = REPO / "docs" / "img" / "dashboard.png"
        docs.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(running, docs)

    gate.write_text("go")
    page.wait_for_selector(f'#graph g.node[data-node-id="{waiting}"][data-status="COMPLETED"]')
    assert page.evaluate("window.__notReloaded") is True  # patched in place, not reloaded
    fill = page.locator(f'#graph g.node[data-node-id="{waiting}"] rect').get_attribute("fill")
    assert fill == "#3ebd93"
    page.wait_for_selector("#dispatch-status.COMPLETED")
    page.wait_for_selector("#dispatch-result:has-text('RELEASED: 6')")  # summary refreshed at the end
    page.wait_for_selector("#node-panel pre.output:has-text('released')")  # the open panel follows
    done, total = page.locator("#progress-text").inner_text().split()[0].split("/")
    assert done == total
    assert page.locator("#cancel-button").is_disabled()
    collapsed.wait_for_selector("#dispatch-status.COMPLETED")
    assert collapsed.locator("#graph g.group").count() >= 3
    assert collapsed.locator('#graph g.group:not([data-status="COMPLETED"])').count() == 0
    assert "3/3 done" in collapsed.locator('#graph g.group[data-count="3"] text.counts').text_content()
    shot(collapsed, "dispatch-collapsed")
    collapsed.close()
    shot(page, "dispatch-live-completed")


def test_failed_node_panel_shows_traceback(page: Any, server: ServerProcess, shot: Any) -> None:
    dispatch_id = ct.dispatch(failing)(4)
    assert ct.get_result(dispatch_id, wait=True).status == "FAILED"
    failed = node_id(server, dispatch_id, "explode")
    page.goto(f"/dispatches/{dispatch_id}")
    node = page.locator(f'#graph g.node[data-node-id="{failed}"]')
    assert node.get_attribute("data-status") == "FAILED"
    node.click()
    panel = page.locator("#node-panel")
    panel.locator("h3:has-text('Traceback')").wait_for()
    traceback = panel.locator("pre.traceback").inner_text()
    assert "ValueError: boom on 5" in traceback
    assert "Traceback" in traceback or "explode" in traceback
    assert "local" in panel.locator("dl").inner_text()  # the executor
    assert "boom on 5" in page.locator("#dispatch-error").inner_text()
    shot(page, "dispatch-failed-panel")

    # the panel of a completed node shows its inputs, output and stdout
    adder = node_id(server, dispatch_id, "add")
    page.locator(f'#graph g.node[data-node-id="{adder}"]').click()
    page.wait_for_selector("#node-panel h3:has-text('Stdout')")
    assert "adding 4 + 1" in panel.locator("pre.stdout").inner_text()
    assert panel.locator("pre.output").inner_text() == "5"
    assert "4" in panel.locator("table.inputs").inner_text()


def test_node_panel_lists_file_transfers_with_their_failure(page: Any, server: ServerProcess, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("data")

    @ct.electron(
        files=[
            ct.fs.FileTransfer(str(source), str(tmp_path / "copy.txt")),
            ct.fs.FileTransfer(str(tmp_path / "absent.txt"), str(tmp_path / "never.txt")),
        ]
    )
    def staged(files=[]):  # noqa: B006 - Covalent's form for the injected argument
        return files

    @ct.lattice
    def staging():
        return staged()

    dispatch_id = ct.dispatch(staging)()
    assert ct.get_result(dispatch_id, wait=True).status == "FAILED"
    page.goto(f"/dispatches/{dispatch_id}")
    page.locator(f'#graph g.node[data-node-id="{node_id(server, dispatch_id, "staged")}"]').click()
    table = page.locator("#node-panel table.transfers")
    table.wait_for()
    first, second = table.locator("tr").all()
    assert "in.txt → " in first.inner_text() and "COMPLETED" in first.inner_text() and "4 B" in first.inner_text()
    assert "absent.txt" in second.inner_text() and "FAILED" in second.inner_text()
    assert "FileNotFoundError" in second.inner_text()
    assert "file transfer failed" in page.locator("#node-panel pre.traceback").inner_text()


def test_cancel_from_the_page(page: Any, server: ServerProcess, tmp_path: Path, shot: Any) -> None:
    dispatch_id = ct.dispatch(gated)(str(tmp_path / "never"))
    wait_status(server, dispatch_id, node_id(server, dispatch_id, "wait_for_file"), "RUNNING")
    page.goto(f"/dispatches/{dispatch_id}")
    page.wait_for_selector("#live:not(.hidden)")
    page.click("#cancel-button")  # confirm() is accepted by the fixture
    page.wait_for_selector("#dispatch-status.CANCELLED", timeout=60_000)
    assert ct.get_result(dispatch_id, wait=True).status == "CANCELLED"
    page.wait_for_selector("#graph g.node[data-status='CANCELLED']")
    shot(page, "dispatch-cancelled")


def test_sublattice_opens_as_its_own_graph(page: Any, server: ServerProcess, shot: Any) -> None:
    dispatch_id = ct.dispatch(outer)(1)
    assert ct.get_result(dispatch_id, wait=True).result == 12
    page.goto(f"/dispatches/{dispatch_id}")
    sub = node_id(server, dispatch_id, "inner")
    page.locator(f'#graph g.node[data-node-id="{sub}"]').click()
    page.locator("#node-panel a.sublattice-link").click()
    page.wait_for_selector("#parent-link")
    assert "inner" in page.locator("h1").inner_text()
    assert page.locator("#graph g.node").count() >= 2
    shot(page, "sublattice")
    page.locator("#parent-link a").click()
    page.wait_for_url(f"**/dispatches/{dispatch_id}")


def test_redispatch_runs_the_same_workflow_again(page: Any, server: ServerProcess) -> None:
    dispatch_id = ct.dispatch(arithmetic)(10, 20)
    ct.get_result(dispatch_id, wait=True)
    page.goto(f"/dispatches/{dispatch_id}")
    page.click("#redispatch-button")
    page.wait_for_url(lambda url: "/dispatches/" in url and dispatch_id not in url)
    new_id = page.url.rsplit("/", 1)[-1]
    result = ct.get_result(new_id, wait=True)
    assert result.status == "COMPLETED" and result.result == 41


def test_delete_from_the_list(page: Any, server: ServerProcess) -> None:
    dispatch_id = ct.dispatch(arithmetic)(1, 1)
    ct.get_result(dispatch_id, wait=True)
    page.goto(f"/?search={dispatch_id}")
    page.click(f'button[data-delete="{dispatch_id}"]')  # confirm() is accepted
    page.wait_for_selector(f'tr[data-dispatch-id="{dispatch_id}"]', state="detached")
    assert httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}").status_code == 404


@pytest.mark.parametrize("path", ["/logs", "/settings", "/plugins", "/preview"])
def test_server_pages(page: Any, server: ServerProcess, shot: Any, path: str) -> None:
    page.goto(path)
    assert page.locator("h1").count() == 1
    if path == "/logs":
        assert "covalent server ready" in page.locator("#log").inner_text()
        with page.expect_download() as download:
            page.click("#download-log")
        assert download.value.suggested_filename == "covalent.log"
    if path == "/settings":
        assert "dispatcher.default_executor" in page.locator("#settings").inner_text()
    if path == "/plugins":
        text = page.locator("#plugins").inner_text()
        assert "covalent_ui.plugin" in text and "local" in text
    shot(page, path.strip("/"))


def test_the_log_page_searches_as_you_type_and_the_whole_log_on_enter(page: Any, server: ServerProcess) -> None:
    page.goto("/logs")
    total = page.locator("#log span.line").count() or len(page.locator("#log").inner_text().splitlines())
    page.fill("#log-search", "server ready")
    marked = page.locator("#log mark")
    assert marked.count() >= 1 and marked.first.inner_text().lower() == "server ready"
    shown = len(page.locator("#log").inner_text().strip().splitlines())
    assert 1 <= shown < total and "server ready" in page.locator("#log-filtered").inner_text()
    page.press("#log-search", "Enter")
    page.wait_for_url("**/logs?q=server+ready*")
    assert "contain “server ready”" in page.locator("#log-matches").inner_text()
    assert all("server ready" in line.lower() for line in page.locator("#log").inner_text().strip().splitlines())
    page.goto("/logs?q=no+such+words+anywhere")
    assert page.locator("#log-matches").inner_text().startswith("0 lines")


def test_preview_opens_the_graph_of_an_undispatched_workflow(page: Any, server: ServerProcess, shot: Any) -> None:
    import covalent_ui

    url = covalent_ui.preview(arithmetic, 1, 2, open_browser=False)
    assert url.startswith(server.address + "/preview/")
    page.goto(url)
    assert "arithmetic" in page.locator("h1").inner_text()
    assert page.locator("#graph svg g.node").count() >= 5
    shot(page, "preview")
    # what lattice.draw() returned works too
    again = covalent_ui.preview(arithmetic.draw(5, 6), open_browser=False)
    page.goto(again)
    assert "(a, b)" in page.locator("#lattice-source").inner_text()


def test_a_trigger_s_runs_are_listed_with_its_dispatch(page: Any, server: ServerProcess, shot: Any) -> None:
    from covalent.triggers import TimeTrigger

    @ct.lattice(triggers=TimeTrigger(0.3))
    def beating(x):
        return add(x, 1)

    dispatch_id = ct.dispatch(beating)(4)
    deadline = time.monotonic() + 30
    url = f"{server.address}/api/v1/triggers"
    while httpx.get(url, params={"dispatch_id": dispatch_id}).json()["items"][0]["runs"] < 3:
        assert time.monotonic() < deadline, "the trigger did not start three runs"
        time.sleep(0.1)
    ct.stop_triggers(dispatch_id)
    page.goto("/")
    badge = page.locator(f'tr[data-dispatch-id="{dispatch_id}"] a.triggered')
    assert "runs" in badge.inner_text()
    badge.click()
    page.wait_for_url(f"**/dispatches/{dispatch_id}#triggers")
    assert "every 0.3 s" in page.locator("#triggers").inner_text()
    assert "stopped" in page.locator("#triggers").inner_text()
    runs = page.locator("#trigger-runs tbody tr")
    assert runs.count() >= 3
    assert "(this dispatch)" in runs.last.inner_text(), "the first run is the dispatch itself"
    shot(page, "dispatch-triggers", full_page=True)
    runs.first.locator("a").click()
    page.wait_for_selector("#origin-link")
    page.locator("#origin-link a").click()
    page.wait_for_url(f"**/dispatches/{dispatch_id}")
