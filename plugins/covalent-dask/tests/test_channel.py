"""The job channel against a real LocalCluster: jobs sent straight to a worker, and when they are not."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pytest

from covalent.testing import ExecutorHarness, make_job, node_value
from covalent_dask import DaskExecutor
from covalent_dask.channel import SHORT_SECONDS, WAIT, JobChannel, Slot, channel_plugin, is_short
from covalent_dask.shipping import by_value
from covalent_dask.worker import channel_jobs

SETTINGS = {
    "n_workers": 2,
    "threads_per_worker": 1,
    "memory_limit": None,
    "dashboard_address": ":0",
    "cancel_grace": 3.0,
}


def _where(word: str) -> tuple[int, str]:
    print(word)
    return os.getpid(), word


def _as_a_dask_task() -> tuple[str, str, str]:
    """What a task sees of Dask: its worker, its key, a client of the cluster."""
    from distributed import get_client, get_worker

    worker = get_worker()
    return worker.address, str(worker.get_current_task()), get_client().scheduler.address


def _alone(folder: str, marker: str) -> tuple[int, int]:
    """Run a moment with a file named after this process; the most such files seen at once."""
    pid = os.getpid()
    mine = Path(folder) / f"running-{pid}-{uuid.uuid4().hex}"
    mine.touch()
    Path(folder, f"{marker}.started").touch()
    seen = 0
    for _ in range(15):
        seen = max(seen, len(list(Path(folder).glob(f"running-{pid}-*"))))
        time.sleep(0.02)
    mine.unlink()
    return pid, seen


def _beat(path: str) -> str:
    with open(path + ".started", "w") as f:
        f.write(str(os.getpid()))
    for i in range(6000):
        with open(path + ".beat", "w") as f:
            f.write(str(i))
        time.sleep(0.1)
    return "finished"


def _wait_for(path: str) -> int:
    """Write this process's id to ``path``, then wait until ``path + '.go'`` exists."""
    Path(path).write_text(str(os.getpid()))
    while not os.path.exists(path + ".go"):
        time.sleep(0.05)
    return os.getpid()


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


async def _served(executor: DaskExecutor) -> int:
    """Jobs the channel has run on the cluster's current workers."""
    shared = executor.clusters.get(executor.config)
    assert shared is not None
    answers = await shared.client.run(by_value(channel_jobs))
    return sum(answers.values())


async def _full(executor: DaskExecutor, workers: int) -> None:
    shared = executor.clusters.get(executor.config)
    assert shared is not None
    await shared.client.wait_for_workers(workers, timeout=60)
    assert shared.channel is not None
    await shared.channel.refresh()


@pytest.fixture(scope="module")
def harness() -> Iterator[ExecutorHarness]:
    harness = ExecutorHarness(DaskExecutor(**SETTINGS))
    try:
        harness.call(_full(harness.executor, 2), timeout=90)
        yield harness
    finally:
        harness.close()


def test_a_job_goes_straight_to_a_worker_with_its_outcome_as_through_dask(harness: ExecutorHarness) -> None:
    executor = harness.executor
    before = harness.call(_served(executor))
    outcome = harness.run(make_job(_where, "direct"))
    assert harness.call(_served(executor)) == before + 1
    pid, word = node_value(outcome.nodes[0])
    assert pid != os.getpid() and word == "direct"
    assert outcome.nodes[0].stdout == "direct\n"
    # The same job through the scheduler: the same outcome, made the same way.
    executor.job_channel = False
    try:
        through_dask = harness.run(make_job(_where, "direct"))
    finally:
        executor.job_channel = True
    assert harness.call(_served(executor)) == before + 1
    assert node_value(through_dask.nodes[0])[1] == "direct"
    assert through_dask.nodes[0].stdout == outcome.nodes[0].stdout


