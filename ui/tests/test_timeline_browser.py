"""The timeline in Chromium: one bar per node in the lane of its executor and worker, retries and
queueing visible, zoom, and live updates while the dispatch runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

import covalent as ct
from covalent.testing import ServerProcess


@ct.electron(executor=ct.executor.LocalExecutor(workers=2))
def crunch(i):
    import time

    time.sleep(0.2)
    return i * i


@ct.electron(executor="subprocess")
def elsewhere(values):
    return sum(values)


@ct.lattice
def two_executors(n):
    return elsewhere([crunch(i) for i in range(n)])


@ct.electron
def hold(path):
    import os
    import time

    deadline = time.monotonic() + 60
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return 1


@ct.electron
def after(x):
    return x + 1


@ct.lattice
def held(path):
    return after(hold(path))


@ct.electron(retries=1)
def once_wrong(path):
    from pathlib import Path

    flag = Path(path)
    if not flag.exists():
        flag.write_text("tried")
        raise RuntimeError("the first try fails")
    return "fine"


@ct.lattice
def retried(path):
    return once_wrong(path)


def timeline(server: ServerProcess, dispatch_id: str) -> list[dict[str, Any]]:
    return httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/timeline").json()["nodes"]


def bars(page: Any) -> list[dict[str, Any]]:
    """Each drawn attempt: its node, attempt, status, lane (executor, worker) and bar's left edge."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#timeline g.attempt')].map((g) => ({
              node: +g.dataset.nodeId, attempt: +g.dataset.attempt, status: g.dataset.status,
              executor: g.closest('g.lane').dataset.executor, worker: g.closest('g.lane').dataset.worker,
              queued: g.querySelectorAll('rect.queued').length,
              x: +g.querySelector('rect.ran').getAttribute('x'),
              w: +g.querySelector('rect.ran').getAttribute('width') }))"""
    )


def test_one_bar_per_node_in_the_lane_of_its_executor_and_worker(page: Any, server: ServerProcess, shot: Any) -> None:
    dispatch_id = ct.dispatch(two_executors)(6)
    assert ct.get_result(dispatch_id, wait=True).result == sum(i * i for i in range(6))
    records = {n["node_id"]: n for n in timeline(server, dispatch_id)}
    page.goto(f"/dispatches/{dispatch_id}/timeline")
    page.locator("#timeline g.attempt").first.wait_for()
    drawn = bars(page)
    ran = {n for n, r in records.items() if r["submitted_at"] or r["start_time"]}
    assert sorted(b["node"] for b in drawn) == sorted(ran)  # one bar per node that ran, once each
    assert len(ran) >= 7  # six crunches and the sum at least
    for bar in drawn:
        record = records[bar["node"]]
        assert bar["executor"] == record["executor"] and bar["status"] == "COMPLETED"
        assert bar["worker"] == (record["worker"] or "worker not known")
    crunches = [b for b in drawn if records[b["node"]]["name"] == "crunch"]
    assert {b["executor"] for b in crunches} == {"local"} and 1 <= len({b["worker"] for b in crunches}) <= 2
    (summing,) = [b for b in drawn if records[b["node"]]["name"] == "elsewhere"]
    assert summing["executor"] == "subprocess" and summing["x"] > max(b["x"] for b in crunches)  # it ran after
    lanes = page.evaluate("() => +document.querySelector('#timeline svg').dataset.lanes")
    assert lanes == len({(b["executor"], b["worker"]) for b in drawn})
    assert any(b["queued"] for b in crunches)  # six tasks, two workers: some waited
    shot(page, "timeline")
    # one lane per executor
    page.select_option("#lanes", "executor")
    page.wait_for_function("() => document.querySelector('#timeline g.lane').dataset.worker === ''")
    assert {b["worker"] for b in bars(page)} == {""}
    assert page.evaluate("() => +document.querySelector('#timeline svg').dataset.lanes") == len(
        {b["executor"] for b in drawn}
    )
    # zoom in on the time: the bars get wider
    before = {b["node"]: b["w"] for b in bars(page)}
    page.click("#time-in")
    page.click("#time-in")
    page.wait_for_timeout(400)
    after = {b["node"]: b["w"] for b in bars(page)}
    assert all(after[n] > before[n] * 1.5 for n in before if before[n] > 5)
    page.click("#time-fit")
    # a click opens the node's panel
    page.locator("#timeline g.attempt rect.ran").first.click()
    page.locator("#node-panel .node-details").wait_for()


def test_retries_show_as_earlier_attempts(page: Any, server: ServerProcess, tmp_path: Path) -> None:
    dispatch_id = ct.dispatch(retried)(str(tmp_path / "flag"))
    assert ct.get_result(dispatch_id, wait=True).result == "fine"
    page.goto(f"/dispatches/{dispatch_id}/timeline")
    page.locator("#timeline g.attempt").first.wait_for()
    mine = [b for b in bars(page) if b["attempt"] in (1, 2) and b["status"] in ("FAILED", "COMPLETED")]
    task = next(n["node_id"] for n in timeline(server, dispatch_id) if n["name"] == "once_wrong")
    attempts = sorted((b["attempt"], b["status"]) for b in mine if b["node"] == task)
    assert attempts == [(1, "FAILED"), (2, "COMPLETED")]
    assert page.locator(f'#timeline g.attempt[data-node-id="{task}"] rect.retry').count() == 1
    assert "the first try fails" not in page.locator("#timeline").inner_text()  # the error is in the panel
    page.locator(f'#timeline g.attempt[data-node-id="{task}"][data-attempt="1"] rect.ran').click()
    page.locator("#node-panel #node-attempts").wait_for()
    assert "the first try fails" in page.locator("#node-panel #node-attempts").inner_text()


def test_the_timeline_follows_a_running_dispatch(page: Any, server: ServerProcess, tmp_path: Path) -> None:
    gate = tmp_path / "go"
    dispatch_id = ct.dispatch(held)(str(gate))
    page.goto(f"/dispatches/{dispatch_id}/timeline")
    page.wait_for_selector("#live:not(.hidden)")
    page.evaluate("window.__notReloaded = true")
    running = page.locator('#timeline g.attempt[data-status="RUNNING"] rect.running')
    running.wait_for()
    width = float(running.get_attribute("width"))
    page.wait_for_function(
        f"() => +document.querySelector('#timeline rect.running').getAttribute('width') > {width} + 3"
    )  # it grows while it runs
    assert page.locator('#timeline g.attempt[data-status="COMPLETED"]').count() == 0
    gate.write_text("go")
    page.wait_for_selector("#dispatch-status.COMPLETED", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelectorAll('#timeline g.attempt[data-status=\"COMPLETED\"]').length >= 2"
    )
    assert page.locator('#timeline g.attempt[data-status="RUNNING"]').count() == 0
    assert page.evaluate("window.__notReloaded") is True


def test_without_javascript_the_timeline_is_a_table(browser: Any, server: ServerProcess) -> None:
    dispatch_id = ct.dispatch(two_executors)(2)
    ct.get_result(dispatch_id, wait=True)
    context = browser.new_context(base_url=server.address, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/dispatches/{dispatch_id}/timeline")
        rows = page.locator("#timeline-table tbody tr")
        assert rows.count() >= 3
        assert "subprocess" in page.locator("#timeline-table").inner_text()
    finally:
        context.close()
