"""Stopping jobs the way the server does: coroutine cancellation and time limits."""

from __future__ import annotations

import asyncio

import pytest

from covalent._sdk.electron import Electron
from covalent.executor.jobs import JobFailedError, run_job
from covalent.testing import make_job
from covalent_pennylane import PennyLaneExecutor


def heartbeat(path: str) -> None:
    import time

    for i in range(600):
        with open(path, "w") as f:
            f.write(str(i))
        time.sleep(0.1)


def sleeper(seconds: float) -> str:
    import time

    time.sleep(seconds)
    return "woke"


def test_cancelling_the_run_coroutine_stops_the_task(tmp_path) -> None:
    """The dispatcher's way: cancel the task awaiting run_job, then call cancel()."""
    beat = tmp_path / "beat"

    async def main() -> bool:
        executor = PennyLaneExecutor()
        await executor.setup()
        try:
            job = make_job(heartbeat, str(beat))
            task = asyncio.ensure_future(run_job(executor, job))
            for _ in range(600):
                if beat.exists():
                    break
                await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await executor.cancel(job, None)
            await asyncio.sleep(1.0)
            first = beat.read_text()
            await asyncio.sleep(1.5)
            return beat.read_text() == first
        finally:
            await executor.teardown()

    assert asyncio.run(main()), "the task kept running after its coroutine was cancelled"


def test_time_limit_stops_the_job(harness_for) -> None:
    job = make_job(Electron(sleeper, time_limit=1.0), 60)
    with pytest.raises(JobFailedError, match="time limit"):
        harness_for().run(job, timeout=120)


def test_device_that_cannot_be_made_fails_the_job_clearly(harness_for) -> None:
    with pytest.raises(JobFailedError, match=r"cannot create PennyLane device 'no\.such\.device'"):
        harness_for(device="no.such.device").run(make_job(sleeper, 0), timeout=120)
