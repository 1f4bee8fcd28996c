"""DaskExecutor(scheduler_address=...) against `dask scheduler` and `dask worker` OS processes.

The worker cannot import covalent_dask, so these tests also prove that the
executor's worker-side code travels by value.
"""

from __future__ import annotations

import os
import sys

import cloudpickle
import pytest

from covalent.testing import ExecutorConformance, ExecutorHarness, make_job, node_value
from covalent_dask import DaskExecutor

# The external worker does not have this repository on its path.  pytest names
# this module "plugins.covalent-dask.tests...", whose top level is a namespace
# package, and covalent's serializer sends only top-level modules by value, so
# ask for it explicitly.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _square(x: int) -> int:
    return x * x


def _can_import_plugin() -> bool:
    try:
        import covalent_dask  # noqa: F401
    except ImportError:
        return False
    return True


def _where() -> int:
    return os.getpid()


class TestExternalScheduler(ExecutorConformance):
    cancel_grace = 30.0

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls, external_scheduler: dict[str, object]) -> DaskExecutor:
        return DaskExecutor(scheduler_address=str(external_scheduler["address"]), cancel_grace=3.0)

    def test_runs_on_the_external_worker(self, harness: ExecutorHarness) -> None:
        outcome = harness.run(make_job(_where))
        assert node_value(outcome.nodes[0]) != os.getpid()
        # The worker really lacks the plugin: the wrapper arrived by value.
        assert node_value(harness.run(make_job(_can_import_plugin)).nodes[0]) is False

    def test_jobs_go_through_the_channel_installed_by_value(
        self, harness: ExecutorHarness, executor: DaskExecutor
    ) -> None:
        from covalent_dask.shipping import by_value
        from covalent_dask.worker import channel_jobs

        shared = DaskExecutor.clusters.get(executor.config)
        assert shared is not None and shared.channel is not None

        async def served() -> int:
            return sum((await shared.client.run(by_value(channel_jobs))).values())

        before = harness.call(served())
        # The worker cannot import covalent_dask: the plugin and its handler arrived by value.
        assert node_value(harness.run(make_job(_can_import_plugin)).nodes[0]) is False
        assert node_value(harness.run(make_job(_square, 9)).nodes[0]) == 81
        assert harness.call(served()) == before + 2

    def test_our_client_of_the_external_scheduler_batches_at_most_a_millisecond_apart(
        self, harness: ExecutorHarness, executor: DaskExecutor
    ) -> None:
        harness.run(make_job(_where))
        shared = DaskExecutor.clusters.get(executor.config)
        assert shared is not None and shared.client.scheduler_comm.interval == 0.001

    def test_describe_names_the_external_cluster(
        self, harness: ExecutorHarness, executor: DaskExecutor, external_scheduler, wait_until
    ) -> None:
        assert wait_until(lambda: executor.describe().get("threads") == 2)
        info = executor.describe()
        assert info["cluster"] == "external"
        assert info["scheduler_address"] == external_scheduler["address"]
        assert info["workers"] == 1
        assert info["dashboard"].startswith("http://")
        assert executor.parallelism() == 2

    def test_teardown_leaves_the_external_cluster_running(self, external_scheduler) -> None:
        address = str(external_scheduler["address"])
        other = ExecutorHarness(DaskExecutor(scheduler_address=address))
        try:
            assert node_value(other.run(make_job(_square, 7)).nodes[0]) == 49
        finally:
            other.close()
        for process in external_scheduler["processes"]:
            assert process.poll() is None, "teardown stopped a cluster it does not own"
        again = ExecutorHarness(DaskExecutor(scheduler_address=address))
        try:
            assert node_value(again.run(make_job(_square, 8)).nodes[0]) == 64
        finally:
            again.close()