def test_a_job_through_the_channel_sees_dask_as_a_task_does(harness: ExecutorHarness) -> None:
    executor = harness.executor
    shared = executor.clusters.get(executor.config)
    assert shared is not None
    before = harness.call(_served(executor))
    address, key, scheduler = node_value(harness.run(make_job(_as_a_dask_task)).nodes[0])
    assert harness.call(_served(executor)) == before + 1
    assert address in harness.call(shared.client.scheduler.identity(n_workers=-1))["workers"]
    assert key.startswith("covalent-job-test-")
    assert scheduler == shared.scheduler_address


def test_a_failing_payload_fails_the_job_with_its_traceback(harness: ExecutorHarness) -> None:
    from covalent.executor.jobs import Job, JobFailedError

    job = make_job(_where, "x")
    broken = Job(job.job_id, job.dispatch_id, job.node_ids, job.names, b"not a payload")
    with pytest.raises(JobFailedError) as failed:
        harness.run(broken)
    assert "Traceback" in failed.value.log


def test_jobs_never_share_a_thread_more_than_the_worker_has(harness: ExecutorHarness, tmp_path: Path) -> None:
    """Six jobs at once on 2 workers of 1 thread: two by the channel, the rest by the scheduler, one per thread."""
    executor = harness.executor
    before = harness.call(_served(executor))
    futures = [harness.submit(make_job(_alone, str(tmp_path), f"job{i}")) for i in range(6)]
    results = [node_value(f.result(timeout=120).nodes[0]) for f in futures]
    assert all(seen == 1 for _, seen in results), results
    served = harness.call(_served(executor)) - before
    assert 1 <= served < 6


def test_a_worker_busy_with_dasks_tasks_refuses_and_the_scheduler_runs_the_job(
    harness: ExecutorHarness, tmp_path: Path, wait_until
) -> None:
    executor = harness.executor
    shared = executor.clusters.get(executor.config)
    assert shared is not None
    markers = [str(tmp_path / f"dask-task-{i}") for i in range(2)]

    async def occupy() -> list[Any]:  # Dask tasks, not this executor's jobs, take both threads
        return [shared.client.submit(by_value(_wait_for), m, pure=False) for m in markers]

    async def release(tasks: list[Any]) -> None:
        for task in tasks:
            task.release()

    tasks = harness.call(occupy())
    try:
        assert wait_until(lambda: all(_read(m) for m in markers), timeout=60)
        before = harness.call(_served(executor))
        future = harness.submit(make_job(_where, "queued"))
        time.sleep(0.5)
        assert not future.done()  # it waits for a thread: the worker did not take it beside the tasks
        for m in markers:
            Path(m + ".go").touch()
        assert node_value(future.result(timeout=60).nodes[0])[1] == "queued"
        assert harness.call(_served(executor)) == before
    finally:
        for m in markers:
            Path(m + ".go").touch()
        harness.call(release(tasks))


def test_cancel_stops_a_job_running_through_the_channel(harness: ExecutorHarness, tmp_path: Path, wait_until) -> None:
    executor = harness.executor
    before = harness.call(_served(executor))
    marker = str(tmp_path / "beating")
    job = make_job(_beat, marker)
    future = harness.submit(job)
    assert wait_until(lambda: _read(marker + ".started"), timeout=60)
    assert harness.cancel(job) is True
    with pytest.raises(CancelledError):
        future.result(timeout=30)
    beat = _read(marker + ".beat")
    time.sleep(1.0)
    assert _read(marker + ".beat") == beat, "the task kept running after its cancel"
    assert harness.call(_served(executor)) == before + 1  # it ran (and ended) through the channel


def test_a_worker_that_dies_under_a_job_gets_it_run_again_through_the_scheduler(
    harness: ExecutorHarness, tmp_path: Path, wait_until
) -> None:
    executor = harness.executor
    marker = str(tmp_path / "doomed")
    future = harness.submit(make_job(_wait_for, marker))
    assert wait_until(lambda: _read(marker), timeout=60)
    first = int(_read(marker))
    Path(marker).unlink()
    os.kill(first, 9)  # the worker process (its nanny starts another)
    assert wait_until(lambda: _read(marker), timeout=90), "the job was not run again"
    Path(marker + ".go").touch()
    pid = node_value(future.result(timeout=60).nodes[0])
    assert pid != first and pid == int(_read(marker))
    harness.call(_full(executor, 2), timeout=90)
    assert node_value(harness.run(make_job(_where, "after")).nodes[0])[1] == "after"


