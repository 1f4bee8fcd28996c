"""``SSHExecutor`` ("ssh"): run each job on a remote host over SSH.

``submit`` sends the payload by SFTP into a staging folder of its own and
starts ``python -m covalent.runtime run`` there in a new session (``setsid``),
under ``timeout`` when the electron has a time limit; ``poll`` asks the host
whether the runner still lives or what it exited with; ``fetch_result``
reads the outcome by SFTP; ``cancel`` kills the runner's whole session;
``cleanup`` removes the staging folder.  The handle (host, folder, pid) is
JSON, so a restarted server re-attaches to a job that is still running.
Every executor and job that talks to one host shares one connection
(:mod:`covalent_ssh.connections`).

The arguments of Covalent's SSH plugin (``covalent-ssh-plugin``) are
accepted with the meaning they had there (``hostname``, ``username``,
``ssh_key_file``, ``python_path``, ``conda_env``, ``remote_cache``,
``remote_workdir``, ``create_unique_workdir``, ``poll_freq``,
``do_cleanup``), so Covalent code and config sections work unchanged.
"""

from __future__ import annotations

import logging
import re
import shlex
from typing import Any

from covalent.executor.jobs import Job, JobExecutor, JobFailedError, JobOutcome, JobState
from covalent_ssh.envcheck import check_environment
from covalent_ssh.remote import (
    TIME_LIMIT_EXIT,
    RemoteJob,
    RunnerSpec,
    cancel_command,
    launch_command,
    render_runner,
)
from covalent_ssh.shell import environment_lines, validate_env
from covalent_ssh.transport import SSHTransport

__all__ = ["SSHExecutor"]

log = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
LOG_BYTES = 64 * 1024
#: Commands a job needs on the remote host besides its Python.
REMOTE_TOOLS = ("setsid", "pkill", "pgrep", "timeout", "ps")


def _safe(text: str) -> str:
    return _SAFE.sub("_", text)[:100] or "job"


