"""DaskExecutor against a real LocalCluster: the conformance suite and Dask specifics."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError

import pytest

from covalent.executor.jobs import JobFailedError
from covalent.testing import ExecutorConformance, ExecutorHarness, make_job, node_value
from covalent_dask import DaskExecutor
from covalent_dask.cluster import (
    CLIENT_BATCH_INTERVAL,
    TICK_INTERVAL,
    ClusterConfig,
    SharedCluster,
    local_cluster_settings,
    shorten_batching,
)

SETTINGS = {
    "n_workers": 2,
    "threads_per_worker": 1,
    "memory_limit": None,
    "dashboard_address": ":0",
    "cancel_grace": 3.0,
}


def _add(x: int, y: int) -> int:
    return x + y


def _where() -> int:
    return os.getpid()


def _beat(path: str) -> str:
    with open(path + ".started", "w") as f:
        f.write(str(os.getpid()))
    for i in range(6000):
        with open(path + ".beat", "w") as f:
            f.write(str(i))
        time.sleep(0.1)
    return "finished"


def _sleep_in_c(path: str) -> str:
    with open(path, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(600)  # one C call: an asynchronous exception waits for it to return
    return "finished"


def _profiling() -> bool:
    import dask

    return bool(dask.config.get("distributed.worker.profile.enabled"))


def _tick_interval() -> str:
    import dask

    return str(dask.config.get("distributed.admin.tick.interval"))


def _crash() -> None:
    os._exit(3)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


async def _full(shared: SharedCluster, workers: int) -> None:
    await shared.client.wait_for_workers(workers, timeout=60)


async def _current(config: ClusterConfig) -> SharedCluster | None:
    return DaskExecutor.clusters.get(config)


class TestDaskExecutorConformance(ExecutorConformance):
    cancel_grace = 30.0

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls) -> Iterator[DaskExecutor]:
        import dask
        import distributed  # noqa: F401  (its config defaults must exist before set())

        # A task that kills its worker fails at once instead of killing three more.
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            yield DaskExecutor(**SETTINGS)

    def _full_strength(self, harness: ExecutorHarness, executor: DaskExecutor) -> None:
        shared = harness.call(_current(executor.config))
        harness.call(_full(shared, 2), timeout=90)

    def test_describe_and_parallelism(self, harness: ExecutorHarness, executor: DaskExecutor, wait_until) -> None:
        self._full_strength(harness, executor)
        assert wait_until(lambda: executor.describe()["workers"] == 2)
        info = executor.describe()
        assert info["running"] is True
        assert info["cluster"] == "local"
        assert info["scheduler_address"].startswith("tcp://127.0.0.1:")
        assert info["dashboard"].startswith("http://")
        assert info["threads"] == 2
        assert executor.parallelism() == 2
        assert executor.max_nodes_per_job >= 1024

    def test_client_batches_messages_at_most_a_millisecond_apart(
        self, harness: ExecutorHarness, executor: DaskExecutor
    ) -> None:
        shared = harness.call(_current(executor.config))
        assert shared.client.scheduler_comm.interval == CLIENT_BATCH_INTERVAL == 0.001
        assert node_value(harness.run(make_job(_add, 3, 4)).nodes[0]) == 7

    def test_runs_in_worker_processes(self, harness: ExecutorHarness) -> None:
        pid = node_value(harness.run(make_job(_where)).nodes[0])
        assert pid != os.getpid()

    def test_workers_run_without_dasks_profiler_unless_asked(self, harness: ExecutorHarness) -> None:
        assert node_value(harness.run(make_job(_profiling)).nodes[0]) is False
        config = ClusterConfig(n_workers=1, worker_profile=True).local_cluster_kwargs()["config"]
        assert config == {"distributed.worker.profile.enabled": True}
        assert "config" not in ClusterConfig(processes=False).local_cluster_kwargs()  # threads: no nanny

    def test_local_cluster_checks_its_event_loops_less_often(
        self, harness: ExecutorHarness, executor: DaskExecutor
    ) -> None:
        import dask

        shared = harness.call(_current(executor.config))
        assert node_value(harness.run(make_job(_tick_interval)).nodes[0]) == TICK_INTERVAL == "200ms"  # the worker
        assert shared.cluster.scheduler._tick_interval == 0.2
        assert {nanny._tick_interval for nanny in shared.cluster.workers.values()} == {0.2}
        assert dask.config.get("distributed.admin.tick.interval") == "20ms"  # this process's Dask: as it was
        with dask.config.set({"distributed.admin.tick.interval": "50ms"}):
            assert local_cluster_settings() == {}  # the user's own setting is kept

    def test_equal_config_shares_one_cluster(self, harness: ExecutorHarness, executor: DaskExecutor) -> None:
        shared = harness.call(_current(executor.config))
        assert shared is not None
        # What the server does: rebuild an instance from its serialized form.
        twin = DaskExecutor.from_dict(executor.to_dict())
        assert twin is not executor and twin.config == executor.config
        harness.call(twin.setup())
        assert harness.call(_current(twin.config)) is shared
        assert twin.describe()["scheduler_address"] == executor.describe()["scheduler_address"]
        assert node_value(harness.call(twin.run(make_job(_add, 20, 22))).nodes[0]) == 42
        harness.call(twin.teardown())
        # The cluster stays for the instance that still holds it.
        assert harness.call(_current(executor.config)) is shared and shared.is_open
        assert node_value(harness.run(make_job(_add, 1, 1)).nodes[0]) == 2

    def test_other_config_gets_its_own_cluster(self, harness: ExecutorHarness, executor: DaskExecutor) -> None:
        other = DaskExecutor(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0")
        harness.call(other.setup(), timeout=120)
        try:
            mine = harness.call(_current(other.config))
            assert mine is not None and mine is not harness.call(_current(executor.config))
            assert node_value(harness.call(other.run(make_job(_where))).nodes[0]) == os.getpid()
        finally:
            harness.call(other.teardown(), timeout=120)
        assert harness.call(_current(other.config)) is None
        assert not mine.is_open

    def test_cancel_restarts_a_worker_stuck_in_c(
        self, harness: ExecutorHarness, executor: DaskExecutor, tmp_path, wait_until
    ) -> None:
        marker = str(tmp_path / "sleeping")
        job = make_job(_sleep_in_c, marker)
        future = harness.submit(job)
        assert wait_until(lambda: os.path.exists(marker) and _read(marker), timeout=60)
        pid = int(_read(marker))
        assert harness.cancel(job) is True
        with pytest.raises(CancelledError):
            future.result(timeout=30)
        # The interrupt cannot reach time.sleep(600): the worker process was restarted.
        assert wait_until(lambda: not _alive(pid), timeout=30), "the stuck worker still runs"
        self._full_strength(harness, executor)
        assert node_value(harness.run(make_job(_add, 2, 2)).nodes[0]) == 4

    def test_cancelling_the_caller_then_the_job_stops_the_task(
        self, harness: ExecutorHarness, tmp_path, wait_until
    ) -> None:
        marker = str(tmp_path / "beating")
        job = make_job(_beat, marker)
        future = harness.submit(job)
        assert wait_until(lambda: os.path.exists(marker + ".started"), timeout=60)
        # What the dispatcher does: cancel the coroutine running the job (its
        # cancel or a time limit), then ask the executor to cancel the job.
        future.cancel()
        assert harness.cancel(job) is True
        time.sleep(1.5)
        beat = _read(marker + ".beat")
        time.sleep(1.5)
        assert _read(marker + ".beat") == beat, "the task kept running after its caller stopped"

    def test_cancel_of_unknown_job_is_false(self, harness: ExecutorHarness) -> None:
        assert harness.cancel(make_job(_add, 1, 2)) is False

    def test_dead_worker_fails_the_job(self, harness: ExecutorHarness, executor: DaskExecutor) -> None:
        self._full_strength(harness, executor)
        with pytest.raises(JobFailedError, match="killed the workers"):
            harness.run(make_job(_crash), timeout=120)
        self._full_strength(harness, executor)
        assert node_value(harness.run(make_job(_add, 5, 5)).nodes[0]) == 10


def test_close_all_closes_every_shared_cluster() -> None:
    executor = DaskExecutor(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0")
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(executor.setup())
        shared = loop.run_until_complete(_current(executor.config))
        assert shared is not None and shared.is_open
        loop.run_until_complete(DaskExecutor.close_all())
        assert not shared.is_open
        assert loop.run_until_complete(_current(executor.config)) is None
        assert executor.describe()["running"] is False
    finally:
        loop.close()


def test_shorten_batching_leaves_a_client_without_a_batched_stream_alone() -> None:
    from types import SimpleNamespace

    assert shorten_batching(SimpleNamespace(scheduler_comm=None)) is False
    slow = SimpleNamespace(scheduler_comm=SimpleNamespace(interval=0.01))
    assert shorten_batching(slow) is True and slow.scheduler_comm.interval == 0.001


def _listening_on(port: int) -> set[str]:
    """The addresses this process (the local cluster's scheduler and dashboard live in it) listens on at ``port``."""
    import psutil

    return {
        c.laddr.ip
        for c in psutil.Process().net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    }


@pytest.mark.parametrize("dashboard", ["default", ""], ids=["default", "off"])
def test_the_local_cluster_listens_on_loopback_only_unless_configured(dashboard: str) -> None:
    """The dashboard shows every task to whoever reaches it: not on every interface by default."""
    from urllib.parse import urlsplit

    options = {} if dashboard == "default" else {"dashboard_address": dashboard}
    executor = DaskExecutor(n_workers=1, threads_per_worker=1, memory_limit=None, **options)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(executor.setup())
        shared = loop.run_until_complete(_current(executor.config))
        assert shared is not None
        scheduler = shared.cluster.scheduler
        assert urlsplit(scheduler.address).hostname == "127.0.0.1"
        assert all(urlsplit(w).hostname == "127.0.0.1" for w in scheduler.workers)
        # The scheduler's HTTP server (the dashboard, or its health and metrics routes when off).
        port = scheduler.services["dashboard"].port
        assert port and _listening_on(port) == {"127.0.0.1"}
        loop.run_until_complete(executor.teardown())
    finally:
        loop.close()