def test_without_the_channel_every_job_is_a_dask_task() -> None:
    executor = DaskExecutor(**SETTINGS, job_channel=False)
    assert executor.to_dict()["kwargs"]["job_channel"] is False
    harness = ExecutorHarness(executor)
    try:
        harness.call(_full(executor, 2), timeout=90)
        before = harness.call(_served(executor))
        assert node_value(harness.run(make_job(_where, "scheduled")).nodes[0])[1] == "scheduled"
        assert harness.call(_served(executor)) == before
    finally:
        harness.close()


def test_a_worker_without_the_channel_leaves_the_job_to_the_scheduler(harness: ExecutorHarness) -> None:
    executor = harness.executor
    shared = executor.clusters.get(executor.config)
    assert shared is not None and shared.channel is not None

    def remove(dask_worker: Any = None) -> bool:
        return dask_worker.handlers.pop("covalent_job", None) is not None

    async def run_without() -> Any:
        assert all((await shared.client.run(remove)).values())
        try:
            return await executor.run(make_job(_where, "no channel"))
        finally:
            await shared.client.register_plugin(channel_plugin())  # installs it again

    before = harness.call(_served(executor))
    assert node_value(harness.call(run_without(), timeout=120).nodes[0])[1] == "no channel"
    assert harness.call(_served(executor)) == before
    assert node_value(harness.run(make_job(_where, "back")).nodes[0])[1] == "back"
    assert harness.call(_served(executor)) == before + 1


def test_the_channel_counts_its_jobs_in_flight_and_forgets_them_after(harness: ExecutorHarness) -> None:
    shared = harness.executor.clusters.get(harness.executor.config)
    assert shared is not None and shared.channel is not None
    harness.run(make_job(_where, "count"))
    assert shared.channel.direct == {} and shared.channel.scheduled == 0
    listed = harness.call(shared.client.scheduler.identity(n_workers=-1))["workers"]
    assert shared.channel.workers == {address: 1 for address in listed}


# -- short jobs: a worker-side queue of one per thread, and waiting here for a slot --------------


def _short(job: Any) -> Any:
    """The job as the dispatcher sends one it expects to end soon."""
    return dataclasses.replace(job, metadata={**job.metadata, "expected_seconds": 0.05})


def _mark(path: str) -> int:
    Path(path).write_text(str(os.getpid()))
    return os.getpid()


def _channel(executor: DaskExecutor) -> JobChannel:
    shared = executor.clusters.get(executor.config)
    assert shared is not None and shared.channel is not None
    return shared.channel


def _in_flight(harness: ExecutorHarness) -> dict[str, int]:
    async def read() -> dict[str, int]:
        return dict(_channel(harness.executor).direct)

    return harness.call(read())


def test_short_jobs_all_go_by_the_channel_and_never_share_a_thread(harness: ExecutorHarness, tmp_path: Path) -> None:
    """Six short jobs at once on 2 workers of 1 thread: one running and one queued per thread, the rest wait here."""
    before = harness.call(_served(harness.executor))
    futures = [harness.submit(_short(make_job(_alone, str(tmp_path), f"job{i}"))) for i in range(6)]
    results = [node_value(f.result(timeout=120).nodes[0]) for f in futures]
    assert all(seen == 1 for _, seen in results), results
    assert harness.call(_served(harness.executor)) == before + 6
    assert _in_flight(harness) == {}


def _occupy(harness: ExecutorHarness, tmp_path: Path, wait_until: Any, short: bool) -> tuple[list[str], list[Any]]:
    """A job waiting for its ``.go`` file on each of the two threads; their markers and futures."""
    markers = [str(tmp_path / f"holding-{i}") for i in range(2)]
    futures = []
    for m in markers:
        job = make_job(_wait_for, m)
        futures.append(harness.submit(_short(job) if short else job))
    assert wait_until(lambda: all(_read(m) for m in markers), timeout=60)
    return markers, futures


