"""Fixtures: a real covalent server with the dashboard, and headless Chromium.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, or
``COVALENT_UI_CHROMIUM``) driven by Playwright; no browser is ever
downloaded.  Screenshots go to ``artifacts/latest-screenshots/`` at the
repository root (git-ignored); with ``COVALENT_UI_UPDATE_SCREENSHOTS=1`` they
replace the committed ones in ``artifacts/screenshots/`` and the README's
picture, ``docs/img/dashboard.png``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from covalent.testing import ServerProcess

sys.path.insert(0, os.path.dirname(__file__))  # the tests share workflows and helpers (test_speed)

REPO = Path(__file__).resolve().parents[2]
UPDATE_SCREENSHOTS = os.environ.get("COVALENT_UI_UPDATE_SCREENSHOTS") == "1"
SCREENSHOTS = REPO / "artifacts" / ("screenshots" if UPDATE_SCREENSHOTS else "latest-screenshots")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    path = os.environ.get("COVALENT_UI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError(
            f"no Chromium at {path}: install Debian's `chromium` package "
            "(apt-get install chromium) or set COVALENT_UI_CHROMIUM"
        )
    return path


@pytest.fixture
def covalent_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary config (local executor) and data directories for an in-process server app."""
    config_dir = tmp_path / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "covalent.conf").write_text('[dispatcher]\ndefault_executor = "local"\n')
    monkeypatch.setenv("COVALENT_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("COVALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COVALENT_DATABASE_URL", raising=False)
    monkeypatch.delenv("COVALENT_TOKEN", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the browser tests (local executor, no Dask cluster)."""
    proc = ServerProcess(tmp_path_factory.mktemp("ui-server"), default_executor="local")
    proc.start()
    proc.activate()
    try:
        yield proc
    finally:
        proc.deactivate()
        proc.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


def launch_chromium(playwright: Any, *extra_args: str) -> Any:
    """Debian's Chromium, headless, with ``extra_args`` (close it when done)."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *extra_args], timeout=60_000
    )


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    chromium = launch_chromium(playwright)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="session")
def chromium_launcher(playwright: Any) -> Any:
    """``chromium_launcher(*args)``: another Chromium with extra command-line arguments."""
    return lambda *args: launch_chromium(playwright, *args)


@pytest.fixture
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    """A fresh browser page on the server; confirm() dialogs are accepted."""
    context = browser.new_context(base_url=server.address, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("dialog", lambda dialog: dialog.accept())
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture(scope="session")
def shot() -> Any:
    """``shot(page, name)`` saves a PNG of the page under :data:`SCREENSHOTS`."""
    return _screenshot
