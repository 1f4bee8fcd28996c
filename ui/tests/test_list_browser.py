"""The dispatch list in Chromium: live from the event stream (a dispatch made by another process),
overview counts, bulk select and delete."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx

import covalent as ct
from covalent.testing import ServerProcess

# The other process's workflow: waits for a file the test creates, then finishes.
ANOTHER_PROCESS = textwrap.dedent(
    """
    import sys, time, os
    import covalent as ct

    @ct.electron
    def wait_for(path):
        import os, time
        deadline = time.monotonic() + 60
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        return "released"

    @ct.electron
    def shout(text):
        return text.upper()

    @ct.lattice
    def from_elsewhere(path):
        return shout(wait_for(path))

    print(ct.dispatch(from_elsewhere)(sys.argv[1]), flush=True)
    """
)


@ct.electron
def one(x):
    return x


@ct.lattice
def short(x):
    return one(x)


def test_a_dispatch_made_by_another_process_appears_and_finishes_live(
    page: Any, server: ServerProcess, tmp_path: Path, shot: Any
) -> None:
    page.goto("/")
    page.wait_for_selector("#live:not(.hidden)")  # the event stream is connected
    page.evaluate("window.__notReloaded = true")
    completed_before = int(page.locator("#overview-completed").inner_text())
    gate = tmp_path / "go"
    script = tmp_path / "elsewhere.py"
    script.write_text(ANOTHER_PROCESS)
    made = subprocess.run(
        [sys.executable, str(script), str(gate)], capture_output=True, text=True, env=os.environ.copy(), timeout=120
    )
    assert made.returncode == 0, made.stderr
    dispatch_id = made.stdout.split()[-1]
    row = page.locator(f'tr[data-dispatch-id="{dispatch_id}"]')
    row.wait_for()
    assert "from_elsewhere" in row.inner_text()
    page.wait_for_selector(f'tr[data-dispatch-id="{dispatch_id}"][data-status="RUNNING"]')
    page.wait_for_function("() => +document.getElementById('overview-running').textContent >= 1")  # ours at least
    page.wait_for_selector(f'tr[data-dispatch-id="{dispatch_id}"] .counts:has-text("1 running")')
    gate.write_text("go")
    page.wait_for_selector(f'tr[data-dispatch-id="{dispatch_id}"][data-status="COMPLETED"]', timeout=60_000)
    page.wait_for_selector(f'tr[data-dispatch-id="{dispatch_id}"] .counts:has-text("2 completed")')
    page.wait_for_function(f"() => +document.getElementById('overview-completed').textContent > {completed_before}")
    assert page.locator("tbody tr").first.get_attribute("data-dispatch-id") == dispatch_id  # newest on top
    assert page.evaluate("window.__notReloaded") is True
    shot(page, "dispatch-list")


def test_bulk_select_and_delete(page: Any, server: ServerProcess) -> None:
    ids = [ct.dispatch(short)(i) for i in range(3)]
    for dispatch_id in ids:
        ct.get_result(dispatch_id, wait=True)
    page.goto("/?name=short")
    for dispatch_id in ids[:2]:
        page.check(f'tr[data-dispatch-id="{dispatch_id}"] input.pick')
    assert page.locator("#bulk-count").inner_text() == "2 selected"
    page.click("#bulk-delete")  # confirm() is accepted by the fixture
    for dispatch_id in ids[:2]:
        page.wait_for_selector(f'tr[data-dispatch-id="{dispatch_id}"]', state="detached")
        assert httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}").status_code == 404
    assert page.locator(f'tr[data-dispatch-id="{ids[2]}"]').count() == 1
    assert "Deleted 2 dispatches" in page.locator("#list-message").inner_text()
    assert page.locator("#bulk").is_hidden()
    page.check("#pick-all")  # every deletable dispatch of the page
    assert page.locator("#bulk-count").inner_text() == f"{page.locator('input.pick:checked').count()} selected"