def test_a_short_job_waits_in_a_workers_queue_and_runs_when_the_thread_frees(
    harness: ExecutorHarness, tmp_path: Path, wait_until
) -> None:
    before = harness.call(_served(harness.executor))
    markers, holding = _occupy(harness, tmp_path, wait_until, short=True)
    try:
        queued = harness.submit(_short(make_job(_mark, str(tmp_path / "queued"))))
        assert wait_until(lambda: sum(_in_flight(harness).values()) == 3, timeout=30)
        assert sorted(_in_flight(harness).values()) == [1, 2]  # it waits on one worker, behind the job there
        time.sleep(0.3)
        assert not queued.done() and not (tmp_path / "queued").exists()  # no thread for it yet
    finally:
        for m in markers:
            Path(m + ".go").touch()
    pids = {f.result(timeout=60).nodes[0].output is not None for f in holding}
    assert pids == {True}
    assert node_value(queued.result(timeout=60).nodes[0]) == int((tmp_path / "queued").read_text())
    assert harness.call(_served(harness.executor)) == before + 3


def test_a_queued_job_cancelled_before_it_starts_never_runs(
    harness: ExecutorHarness, tmp_path: Path, wait_until
) -> None:
    markers, holding = _occupy(harness, tmp_path, wait_until, short=True)
    try:
        job = _short(make_job(_mark, str(tmp_path / "never")))
        queued = harness.submit(job)
        assert wait_until(lambda: sum(_in_flight(harness).values()) == 3, timeout=30)
        assert harness.cancel(job) is True
        with pytest.raises(CancelledError):
            queued.result(timeout=30)
    finally:
        for m in markers:
            Path(m + ".go").touch()
    for f in holding:
        f.result(timeout=60)
    assert wait_until(lambda: _in_flight(harness) == {}, timeout=30)
    time.sleep(0.3)
    assert not (tmp_path / "never").exists(), "the cancelled job ran"


def test_a_short_job_never_queues_behind_a_job_of_unknown_length(
    harness: ExecutorHarness, tmp_path: Path, wait_until
) -> None:
    before = harness.call(_served(harness.executor))
    markers, holding = _occupy(harness, tmp_path, wait_until, short=False)
    try:
        future = harness.submit(_short(make_job(_mark, str(tmp_path / "after"))))
        time.sleep(0.5)
        assert not future.done() and sum(_in_flight(harness).values()) == 2  # at the scheduler, not queued
    finally:
        for m in markers:
            Path(m + ".go").touch()
    for f in holding:
        f.result(timeout=60)
    assert node_value(future.result(timeout=60).nodes[0]) == int((tmp_path / "after").read_text())
    assert harness.call(_served(harness.executor)) == before + 2


def test_a_worker_that_dies_under_a_queued_job_gets_both_jobs_run_again(
    harness: ExecutorHarness, tmp_path: Path, wait_until
) -> None:
    executor = harness.executor
    markers, holding = _occupy(harness, tmp_path, wait_until, short=True)
    queued_marker = tmp_path / "queued-on-the-doomed"
    queued = harness.submit(_short(make_job(_wait_for, str(queued_marker))))
    assert wait_until(lambda: sum(_in_flight(harness).values()) == 3, timeout=30)
    doomed = max(_in_flight(harness).items(), key=lambda item: item[1])[0]

    async def pid_of(address: str) -> int:
        answers = await _channel(executor).client.run(os.getpid, workers=[address])
        return int(answers[address])

    first = harness.call(pid_of(doomed))
    (alive,) = [m for m in markers if int(_read(m)) != first]
    (dying,) = [m for m in markers if int(_read(m)) == first]
    Path(alive + ".go").touch()
    Path(dying).unlink()
    os.kill(first, 9)  # the worker process with a running and a queued job (its nanny starts another)
    assert wait_until(lambda: _read(dying), timeout=90), "the running job was not run again"
    Path(dying + ".go").touch()
    assert wait_until(lambda: _read(str(queued_marker)), timeout=90), "the queued job was not run again"
    Path(str(queued_marker) + ".go").touch()
    assert all(f.result(timeout=60).nodes[0].status == "COMPLETED" for f in holding)
    assert node_value(queued.result(timeout=60).nodes[0]) != first
    harness.call(_full(executor, 2), timeout=90)


