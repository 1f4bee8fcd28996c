"""``SlurmExecutor`` ("slurm"): every job is one ``sbatch`` job.

The payload is staged in a per-job folder on the cluster's shared
filesystem, a job script runs ``python -m covalent.runtime run PAYLOAD
OUTCOME`` there, and the outcome file is fetched when Slurm says the job
ended.  Commands and files go through the local machine or, with
``address=...``, a login node over SSH.  The handle (Slurm job id plus the
job folder) is JSON-safe, so a restarted server re-attaches to running jobs.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import time
from typing import Any

from covalent.executor.jobs import Job, JobExecutor, JobFailedError, JobOutcome, JobState
from covalent_slurm.failure import failure_message as describe_failure
from covalent_slurm.options import extra_directives, format_time, seconds_to_slurm_time
from covalent_slurm.script import JobFiles, ScriptSpec, render_script
from covalent_slurm.status import StatusPoller, query_squeue, to_job_state
from covalent_ssh.envcheck import check_environment
from covalent_ssh.shell import environment_lines, validate_env
from covalent_ssh.transport import LocalTransport, SSHTransport, Transport, with_env

__all__ = ["SlurmExecutor"]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
LOG_BYTES = 64 * 1024


def _safe(text: str) -> str:
    return _SAFE.sub("_", text)[:100] or "job"


class SlurmExecutor(JobExecutor):
    """Run each job as a Slurm batch job, submitted locally or on a login node over SSH.

    See the package README for every option.
    """

    short_name = "slurm"
    #: The job script enforces the electron's time limit from when the task starts
    #: (`timeout`, and `--time` as a backstop), so time queued in Slurm does not count.
    enforces_time_limit = True
    max_nodes_per_job = 16
    #: Seconds a finished job's outcome file may take to appear (shared filesystems lag).
    outcome_grace: float = 5.0
    #: Seconds of failing ``squeue`` calls tolerated before a job is given up.
    poll_failure_tolerance: float = 300.0

    def __init__(
        self,
        partition: str | None = None,
        time_limit: float | str | None = None,
        cpus_per_task: int | None = 1,
        memory: str | int | None = None,
        gpus: str | int | None = None,
        account: str | None = None,
        qos: str | None = None,
        options: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        modules: list[str] | str | None = None,
        conda_env: str | None = None,
        venv: str | None = None,
        prerun: list[str] | str | None = None,
        postrun: list[str] | str | None = None,
        use_srun: bool = False,
        srun_options: dict[str, Any] | None = None,
        python: str = "python3",
        workdir: str = "~/.cache/covalent/slurm",
        address: str | None = None,
        username: str | None = None,
        ssh_port: int = 22,
        ssh_key_file: str | None = None,
        known_hosts: str | None = None,
        check_host_key: bool = True,
        poll_interval: float = 2.0,
        keep_files: bool = False,
        check_environment: bool = True,
        cancel_timeout: float = 60.0,
        script_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.partition = partition
        self.time_limit = format_time(time_limit) if time_limit is not None else None
        self.cpus_per_task = cpus_per_task
        self.memory = memory
        self.gpus = gpus
        self.account = account
        self.qos = qos
        self.extra_options = extra_directives(options)
        self.env = validate_env(env)
        self.setup_lines = environment_lines(
            env=self.env, modules=modules, conda_env=conda_env, venv=venv, prerun=prerun
        )
        self.postrun_lines = environment_lines(prerun=postrun)
        self.use_srun = use_srun
        self.srun_options = extra_directives(srun_options)
        self.python = python
        self.workdir = workdir
        self.address = address
        self.poll_interval = float(poll_interval)
        self.keep_files = keep_files
        self.check_env = check_environment
        self.cancel_timeout = float(cancel_timeout)
        self.script_template = script_template
        self._transport: Transport = (
            SSHTransport(
                address,
                username=username,
                port=ssh_port,
                key_file=ssh_key_file,
                known_hosts=known_hosts,
                check_host_key=check_host_key,
            )
            if address
            else LocalTransport()
        )
        self._workdir_abs: str | None = None
        self._ready = False
        self._pollers: dict[int, StatusPoller] = {}
        self._cancelled: set[str] = set()
        self._last_state: dict[str, tuple[str | None, str]] = {}
        self._missing_since: dict[str, float] = {}

    # -- helpers ------------------------------------------------------------
    async def _run(self, command: str, timeout: float | None = 120) -> Any:
        return await self._transport.run(with_env(command, self.env), timeout=timeout)

    def _poller(self) -> StatusPoller:
        loop = asyncio.get_running_loop()
        poller = self._pollers.get(id(loop))
        if poller is None:
            poller = StatusPoller(self._transport, self.env, max_age=max(0.2, self.poll_interval * 0.8))
            self._pollers = {id(loop): poller}
        return poller

    async def _workdir(self) -> str:
        if self._workdir_abs is None:
            path = self.workdir.rstrip("/") or "/"
            if path == "~" or path.startswith("~/"):
                path = (await self._transport.home()).rstrip("/") + path[1:]
            elif not path.startswith("/"):
                path = (await self._transport.home()).rstrip("/") + "/" + path
            self._workdir_abs = path
        return self._workdir_abs

    def directives(self, job: Job) -> tuple[list[str], str | None]:
        """The sbatch options for ``job`` and the ``--time`` value used (if any)."""
        time_value = self.time_limit
        if time_value is None and job.time_limit:
            time_value = seconds_to_slurm_time(job.time_limit + 60)  # the job itself enforces the exact limit
        pairs = [
            ("partition", self.partition),
            ("time", time_value),
            ("cpus-per-task", self.cpus_per_task),
            ("mem", self.memory),
            ("gpus", self.gpus),
            ("account", self.account),
            ("qos", self.qos),
        ]
        return extra_directives(dict(pairs)) + self.extra_options, time_value

    def job_script(self, job: Job, files: JobFiles) -> tuple[str, str | None]:
        """The job script for ``job`` with its files in ``files``, and the ``--time`` used."""
        directives, time_value = self.directives(job)
        name = _safe(f"covalent-{job.names[0] if job.names else job.job_id}")[:64]
        spec = ScriptSpec(
            job_name=name,
            files=files,
            python=self.python,
            directives=directives,
            setup=self.setup_lines,
            postrun=self.postrun_lines,
            use_srun=self.use_srun,
            srun_options=self.srun_options,
            task_time_limit=job.time_limit,
            template=self.script_template,
        )
        return render_script(spec), time_value

    # -- lifecycle ------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "submit_host": self._transport.description,
            "partition": self.partition,
            "workdir": self._workdir_abs or self.workdir,
            "mode": "sbatch per job",
        }

    def parallelism(self) -> int:
        return 64

    async def setup(self) -> None:
        """Check that Slurm answers and the job's Python can run payloads; create the staging folder."""
        workdir = await self._workdir()
        found = await self._run("command -v sbatch && command -v squeue && command -v scancel")
        if not found.ok:
            raise RuntimeError(
                f"Slurm's commands (sbatch, squeue, scancel) are not on the PATH on {self._transport.description}"
            )
        made = await self._run(f"mkdir -p {shlex.quote(workdir)}")
        if not made.ok:
            raise RuntimeError(f"cannot create the staging folder {workdir}: {made.stderr.strip()}")
        if self.check_env:
            await check_environment(self._transport, self.python, self.setup_lines)
        self._ready = True

    async def teardown(self) -> None:
        await self._transport.close()
        self._pollers.clear()

    async def submit(self, job: Job) -> dict[str, Any]:
        """Stage the payload and job script, ``sbatch`` it; return the JSON-safe handle."""
        if not self._ready:
            await self.setup()
        workdir = await self._workdir()
        files = JobFiles(f"{workdir}/{_safe(job.dispatch_id)}/{_safe(job.job_id)}")
        script, time_value = self.job_script(job, files)
        made = await self._run(f"mkdir -p {shlex.quote(files.job_dir)}")
        if not made.ok:
            raise JobFailedError(f"cannot create {files.job_dir}: {made.stderr.strip()}")
        try:
            await self._transport.write_file(files.payload, job.payload)
            await self._transport.write_file(files.script, script.encode())
            result = await self._run(f"sbatch --parsable {shlex.quote(files.script)}")
            if not result.ok:
                raise JobFailedError(f"sbatch refused job {job.job_id}: {result.stderr.strip()}", log=script)
        except BaseException:
            await self._remove(files.job_dir)
            raise
        slurm_id = result.stdout.strip().splitlines()[-1].split(";")[0].strip()
        return {
            "slurm_job_id": slurm_id,
            "job_dir": files.job_dir,
            "time": time_value,
            "time_limit": job.time_limit,
            "submit_host": self._transport.description,
        }

    async def poll(self, job: Job, handle: dict[str, Any]) -> JobState:
        """PENDING/RUNNING from squeue; once Slurm is done, DONE if the outcome file exists.

        A job Slurm no longer lists is judged by its files: outcome -> DONE,
        no outcome -> FAILED, not even its folder -> LOST.
        """
        slurm_id = str(handle["slurm_job_id"])
        status = await self._poller().status(slurm_id)
        self._last_state[slurm_id] = (status.state, status.reason)
        state = to_job_state(status)
        if state is not None:
            return state
        if await self._transport.exists(JobFiles(handle["job_dir"]).outcome):
            self._missing_since.pop(slurm_id, None)
            return JobState.DONE
        if status.gone and not await self._transport.exists(handle["job_dir"]):
            return JobState.LOST  # neither Slurm nor the staging folder knows it: run it again
        if status.state in {None, "COMPLETED"} and slurm_id not in self._cancelled:
            # the outcome may still be on its way through a shared filesystem
            first = self._missing_since.setdefault(slurm_id, time.monotonic())
            if time.monotonic() - first < self.outcome_grace:
                return JobState.RUNNING
        return JobState.FAILED

    # The base class's wait() polls; Slurm being unreachable for a while
    # (RuntimeError, ConnectionError, OSError) passes, and these say what a
    # lost, failed or unreachable job was.
    transient_poll_errors = (RuntimeError, ConnectionError, OSError)

    def lost_message(self, job: Job, handle: dict[str, Any]) -> str:
        return (
            f"Slurm job {handle['slurm_job_id']} (covalent job {job.job_id}) is gone, "
            f"and so is its folder {handle['job_dir']}"
        )

    def unreachable_message(self, job: Job, exc: Exception) -> str:
        return f"cannot reach Slurm for job {job.job_id}: {exc}"

    async def failure_message(self, job: Job, handle: dict[str, Any]) -> str:
        """Why the job ended without an outcome (time limit, cancel, the job's own error...)."""
        slurm_id = str(handle["slurm_job_id"])
        state, reason = self._last_state.get(slurm_id, (None, ""))
        stderr = await self._read_text(JobFiles(handle["job_dir"]).stderr)
        return describe_failure(
            slurm_id=slurm_id,
            job_id=job.job_id,
            state=state,
            reason=reason,
            stderr=stderr,
            slurm_time=handle.get("time"),
            cancelled=slurm_id in self._cancelled,
        )

    async def fetch_result(self, job: Job, handle: dict[str, Any]) -> JobOutcome:
        """Read the outcome file the job wrote."""
        path = JobFiles(handle["job_dir"]).outcome
        try:
            data = await self._transport.read_file(path)
            return JobOutcome.from_bytes(data)
        except (OSError, EOFError, TypeError, ValueError) as exc:
            raise JobFailedError(f"cannot read the outcome of job {job.job_id} from {path}: {exc}") from exc

    async def _read_text(self, path: str) -> str:
        try:
            return (await self._transport.read_file(path, max_bytes=LOG_BYTES)).decode(errors="replace")
        except (OSError, ConnectionError):
            return ""

    async def get_log(self, job: Job, handle: Any) -> str:
        """The Slurm job's own stdout and stderr (their last 64 KiB)."""
        if not handle:
            return ""
        files = JobFiles(handle["job_dir"])
        out, err = await self._read_text(files.stdout), await self._read_text(files.stderr)
        return f"--- Slurm job {handle['slurm_job_id']} stdout ---\n{out}\n--- stderr ---\n{err}"

    async def cancel(self, job: Job, handle: Any) -> bool:
        """``scancel`` the job and wait until it has left the queue; True if it stopped."""
        if not handle:
            return False
        slurm_id = str(handle["slurm_job_id"])
        self._cancelled.add(slurm_id)
        result = await self._run(f"scancel {shlex.quote(slurm_id)}")
        if not result.ok:
            if "Invalid job id" in result.stderr:
                return False
            raise RuntimeError(f"scancel {slurm_id} failed: {result.stderr.strip()}")
        deadline = time.monotonic() + self.cancel_timeout
        while time.monotonic() < deadline:
            status = (await query_squeue(self._transport, self.env, [slurm_id]))[slurm_id]
            if not status.active:
                return True
            await asyncio.sleep(0.25)
        return False

    async def cleanup(self, job: Job, handle: Any) -> None:
        """Remove the job's staged files (unless ``keep_files``)."""
        if not handle:
            return
        slurm_id = str(handle["slurm_job_id"])
        for poller in self._pollers.values():
            poller.forget(slurm_id)
        self._last_state.pop(slurm_id, None)
        self._missing_since.pop(slurm_id, None)
        self._cancelled.discard(slurm_id)
        if not self.keep_files:
            await self._remove(handle["job_dir"])

    async def _remove(self, job_dir: str) -> None:
        parent = job_dir.rsplit("/", 1)[0]
        await self._run(f"rm -rf {shlex.quote(job_dir)}; rmdir {shlex.quote(parent)} 2>/dev/null; true")
