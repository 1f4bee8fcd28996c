"""Executors written the Covalent way run on our job model (the adapter), through a real server.

The executors are files in an executor folder (``COVALENT_EXECUTOR_DIR``),
as Covalent's "creating custom executors" how-to writes them, or modules of
an installed distribution in Covalent's entry-point group.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import covalent as ct
from covalent.testing import ExecutorConformance, ServerProcess

#: An executor written the way Covalent's "creating custom executors" how-to says: a module naming its class
#: in executor_plugin_name, defaults in _EXECUTOR_PLUGIN_DEFAULTS, a BaseExecutor whose run calls the function.
TIMING = """
import time
from typing import Any, Callable, Dict, List

from covalent.executor.base import BaseExecutor

executor_plugin_name = "WallClockExecutor"

_EXECUTOR_PLUGIN_DEFAULTS = {"record": ""}


class WallClockExecutor(BaseExecutor):
    \"\"\"Runs each task here and appends how long it took to a file.\"\"\"

    def __init__(self, record: str = "", **kwargs):
        self.record = record
        super().__init__(**kwargs)

    def run(self, function: Callable, args: List, kwargs: Dict, task_metadata: Dict) -> Any:
        began = time.perf_counter()
        value = function(*args, **kwargs)
        with open(self.record, "a") as out:
            took = time.perf_counter() - began
            out.write(f"{task_metadata['dispatch_id']} node {task_metadata['node_id']}: {took:.6f} s\\n")
        return value
"""

#: An asynchronous executor that runs the task in a process of its own session (a "backend"), saves its
#: pid with set_job_handle, watches get_cancel_requested, and can cancel by the handle.
DETACHED = """
import asyncio
import os
import signal
import subprocess
import sys
import tempfile

import cloudpickle

from covalent.executor.base import AsyncBaseExecutor

executor_plugin_name = "DetachedExecutor"

RUNNER = "import sys, cloudpickle; f, a, k = cloudpickle.load(open(sys.argv[1], 'rb')); " \\
    "open(sys.argv[2], 'wb').write(cloudpickle.dumps(f(*a, **k)))"


class DetachedExecutor(AsyncBaseExecutor):
    def __init__(self, fail_first: str = "", **kwargs):
        super().__init__(**kwargs)
        self.fail_first = fail_first

    async def run(self, function, args, kwargs, task_metadata):
        if self.fail_first and not os.path.exists(self.fail_first):
            open(self.fail_first, "w").write("failed once")
            raise RuntimeError("the backend is not ready yet")
        folder = tempfile.mkdtemp(dir=task_metadata["results_dir"])
        task, result = os.path.join(folder, "task.pkl"), os.path.join(folder, "result.pkl")
        with open(task, "wb") as f:
            cloudpickle.dump((function, args, kwargs), f)
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, task, result], start_new_session=True)
        await self.set_job_handle({"pid": proc.pid})
        print(f"backend pid {proc.pid}")
        while proc.poll() is None:
            if await self.get_cancel_requested():
                raise RuntimeError("cancel requested")
            await asyncio.sleep(0.1)
        with open(result, "rb") as f:
            return cloudpickle.load(f)

    async def cancel(self, task_metadata, job_handle):
        os.killpg(job_handle["pid"], signal.SIGKILL)
        return True