def _fake_channel(threads: dict[str, int]) -> JobChannel:
    channel = JobChannel(client=None)
    channel.workers = dict(threads)
    channel.refreshed = time.monotonic() + 3600  # no refresh: there is no cluster
    return channel


def test_pick_fills_free_threads_then_queues_short_jobs_then_waits() -> None:
    channel = _fake_channel({"a": 1, "b": 1})
    first = channel.pick(short=True)
    assert first is not None and not first.queued  # a free thread first
    channel.direct = {first.address: 1}
    assert channel.pick(short=True) == Slot("b" if first.address == "a" else "a")
    channel.direct = {"a": 1, "b": 1}
    assert channel.pick(short=False) is None  # a job of unknown length goes to the scheduler
    slot = channel.pick(short=True)
    assert slot is not None and slot.queued and slot is not WAIT
    channel.direct = {"a": 2, "b": 1}
    assert channel.pick(short=True) == Slot("b", queued=True)
    channel.direct = {"a": 2, "b": 2}
    assert channel.pick(short=True) is WAIT
    channel.long = {"a": 1}
    assert channel.pick(short=True) is None  # nothing queues behind a job of unknown length
    channel.long = {}
    channel.scheduled = 1
    assert channel.pick(short=True) is None  # nor while jobs of this process run as Dask tasks
    assert is_short(0.5) and not is_short(None) and not is_short(SHORT_SECONDS * 2)


def test_jobs_waiting_for_a_slot_take_it_in_order() -> None:
    async def scenario() -> list[str]:
        channel = _fake_channel({"a": 1})
        channel.direct = {"a": 2}
        order: list[str] = []

        async def take(name: str) -> None:
            slot = await channel.slot(short=True)
            assert slot is not None and slot.address == "a"
            order.append(name)  # the slot is taken: the count went up again

        tasks = [asyncio.ensure_future(take(name)) for name in ("first", "second", "third")]
        cancelled = asyncio.ensure_future(channel.slot(short=True))
        await asyncio.sleep(0)
        assert order == [] and len(channel._waiters) == 4
        cancelled.cancel()
        for _ in range(3):
            channel.direct["a"] -= 1  # what a reply does: a slot freed, the first waiter woken
            channel._wake()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert not channel._waiters and channel.direct == {"a": 2}
        return order

    assert asyncio.run(scenario()) == ["first", "second", "third"]


def test_a_worker_whose_handler_fails_leaves_the_job_to_the_scheduler(harness: ExecutorHarness) -> None:
    """A handler that raises (one of another version, which takes no ``queued``): the job is a Dask task."""
    executor = harness.executor
    shared = executor.clusters.get(executor.config)
    assert shared is not None and shared.channel is not None

    def older(dask_worker: Any = None) -> bool:
        async def covalent_job(key: str = "", payload: bytes = b"") -> dict[str, str]:
            return {"status": "busy"}

        dask_worker.handlers["covalent_job"] = covalent_job
        return True

    async def run_with_older() -> Any:
        assert all((await shared.client.run(older)).values())
        try:
            return await executor.run(_short(make_job(_where, "older")))
        finally:
            await shared.client.register_plugin(channel_plugin())  # installs ours again

    before = harness.call(_served(executor))
    assert node_value(harness.call(run_with_older(), timeout=120).nodes[0])[1] == "older"
    assert harness.call(_served(executor)) == before
    assert _in_flight(harness) == {}