class SSHExecutor(JobExecutor):
    """Run tasks on a remote host reached over SSH (key, agent or default keys; host key checked).

    See the package README for every option.
    """

    short_name = "ssh"
    #: The runner enforces the electron's time limit on the host, from when the task starts.
    enforces_time_limit = True
    max_nodes_per_job = 16
    #: Status checks that fail this way (the connection dropped, say) are tolerated for 300 s.
    transient_poll_errors = (ConnectionError, OSError, TimeoutError)
    poll_failure_tolerance: float = 300.0

    def __init__(
        self,
        hostname: str = "",
        username: str | None = None,
        port: int | None = None,
        ssh_key_file: str | None = None,
        known_hosts: str | None = None,
        check_host_key: bool = True,
        python_path: str = "python3",
        conda_env: str | None = None,
        venv: str | None = None,
        env: dict[str, str] | None = None,
        prerun: list[str] | str | None = None,
        remote_cache: str = ".cache/covalent",
        remote_workdir: str = "covalent-workdir",
        create_unique_workdir: bool = False,
        poll_freq: float = 1.0,
        do_cleanup: bool = True,
        check_environment: bool = True,
        connect_timeout: float = 30.0,
        cancel_grace: float = 10.0,
        parallel_jobs: int = 64,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hostname = str(hostname or "")
        self.python = str(python_path or "python3")
        self.env = validate_env(env)
        self.setup_lines = environment_lines(env=self.env, conda_env=conda_env or None, venv=venv, prerun=prerun)
        self.remote_cache = str(remote_cache or ".cache/covalent")
        self.remote_workdir = str(remote_workdir or "covalent-workdir")
        self.create_unique_workdir = bool(create_unique_workdir)
        self.poll_interval = float(poll_freq)
        self.do_cleanup = bool(do_cleanup)
        self.check_env = bool(check_environment)
        self.cancel_grace = float(cancel_grace)
        self.parallel_jobs = max(1, int(parallel_jobs))
        self._transport = SSHTransport(
            self.hostname,
            username=username,
            port=port,
            key_file=ssh_key_file,
            known_hosts=known_hosts,
            check_host_key=check_host_key,
            connect_timeout=connect_timeout,
        )
        self._home: str | None = None

    # -- paths ------------------------------------------------------------------
    async def _absolute(self, path: str) -> str:
        """``path`` on the host, absolute: relative paths and ``~/`` are under the login's home."""
        path = path.rstrip("/") or "/"
        if path.startswith("/"):
            return path
        if self._home is None:
            self._home = (await self._transport.home()).rstrip("/")
        if path == "~":
            return self._home
        return f"{self._home}/{path.removeprefix('~/')}"

    async def _job_files(self, job: Job) -> RemoteJob:
        cache = await self._absolute(self.remote_cache)
        return RemoteJob(f"{cache}/{_safe(job.dispatch_id)}/{_safe(job.job_id)}")

    async def _workdir(self, job: Job) -> str:
        workdir = await self._absolute(self.remote_workdir)
        if self.create_unique_workdir:
            workdir = f"{workdir}/{_safe(job.dispatch_id)}/node_{job.node_ids[0] if job.node_ids else 0}"
        return workdir

    # -- lifecycle --------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {"host": self._transport.description, "python": self.python, "remote_cache": self.remote_cache}

    def parallelism(self) -> int:
        return self.parallel_jobs

    async def setup(self) -> None:
        """Connect, check the tools and the job's Python on the host, create the staging folder."""
        if not self.hostname:
            raise ValueError("SSHExecutor needs hostname= (the host to run tasks on)")
        cache = await self._absolute(self.remote_cache)
        missing = await self._transport.run(
            " ; ".join(f"command -v {tool} >/dev/null || echo {tool}" for tool in REMOTE_TOOLS)
            + f" ; mkdir -p {shlex.quote(cache)} || echo 'the folder {cache}'"
        )
        if missing.stdout.strip():
            raise RuntimeError(
                f"{self._transport.description} lacks what jobs need: {', '.join(missing.stdout.split())} "
                "(setsid, pkill, pgrep, timeout, ps: util-linux, procps and coreutils on Linux)"
            )
        if self.check_env:
            await check_environment(
                self._transport,
                self.python,
                self.setup_lines,
                place="the remote host",
                hint="(check python_path, conda_env and venv)",
            )

    async def teardown(self) -> None:
        await self._transport.close()

    # -- one job ------------------------------------------------------------------
    async def submit(self, job: Job) -> dict[str, Any]:
        """Stage the payload and the runner by SFTP, start it; return the JSON handle."""
        files = await self._job_files(job)
        spec = RunnerSpec(
            job=files,
            python=self.python,
            workdir=await self._workdir(job),
            setup=tuple(self.setup_lines),
            time_limit=job.time_limit,
        )
        try:
            await self._transport.makedirs(files.job_dir)
        except OSError as exc:
            raise JobFailedError(str(exc)) from exc
        try:
            await self._transport.write_file(files.payload, job.payload)
            await self._transport.write_file(files.runner, render_runner(spec).encode())
            started = await self._transport.run(launch_command(files), timeout=60)
            pid = int(started.stdout.split()[-1]) if started.ok and started.stdout.split() else 0
            if pid <= 0:
                raise JobFailedError(
                    f"cannot start job {job.job_id} on {self._transport.description}: "
                    f"{(started.stderr or started.stdout).strip() or 'the runner wrote no pid'}"
                )
        except BaseException:
            await self._remove(files.job_dir)
            raise
        return {
            "host": self._transport.description,
            "job_dir": files.job_dir,
            "pid": pid,
            "time_limit": job.time_limit,
        }

    async def poll(self, job: Job, handle: dict[str, Any]) -> JobState:
        """RUNNING while the runner lives; DONE once it exited 0 (its outcome is written); FAILED or LOST otherwise."""
        return await self._state(RemoteJob(handle["job_dir"]), int(handle["pid"]))

    async def _state(self, files: RemoteJob, pid: int) -> JobState:
        """Read by SFTP: the exit code if written, else whether ``/proc/<pid>`` is still our runner."""
        code = await self._exit_code(files)
        if code is None:
            try:  # /proc files say they are empty: read with a size
                cmdline = await self._transport.read_file(f"/proc/{pid}/cmdline", size=65536)
            except FileNotFoundError:
                cmdline = b""
            if files.runner.encode() in cmdline:
                return JobState.RUNNING
            code = await self._exit_code(files)  # it may have ended between the two reads
            if code is None:
                return JobState.FAILED if await self._transport.exists(files.job_dir) else JobState.LOST
        return JobState.DONE if code == "0" else JobState.FAILED

    async def _exit_code(self, files: RemoteJob) -> str | None:
        try:
            return (await self._transport.read_file(files.exit_code)).decode(errors="replace").strip()
        except FileNotFoundError:
            return None

    async def get_log(self, job: Job, handle: Any) -> str:
        """The runner's own stdout and stderr (their last 64 KiB)."""
        if not handle:
            return ""
        files = RemoteJob(handle["job_dir"])
        out, err = await self._read_text(files.stdout), await self._read_text(files.stderr)
        return f"--- {self._transport.description} stdout ---\n{out}\n--- stderr ---\n{err}".strip()

    async def failure_message(self, job: Job, handle: dict[str, Any]) -> str:
        """Why the runner ended without an outcome: the time limit, its exit status, or it was killed."""
        files = RemoteJob(handle["job_dir"])
        code = (await self._read_text(files.exit_code)).strip()
        where = self._transport.description
        if code == str(TIME_LIMIT_EXIT) and handle.get("time_limit"):
            return (
                f"job {job.job_id} ran longer than its time limit of {handle['time_limit']:g} s "
                f"and was stopped on {where}"
            )
        if code:
            return f"job {job.job_id} failed on {where}: the runner exited with status {code}"
        return f"job {job.job_id} ended on {where} without an outcome (its processes were killed)"

    def lost_message(self, job: Job, handle: dict[str, Any]) -> str:
        return f"job {job.job_id} is gone from {self._transport.description}, and so is its folder {handle['job_dir']}"

    def unreachable_message(self, job: Job, exc: Exception) -> str:
        return f"cannot reach {self._transport.description} for job {job.job_id}: {exc}"

    async def fetch_result(self, job: Job, handle: dict[str, Any]) -> JobOutcome:
        path = RemoteJob(handle["job_dir"]).outcome
        try:
            return JobOutcome.from_bytes(await self._transport.read_file(path))
        except (OSError, EOFError, TypeError, ValueError) as exc:
            raise JobFailedError(f"cannot read the outcome of job {job.job_id} from {path}: {exc}") from exc

    async def cancel(self, job: Job, handle: Any) -> bool:
        """Kill the runner's session (the task and what it started); True if nothing of it is left."""
        if not handle:
            return False
        files = RemoteJob(handle["job_dir"])
        command = cancel_command(files, int(handle["pid"]), self.cancel_grace)
        result = await self._transport.run(command, timeout=self.cancel_grace + 60)
        left = result.stdout.strip().splitlines()[-1:] or ["?"]
        return result.ok and left[0].strip() == "0"

    async def cleanup(self, job: Job, handle: Any) -> None:
        """Remove the job's staging folder (unless ``do_cleanup=False``)."""
        if handle and self.do_cleanup:
            await self._remove(handle["job_dir"])

    # -- helpers ----------------------------------------------------------------------
    async def _read_text(self, path: str) -> str:
        try:
            return (await self._transport.read_file(path, max_bytes=LOG_BYTES)).decode(errors="replace")
        except (OSError, ConnectionError):
            return ""

    async def _remove(self, job_dir: str) -> None:
        try:
            await self._transport.remove_tree(job_dir)
        except (OSError, ConnectionError) as exc:  # cleanup is best effort
            log.warning("cannot remove %s on %s: %s", job_dir, self._transport.description, exc)