"""

BROKEN = {
    "raises_at_import.py": "raise RuntimeError('no licence server')\n",
    "missing_extra.py": "import boto3_that_is_not_installed\n",
    "raises_in_init.py": textwrap.dedent(
        """
        from covalent.executor.base import BaseExecutor

        executor_plugin_name = "Grumpy"

        class Grumpy(BaseExecutor):
            def __init__(self, **kwargs):
                raise ValueError("no credentials configured")

            def run(self, function, args, kwargs, task_metadata):
                return function(*args, **kwargs)
        """
    ),
    "wrong_contract.py": textwrap.dedent(
        """
        executor_plugin_name = "NotAnExecutor"

        class NotAnExecutor:
            def run(self, function, args, kwargs, task_metadata):
                return function(*args, **kwargs)
        """
    ),
    "native_in_covalent_folder.py": textwrap.dedent(
        """
        from covalent.executor import LocalExecutor

        executor_plugin_name = "Native"

        class Native(LocalExecutor):
            short_name = "native"
        """
    ),
    "no_class_named.py": "x = 1\n",
}


@pytest.fixture(scope="module")
def executor_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("custom_executors")
    (folder / "timing_plugin.py").write_text(TIMING)
    (folder / "detached.py").write_text(DETACHED)
    return folder


@pytest.fixture(scope="module")
def server(executor_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("server")
    config = f'[executors.timing_plugin]\nrecord = "{root / "by-name.log"}"\n'
    with ServerProcess(root, config=config, extra_env={"COVALENT_EXECUTOR_DIR": str(executor_dir)}) as running:
        yield running


def _module(path: Path) -> Any:
    """The user's own import of an executor file (the how-to appends its folder to sys.path)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_executor_file_written_the_covalent_way_runs_a_lattice(
    server: ServerProcess, executor_dir: Path, tmp_path: Path
) -> None:
    record = tmp_path / "times.log"
    clock = _module(executor_dir / "timing_plugin.py").WallClockExecutor(str(record))

    @ct.electron(executor=clock)
    def harmonic(n):
        print(f"summing {n} terms")
        return sum(1 / k for k in range(1, n + 1))

    @ct.lattice(executor=clock)
    def workflow(n):
        return harmonic(n)

    dispatch_id = ct.dispatch(workflow)(4)
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result == 1 + 1 / 2 + 1 / 3 + 1 / 4
    assert "summing 4 terms" in result.get_node_result(0)["stdout"]
    assert record.read_text().startswith(f"{dispatch_id} node 0: ")


def test_by_name_it_is_built_from_its_defaults_and_config(server: ServerProcess) -> None:
    @ct.electron(executor="timing_plugin")
    def double(x: int) -> int:
        return 2 * x

    @ct.lattice
    def flow(x: int) -> int:
        return double(x)

    result = ct.dispatch_sync(flow)(21)
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result == 42
    assert (server.root / "by-name.log").read_text().startswith(f"{result.dispatch_id} node 0: ")


def test_a_task_failure_fails_its_node_with_the_traceback(server: ServerProcess, executor_dir: Path) -> None:
    detached = _module(executor_dir / "detached.py").DetachedExecutor()

    @ct.electron(executor=detached)
    def boom() -> None:
        raise KeyError("missing-key")

    @ct.electron
    def fine() -> int:
        return 1

    @ct.lattice
    def flow() -> Any:
        return [boom(), fine()]

    result = ct.dispatch_sync(flow)()
    assert result.status == ct.status.FAILED
    nodes = {r["node_name"]: r for r in result.get_all_node_results()}
    assert "KeyError: 'missing-key'" in nodes["boom"]["error"]
    assert "in boom" in nodes["boom"]["error"]
    assert nodes["fine"]["status"] == ct.status.COMPLETED


def test_retries_apply_to_an_executor_that_failed(server: ServerProcess, executor_dir: Path, tmp_path: Path) -> None:
    flaky = _module(executor_dir / "detached.py").DetachedExecutor(fail_first=str(tmp_path / "failed-once"))

    @ct.electron(executor=flaky, retries=1)
    def answer() -> int:
        return 42

    @ct.lattice
    def flow() -> int:
        return answer()

    result = ct.dispatch_sync(flow)()
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result == 42
    assert (tmp_path / "failed-once").exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _backend_pid(server: ServerProcess, dispatch_id: str, marker: Path) -> int:
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline, f"the task never started:\n{server.log()}"
        time.sleep(0.1)
    return int(marker.read_text())


def _sleeper(marker: str, seconds: float) -> str:
    import os as _os
    import time as _time

    with open(marker, "w") as f:
        f.write(str(_os.getpid()))
    _time.sleep(seconds)
    return "woke"


def test_cancel_reaches_the_executors_own_cancel(server: ServerProcess, executor_dir: Path, tmp_path: Path) -> None:
    """The task runs in a session of its own: only the executor's cancel(task_metadata, handle) can stop it."""
    detached = _module(executor_dir / "detached.py").DetachedExecutor()
    marker = tmp_path / "started"
    sleeper = ct.electron(_sleeper, executor=detached)

    @ct.lattice
    def flow(path: str) -> str:
        return sleeper(path, 600)

    dispatch_id = ct.dispatch(flow)(str(marker))
    pid = _backend_pid(server, dispatch_id, marker)
    ct.cancel(dispatch_id)
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == ct.status.CANCELLED
    deadline = time.monotonic() + 30
    while _alive(pid):
        assert time.monotonic() < deadline, "the backend's task is still running after the cancel"
        time.sleep(0.2)


