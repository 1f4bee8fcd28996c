"""Every hook is documented and exercised by a throwaway in-process plugin."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import covalent as ct
from covalent.executor import LocalExecutor
from covalent.executor.registry import build_executor, executor_classes, executor_defaults
from covalent.plugins import CovalentSpec, get_plugin_manager, hookimpl, reset_plugins
from covalent.testing import wait_until

HOOKS = [name for name, _ in inspect.getmembers(CovalentSpec, inspect.isfunction)]


class RecordingExecutor(LocalExecutor):
    short_name = "recording"


class StagingExecutor(LocalExecutor):
    """Moves its jobs' files itself (here, before the job runs), as a Batch executor staging through S3 would."""

    short_name = "staging"

    async def run(self, job):
        from covalent.runtime.transfer import NodeTransfers, TransferSpec

        for specs in job.metadata.get("files", {}).values():
            NodeTransfers([TransferSpec.from_json(s) for s in specs], lambda key: None).before()
        return await super().run(job)


class ThrowawayPlugin:
    """Implements every hook and records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    @hookimpl
    def register_executors(self, register):
        register(RecordingExecutor)
        register(StagingExecutor)

    @hookimpl
    def handles_file_transfers(self, executor, transfers):
        self.calls.append(("handles_file_transfers", {"executor": executor, "count": len(transfers)}))
        return True if executor == "staging" else None

    @hookimpl
    def executor_defaults(self):
        return {"recording": {"workers": 3}}

    @hookimpl
    def register_routes(self, register):
        app = Starlette(routes=[Route("/hello", lambda r: PlainTextResponse("hello from a plugin"))])
        register("/throwaway", app)

    @hookimpl
    def register_dashboard_panels(self, register):
        register("Throwaway", "/throwaway/hello", "a panel from a test plugin")

    @hookimpl
    def register_commands(self, register):
        register("throwaway", "covalent.cli.config_cmd:config_command")
        register("config", "covalent.cli.plugins_cmd:plugins_command")  # ours stays ours

    @hookimpl
    def before_dispatch(self, dispatch_id, name, node_count):
        self.calls.append(("before_dispatch", {"name": name, "node_count": node_count}))

    @hookimpl
    def after_dispatch(self, dispatch_id, status):
        self.calls.append(("after_dispatch", {"status": status}))

    @hookimpl
    def on_dispatch_error(self, dispatch_id, error):
        self.calls.append(("on_dispatch_error", {"error": error}))

    @hookimpl
    def before_task(self, dispatch_id, node_id, name, executor):
        self.calls.append(("before_task", {"name": name, "executor": executor}))

    @hookimpl
    def after_task(self, dispatch_id, node_id, name, status):
        self.calls.append(("after_task", {"name": name, "status": status}))

    @hookimpl
    def on_task_error(self, dispatch_id, node_id, name, error):
        self.calls.append(("on_task_error", {"name": name, "error": error}))


@pytest.fixture
def plugin(tmp_path, monkeypatch) -> Iterator[ThrowawayPlugin]:
    monkeypatch.setenv("COVALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COVALENT_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "covalent.conf").write_text('[dispatcher]\ndefault_executor = "local"\n')
    reset_plugins()
    instance = ThrowawayPlugin()
    pm = get_plugin_manager()
    pm.register(instance, name="throwaway")
    reset_cache()
    yield instance
    pm.unregister(instance)
    reset_plugins()


def reset_cache():
    from covalent.executor import registry

    registry.clear_cache()


def test_every_hook_is_documented():
    for name in HOOKS:
        doc = inspect.getdoc(getattr(CovalentSpec, name))
        assert doc and len(doc) > 20, f"hook {name} needs a docstring"


def test_every_hook_is_exercised_here():
    implemented = {
        name for name, _ in inspect.getmembers(ThrowawayPlugin, inspect.isfunction) if not name.startswith("_")
    }
    assert set(HOOKS) <= implemented


def test_register_commands_adds_to_the_command_line_but_never_replaces_ours(plugin):
    import click

    from covalent.cli import cli, plugin_commands

    assert plugin_commands()["throwaway"] == "covalent.cli.config_cmd:config_command"
    assert "config" not in plugin_commands()
    context = click.Context(cli)
    assert "throwaway" in cli.list_commands(context)
    assert cli.get_command(context, "throwaway").name == "config"
    assert cli.get_command(context, "config").name == "config"


def test_register_executors_and_defaults(plugin, tmp_path):
    assert executor_classes()["recording"] is RecordingExecutor
    assert ct.executor.RecordingExecutor is RecordingExecutor
    assert executor_defaults("recording") == {"workers": 3}
    (tmp_path / "config" / "covalent.conf").write_text("[executors.recording]\nworkers = 5\n")
    assert build_executor({"name": "recording", "kwargs": {}}).workers == 5
    assert build_executor({"name": "recording", "kwargs": {"workers": 7}}).workers == 7


def _wait(client, dispatch_id):
    def ended():
        status = client.get(f"/api/v1/dispatches/{dispatch_id}").json()["status"]
        return status if status in ("COMPLETED", "FAILED", "CANCELLED") else None

    return wait_until(ended, 60, what=f"dispatch {dispatch_id} to end")


@ct.electron(executor="recording")
def ok(x):
    return x + 1


@ct.electron(executor="recording")
def broken(x):
    raise RuntimeError("hook test failure")


@ct.lattice
def good_flow(a):
    return ok(a)


@ct.lattice
def bad_flow(a):
    return broken(a)


def test_server_extension_and_lifecycle_hooks(plugin):
    from covalent.server.app import create_app
    from covalent.testing import CLIENT_HEADERS, upload_parts

    with TestClient(create_app(start_cluster=False), base_url="http://localhost", headers=CLIENT_HEADERS) as client:
        assert client.get("/throwaway/hello").text == "hello from a plugin"
        panels = client.get("/api/v1/plugins").json()["panels"]
        assert {"title": "Throwaway", "path": "/throwaway/hello", "description": "a panel from a test plugin"} in panels
        good = client.post("/api/v1/dispatches", files=upload_parts(good_flow, 1)).json()["dispatch_id"]
        assert _wait(client, good) == "COMPLETED"
        bad = client.post("/api/v1/dispatches", files=upload_parts(bad_flow, 1)).json()["dispatch_id"]
        assert _wait(client, bad) == "FAILED"
    names = [name for name, _ in plugin.calls]
    for hook in (
        "before_dispatch",
        "after_dispatch",
        "on_dispatch_error",
        "before_task",
        "after_task",
        "on_task_error",
    ):
        assert hook in names, f"{hook} was not called"
    assert ("before_task", {"name": "ok", "executor": "recording"}) in plugin.calls
    assert ("after_dispatch", {"status": "COMPLETED"}) in plugin.calls
    error = next(args["error"] for name, args in plugin.calls if name == "on_task_error")
    assert "RuntimeError: hook test failure" in error


@ct.electron(executor="recording")
def sleepy(seconds):
    time.sleep(seconds)
    return seconds


@ct.lattice
def sleepy_flow(seconds):
    return sleepy(seconds)


def test_after_task_reports_a_cancelled_task(plugin):
    from covalent.server.app import create_app
    from covalent.testing import CLIENT_HEADERS, upload_parts

    with TestClient(create_app(start_cluster=False), base_url="http://localhost", headers=CLIENT_HEADERS) as client:
        dispatch_id = client.post("/api/v1/dispatches", files=upload_parts(sleepy_flow, 30)).json()["dispatch_id"]
        wait_until(lambda: ("before_task", {"name": "sleepy", "executor": "recording"}) in plugin.calls, 60)
        assert client.post(f"/api/v1/dispatches/{dispatch_id}/cancel", json={"task_ids": None}).status_code == 200
        assert _wait(client, dispatch_id) == "CANCELLED"
    assert ("after_task", {"name": "sleepy", "status": "CANCELLED"}) in plugin.calls
    assert ("after_dispatch", {"status": "CANCELLED"}) in plugin.calls


def _staged_flow(executor, source, target):
    @ct.electron(executor=executor, files=[ct.fs.FileTransfer(str(source), str(target))])
    def staged(files=[]):  # noqa: B006 - Covalent's form for the injected argument
        return open(files[0][1]).read()

    @ct.lattice
    def flow():
        return staged()

    return flow


def test_an_executor_plugin_takes_over_its_jobs_file_transfers(plugin, tmp_path):
    from covalent.server.app import create_app
    from covalent.testing import CLIENT_HEADERS, upload_parts

    source = tmp_path / "in.txt"
    source.write_text("staged input")
    with TestClient(create_app(start_cluster=False), base_url="http://localhost", headers=CLIENT_HEADERS) as client:
        records = {}
        for executor in ("staging", "recording"):
            target = tmp_path / f"{executor}.txt"
            flow = _staged_flow(executor, source, target)
            dispatch_id = client.post("/api/v1/dispatches", files=upload_parts(flow)).json()["dispatch_id"]
            assert _wait(client, dispatch_id) == "COMPLETED"
            nodes = client.get(f"/api/v1/dispatches/{dispatch_id}/nodes").json()["nodes"]
            (node,) = [n for n in nodes if n["kind"] == "electron"]
            records[executor] = node["transfers"]
            assert target.read_text() == "staged input"
    assert ("handles_file_transfers", {"executor": "staging", "count": 1}) in plugin.calls
    assert ("handles_file_transfers", {"executor": "recording", "count": 1}) in plugin.calls
    (delegated,) = records["staging"]
    assert delegated["status"] == "DELEGATED" and "staging" in delegated["error"]
    assert [r["status"] for r in records["recording"]] == ["COMPLETED"]
