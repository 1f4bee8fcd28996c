"""One job's files and shell commands on the remote host.

A job lives in its own staging folder (``remote_cache/<dispatch>/<job>``):
``payload.pkl`` (sent by SFTP), ``run.sh`` (the runner), ``pid``,
``stdout``/``stderr`` of the runner, ``outcome.pkl`` (written by
``python -m covalent.runtime run``, fetched by SFTP) and ``exit_code``
(written last).  The runner is started with ``setsid``, so it leads a
session of its own: cancelling kills that whole session (the task, and any
process it started), and a restarted server finds the job again from the
folder and the pid alone.  Whether the runner lives is read from
``/proc/<pid>/cmdline`` by SFTP (no shell per status check; Linux hosts).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from covalent_ssh.shell import shell_path

__all__ = ["TIME_LIMIT_EXIT", "RemoteJob", "RunnerSpec", "cancel_command", "launch_command", "render_runner"]

#: ``timeout``'s exit status when the time limit stopped the task.
TIME_LIMIT_EXIT = 124


@dataclass(frozen=True)
class RemoteJob:
    """Where one job's files are (absolute paths on the remote host)."""

    job_dir: str

    def path(self, name: str) -> str:
        return f"{self.job_dir}/{name}"

    @property
    def payload(self) -> str:
        return self.path("payload.pkl")

    @property
    def outcome(self) -> str:
        return self.path("outcome.pkl")

    @property
    def runner(self) -> str:
        return self.path("run.sh")

    @property
    def stdout(self) -> str:
        return self.path("stdout")

    @property
    def stderr(self) -> str:
        return self.path("stderr")

    @property
    def exit_code(self) -> str:
        return self.path("exit_code")

    @property
    def pid(self) -> str:
        return self.path("pid")


@dataclass(frozen=True)
class RunnerSpec:
    """What the runner script does: set up the environment, then run the payload in ``workdir``."""

    job: RemoteJob
    python: str
    workdir: str
    setup: tuple[str, ...] = ()
    time_limit: float | None = None


def render_runner(spec: RunnerSpec) -> str:
    """The text of ``run.sh``."""
    job = spec.job
    command = [shell_path(spec.python), "-m", "covalent.runtime", "run", shlex.quote(job.payload)]
    command.append(shlex.quote(job.outcome))
    if spec.time_limit:
        # timeout leads a process group of its own (within our session): at the
        # limit it signals the whole group, then kills it 10 s later.
        limit = max(1, round(spec.time_limit))
        command = ["timeout", "--signal=TERM", "--kill-after=10", str(limit), *command]
    exit_code, part = shlex.quote(job.exit_code), shlex.quote(job.exit_code + ".part")
    workdir = shell_path(spec.workdir)
    return "\n".join(
        [
            "#!/bin/sh",
            f"echo $$ > {shlex.quote(job.pid)}",
            f"mkdir -p {workdir} && cd {workdir} || {{ echo 97 > {exit_code}; exit 97; }}",
            *spec.setup,
            " ".join(command),
            "rc=$?",
            f'echo "$rc" > {part} && mv {part} {exit_code}',
            'exit "$rc"',
            "",
        ]
    )


def launch_command(job: RemoteJob) -> str:
    """Start the runner in a new session, detached from the SSH channel; prints its pid."""
    runner, pid = shlex.quote(job.runner), shlex.quote(job.pid)
    return (
        # "cd ... || exit" on its own: "cd && setsid ... &" would background a subshell that keeps
        # the channel open until the job ends
        f"cd {shlex.quote(job.job_dir)} || exit 1; "
        f"setsid /bin/sh {runner} </dev/null >{shlex.quote(job.stdout)} 2>{shlex.quote(job.stderr)} & "
        f"i=0; while [ ! -s {pid} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; cat {pid}"
    )


def cancel_command(job: RemoteJob, pid: int, grace: float) -> str:
    """Stop every process of the runner's session (TERM, then KILL after ``grace`` s); prints what is left."""
    sid = int(pid)
    steps = max(1, round(grace / 0.1))
    check = f"ps -o args= -p {sid} 2>/dev/null | grep -qF {shlex.quote(job.runner)}"
    return (
        # only if the pid is still our runner (never a recycled pid)
        f"if {check} || pgrep -s {sid} >/dev/null; then "
        f"pkill -TERM -s {sid}; "
        f"i=0; while pgrep -s {sid} >/dev/null && [ $i -lt {steps} ]; do sleep 0.1; i=$((i+1)); done; "
        f"pkill -KILL -s {sid}; sleep 0.1; fi; "
        f"pgrep -s {sid} | wc -l"
    )