def test_the_time_limit_stops_the_task(server: ServerProcess, executor_dir: Path, tmp_path: Path) -> None:
    timing = _module(executor_dir / "timing_plugin.py").WallClockExecutor(str(tmp_path / "t.log"))
    marker = tmp_path / "started"
    sleeper = ct.electron(_sleeper, executor=timing, time_limit=2)

    @ct.lattice
    def flow(path: str) -> str:
        return sleeper(path, 600)

    begin = time.monotonic()
    result = ct.dispatch_sync(flow)(str(marker))
    assert time.monotonic() - begin < 60
    assert result.status == ct.status.FAILED
    assert "time limit of 2 s exceeded" in result.get_node_result(0)["error"]
    pid = int(marker.read_text())  # the task ran in the adapter's worker process: it was killed with it
    deadline = time.monotonic() + 15
    while _alive(pid):
        assert time.monotonic() < deadline, "the task outlived its time limit"
        time.sleep(0.2)


def test_a_restarted_server_runs_a_covalent_executors_task_again(
    server: ServerProcess, executor_dir: Path, tmp_path: Path
) -> None:
    """Covalent's contract cannot re-attach: the task left running is stopped (by its handle) and runs again."""
    detached = _module(executor_dir / "detached.py").DetachedExecutor()
    marker = tmp_path / "started"
    sleeper = ct.electron(_sleeper, executor=detached)

    @ct.lattice
    def flow(path: str) -> str:
        return sleeper(path, 3)

    dispatch_id = ct.dispatch(flow)(str(marker))
    first = _backend_pid(server, dispatch_id, marker)
    marker.unlink()
    server.kill()
    server.start()
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result == "woke"
    assert int(marker.read_text()) != first
    assert not _alive(first), "the task left running before the restart was not stopped"


def _plugins(executor_dir: Path) -> dict[str, dict[str, Any]]:
    code = "import json; from covalent.plugins import plugin_infos as p; print(json.dumps([i.to_dict() for i in p()]))"
    env = {**os.environ, "COVALENT_EXECUTOR_DIR": str(executor_dir)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return {p["name"]: p for p in json.loads(out.stdout)}


def test_bad_executors_are_listed_with_their_error_and_nothing_else_is_affected(tmp_path: Path) -> None:
    folder = tmp_path / "executors"
    folder.mkdir()
    for name, text in BROKEN.items():
        (folder / name).write_text(text)
    (folder / "timing_plugin.py").write_text(TIMING)
    infos = _plugins(folder)
    errors = {name.removeprefix("covalent:"): info["error"] for name, info in infos.items() if info["error"]}
    assert "RuntimeError: no licence server" in errors["raises_at_import"]
    assert "ModuleNotFoundError: No module named 'boto3_that_is_not_installed'" in errors["missing_extra"]
    assert "Grumpy(**defaults) raised ValueError: no credentials configured" in errors["raises_in_init"]
    assert "'NotAnExecutor' is not an executor" in errors["wrong_contract"]
    assert "is a bondflow executor" in errors["native_in_covalent_folder"]
    assert "names no executor class" in errors["no_class_named"]
    good = infos["covalent:timing_plugin"]
    assert good["loaded"] and good["contract"] == "covalent" and good["executors"] == ["covalent:timing_plugin"]
    assert infos["local"]["loaded"] and infos["dask"]["loaded"]


def test_covalent_plugins_shows_the_contract(executor_dir: Path) -> None:
    env = {**os.environ, "COVALENT_EXECUTOR_DIR": str(executor_dir), "COLUMNS": "250"}
    command = [str(Path(sys.executable).with_name("covalent")), "plugins"]
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    line = next(row for row in out.splitlines() if "covalent:timing_plugin" in row)
    assert "covalent:timing_plugin (also 'timing_plugin')" in line
    assert "Covalent: run(function, args, kwargs, task_metadata)" in line


class TestCovalentContractConformance(ExecutorConformance):
    """Our executor conformance kit, against the adapter of the how-to's executor."""

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls, executor_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
        from covalent.executor.legacy.adapter import adapter_class
        from covalent.executor.legacy.discovery import PluginSource, load_plugin

        saved = os.environ.get("COVALENT_DATA_DIR")
        os.environ["COVALENT_DATA_DIR"] = str(tmp_path_factory.mktemp("adapter-data"))  # the jobs' channels
        plugin = load_plugin(PluginSource(file=str(executor_dir / "timing_plugin.py")))
        log = tmp_path_factory.mktemp("timing") / "t.log"
        yield adapter_class(plugin)(record=str(log))
        if saved is None:
            os.environ.pop("COVALENT_DATA_DIR", None)
        else:
            os.environ["COVALENT_DATA_DIR"] = saved
