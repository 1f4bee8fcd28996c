"""The node panel in Chromium: source and executor, stdout live while the task runs, attempts, copy buttons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import covalent as ct
from covalent.testing import ServerProcess, wait_until


@ct.electron(executor=ct.executor.LocalExecutor(workers=2))
def noisy(path):
    """Prints, then waits for the test's file."""
    import os
    import sys
    import time

    print("step 1 of 2", flush=True)
    print("a warning", file=sys.stderr)
    deadline = time.monotonic() + 60
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    print("step 2 of 2")
    return 42


@ct.lattice
def talkative(path):
    return noisy(path)


@ct.lattice
def flaky_flow(path):
    return flaky(path)


@ct.electron(retries=2)
def flaky(path):
    from pathlib import Path

    file = Path(path)
    n = int(file.read_text()) + 1 if file.exists() else 1
    file.write_text(str(n))
    if n < 3:
        raise RuntimeError(f"attempt {n} went wrong")
    return n


def node_id(server: ServerProcess, dispatch_id: str, name: str) -> int:
    import httpx

    nodes = httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/nodes", params={"brief": 1}).json()["nodes"]
    return next(n["node_id"] for n in nodes if n["name"] == name)


def node_status(server: ServerProcess, dispatch_id: str, node: int) -> str:
    import httpx

    url = f"{server.address}/api/v1/dispatches/{dispatch_id}/nodes/{node}"
    return str(httpx.get(url, params={"preview": 0}).json()["status"])


def test_the_panel_shows_source_executor_and_stdout_live(
    page: Any, server: ServerProcess, tmp_path: Path, shot: Any
) -> None:
    gate = tmp_path / "go"
    dispatch_id = ct.dispatch(talkative)(str(gate))
    task = node_id(server, dispatch_id, "noisy")
    wait_until(lambda: node_status(server, dispatch_id, task) == "RUNNING", timeout=60, what="the task running")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/dispatches/{dispatch_id}")
    page.locator(f'#graph g.node[data-node-id="{task}"]').click()
    panel = page.locator("#node-panel")
    panel.locator(".node-details").wait_for()
    # stdout and stderr while it runs, read from what the task mirrors where it runs
    panel.locator("pre.stdout:has-text('step 1 of 2')").wait_for(timeout=30_000)
    panel.locator("pre.stderr:has-text('a warning')").wait_for()
    assert "(live)" in panel.locator("#node-stdout h3").inner_text()
    assert "step 2" not in panel.locator("pre.stdout").inner_text()
    # the function's source, highlighted; the executor and the options the workflow gave it
    source = panel.locator("#node-source .source")
    assert "def noisy(path):" in source.inner_text()
    assert source.locator("span.k").count() >= 2 and source.locator("span.nf").first.inner_text() == "noisy"
    assert panel.locator("#node-executor").inner_text() == "local"
    assert "workers" in panel.locator("#node-executor-options").inner_text()
    assert panel.locator("#node-worker").count() == 0  # known once it has run
    shot(page, "node-panel-running")
    # copy buttons
    panel.locator("button.copy[data-copy]").nth(1).click()
    assert page.evaluate("() => navigator.clipboard.readText()") == dispatch_id
    gate.write_text("go")
    panel.locator("pre.output:has-text('42')").wait_for(timeout=60_000)  # the open panel follows the node
    assert "step 2 of 2" in panel.locator("pre.stdout").inner_text()
    assert "(live)" not in panel.locator("#node-stdout h3").inner_text()
    facts = panel.locator("dl.facts").inner_text()
    assert "Worker" in facts and "queued" in facts and "Attempts" in facts
    shot(page, "node-panel")


def test_each_attempt_of_a_retried_node_and_its_error(page: Any, server: ServerProcess, tmp_path: Path) -> None:
    dispatch_id = ct.dispatch(flaky_flow)(str(tmp_path / "count"))
    assert ct.get_result(dispatch_id, wait=True).result == 3
    task = node_id(server, dispatch_id, "flaky")
    page.goto(f"/dispatches/{dispatch_id}/nodes/{task}")  # the node's own page
    rows = page.locator("#node-attempts tr.attempt")
    assert rows.count() == 3
    assert [rows.nth(i).locator(".badge").inner_text() for i in range(3)] == ["FAILED", "FAILED", "COMPLETED"]
    errors = page.locator("#node-attempts tr.attempt-error")
    assert errors.count() == 2
    errors.nth(0).locator("summary").click()
    assert "RuntimeError: attempt 1 went wrong" in errors.nth(0).inner_text()
    assert "attempt 2 went wrong" in errors.nth(1).inner_text()  # the latest failure is open
    page.click("#back-to-graph")
    page.wait_for_selector(f'#graph g.node.selected[data-node-id="{task}"]')  # and its panel open
    page.locator("#node-panel #node-attempts").wait_for()
