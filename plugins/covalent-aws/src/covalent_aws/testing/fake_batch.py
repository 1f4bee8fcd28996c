"""The compute environment moto lacks: runs each Batch job's container command.

Moto's Docker-less Batch marks a job SUCCEEDED the moment it is submitted.
While a :class:`FakeBatchCompute` is started, moto keeps a submitted job
RUNNING instead and hands it over here; the job's container command (as the
executor put it in the job, read back with ``describe_jobs``) runs in a
subprocess, with ``python`` meaning this interpreter (the "image" is this
machine's environment) and the moto endpoint and fake credentials in its
environment.  Its output goes to the job's CloudWatch log stream; its exit
status decides SUCCEEDED or FAILED.  ``terminate_job`` stops the subprocess
(the job ends FAILED with the termination reason), and so does the job's
``attemptDurationSeconds`` timeout, as AWS Batch does.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from covalent_aws.testing._process import OutputCollector, kill_group
from covalent_aws.testing.moto_aws import MotoAWS

__all__ = ["ContainerRun", "FakeBatchCompute"]

LOG_GROUP = "/aws/batch/job"


@dataclass
class ContainerRun:
    """What the fake compute environment did with one Batch job."""

    job_id: str
    command: list[str] = field(default_factory=list)
    pid: int | None = None
    returncode: int | None = None
    terminated: bool = False
    timed_out: bool = False
    output: list[str] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event)


class FakeBatchCompute:
    """Plays the Batch compute environment for every job submitted to ``moto``."""

    def __init__(self, moto: MotoAWS, check_interval: float = 0.1) -> None:
        self.moto = moto
        self.check_interval = check_interval
        self.runs: dict[str, ContainerRun] = {}
        self._threads: list[threading.Thread] = []
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping = threading.Event()
        self._original: Any = None
        self._lock = threading.Lock()

    def start(self) -> FakeBatchCompute:
        from moto.batch_simple.models import BatchSimpleBackend

        compute = self
        self._original = BatchSimpleBackend.__dict__["_mark_job_as_finished"]

        def start_job(backend: Any, include_start_attempt: bool, job: Any) -> None:
            backend.backend._jobs[job.job_id] = job
            job.job_started_at = datetime.datetime.now()
            job.log_stream_name = job._stream_name
            if include_start_attempt:
                job._start_attempt()
            job.status = "STARTING"
            compute._accept(job)

        BatchSimpleBackend._mark_job_as_finished = start_job  # type: ignore[method-assign,assignment]
        return self

    def stop(self) -> None:
        """Kill every running container, wait for their threads, restore moto."""
        from moto.batch_simple.models import BatchSimpleBackend

        self._stopping.set()
        if self._original is not None:
            BatchSimpleBackend._mark_job_as_finished = self._original  # type: ignore[method-assign,assignment]
            self._original = None
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            kill_group(proc)
        for thread in self._threads:
            thread.join(timeout=15)

    def _accept(self, job: Any) -> None:
        run = ContainerRun(job_id=job.job_id)
        with self._lock:
            self.runs[job.job_id] = run
        thread = threading.Thread(target=self._run, args=(job, run), daemon=True, name=f"fake-batch-{job.job_id}")
        self._threads.append(thread)
        thread.start()

    def wait_for_run(self, job_id: str, timeout: float = 30.0) -> ContainerRun:
        deadline = time.monotonic() + timeout
        while job_id not in self.runs:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no Batch job {job_id} reached the fake compute environment")
            time.sleep(0.05)
        return self.runs[job_id]

    def _run(self, job: Any, run: ContainerRun) -> None:
        try:
            self._run_container(job, run)
        except Exception as exc:  # the fake itself broke: fail the job visibly
            run.output.append(f"fake compute environment error: {exc!r}")
            job.job_stopped_reason = f"fake compute environment error: {exc!r}"
            job._mark_stopped(success=False)
        finally:
            run.finished.set()

    def _run_container(self, job: Any, run: ContainerRun) -> None:
        batch = self.moto.client("batch")
        description = batch.describe_jobs(jobs=[job.job_id])["jobs"][0]
        container = description.get("container") or {}
        command = [str(part) for part in container.get("command") or []]
        if command and command[0] in {"python", "python3"}:
            command[0] = sys.executable
        env = dict(os.environ)
        env.update(self.moto.environment())
        env.update({e["name"]: e["value"] for e in container.get("environment") or []})
        run.command = command
        limit = (description.get("timeout") or {}).get("attemptDurationSeconds")
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        run.pid = proc.pid
        job.job_started_at = datetime.datetime.now()
        job.status = "RUNNING"
        with self._lock:
            self._procs[job.job_id] = proc
        output = OutputCollector(proc.stdout)  # type: ignore[arg-type]
        started = time.monotonic()
        while True:
            try:
                proc.wait(timeout=self.check_interval)
                break
            except subprocess.TimeoutExpired:
                pass
            if job.stop or self._stopping.is_set():
                run.terminated = True
                break
            if limit and time.monotonic() - started > float(limit):
                run.timed_out = True
                job.job_stopped_reason = "Job attempt duration exceeded timeout"
                break
        if proc.poll() is None:
            kill_group(proc)
        with self._lock:
            self._procs.pop(job.job_id, None)
        run.output = output.join()
        run.returncode = proc.returncode
        self._write_logs(job.log_stream_name, run.output)
        job.exit_code = 137 if (run.terminated or run.timed_out) else proc.returncode
        if proc.returncode != 0 and not (run.terminated or run.timed_out):
            job.job_stopped_reason = "Essential container in task exited"
        job._mark_stopped(success=proc.returncode == 0 and not run.terminated and not run.timed_out)

    def _write_logs(self, stream: str, lines: list[str]) -> None:
        logs = self.moto.client("logs")
        for create in (
            lambda: logs.create_log_group(logGroupName=LOG_GROUP),
            lambda: logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream),
        ):
            try:
                create()
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
        if not lines:
            return
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": line or " "} for line in lines[-5000:]]
        logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=events)
