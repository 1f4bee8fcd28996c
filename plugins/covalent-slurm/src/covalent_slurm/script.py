"""The sbatch job script of a per-task job, rendered from a template."""

from __future__ import annotations

import shlex
import string
from dataclasses import dataclass, field
from typing import Any

from covalent_ssh.shell import shell_path

__all__ = ["DEFAULT_TEMPLATE", "TIME_LIMIT_MARKER", "JobFiles", "ScriptSpec", "render_script"]

#: The default job script.  ``$directives`` are the ``#SBATCH`` lines,
#: ``$setup`` the environment set-up, ``$run`` runs the payload and sets
#: ``covalent_rc``, ``$postrun`` the user's commands after it.
DEFAULT_TEMPLATE = """\
#!/bin/bash
$directives

$setup

$run

$postrun
exit $$covalent_rc
"""

#: A line the job script writes to stderr when the job's own time limit stopped it.
TIME_LIMIT_MARKER = "covalent-slurm: time limit exceeded"


@dataclass(frozen=True)
class JobFiles:
    """Where one job's files live on the cluster (absolute paths, JSON-safe)."""

    job_dir: str

    @property
    def script(self) -> str:
        return f"{self.job_dir}/job.sh"

    @property
    def payload(self) -> str:
        return f"{self.job_dir}/payload.pkl"

    @property
    def outcome(self) -> str:
        return f"{self.job_dir}/outcome.pkl"

    @property
    def stdout(self) -> str:
        return f"{self.job_dir}/slurm.out"

    @property
    def stderr(self) -> str:
        return f"{self.job_dir}/slurm.err"


@dataclass
class ScriptSpec:
    """Everything a job script says."""

    job_name: str
    files: JobFiles
    python: str
    directives: list[str] = field(default_factory=list)  # "--name=value" options for sbatch
    setup: list[str] = field(default_factory=list)
    postrun: list[str] = field(default_factory=list)
    use_srun: bool = False
    srun_options: list[str] = field(default_factory=list)
    task_time_limit: float | None = None  # seconds, enforced inside the job
    template: str | None = None


def _run_lines(spec: ScriptSpec) -> list[str]:
    files = spec.files
    command = [shell_path(spec.python), "-m", "covalent.runtime", "run"]
    command += [shlex.quote(files.payload), shlex.quote(files.outcome)]
    if spec.use_srun:
        command = ["srun", *(shlex.quote(o) for o in spec.srun_options), *command]
    lines: list[str] = []
    if spec.task_time_limit is not None:
        limit = max(1, round(spec.task_time_limit))
        command = ["timeout", "--signal=TERM", "--kill-after=10", str(limit), *command]
        lines.append(" ".join(command))
        lines.append("covalent_rc=$?")
        lines.append(
            f'if [ "$covalent_rc" -eq 124 ] || {{ [ "$covalent_rc" -eq 137 ] && [ "$SECONDS" -ge {limit} ]; }}; then'
        )
        lines.append(f'  echo "{TIME_LIMIT_MARKER}: the job ran longer than its time limit of {limit} s" >&2')
        lines.append("fi")
    else:
        lines.append(" ".join(command))
        lines.append("covalent_rc=$?")
    return lines


def render_script(spec: ScriptSpec) -> str:
    """The job script's text."""
    files = spec.files
    for path in (files.job_dir,):
        if any(c.isspace() for c in path):
            raise ValueError(f"the Slurm staging folder must not contain spaces: {path!r}")
    directives = [
        f"--job-name={spec.job_name}",
        f"--output={files.stdout}",
        f"--error={files.stderr}",
        f"--chdir={files.job_dir}",
        *spec.directives,
    ]
    values: dict[str, Any] = {
        "directives": "\n".join(f"#SBATCH {d}" for d in directives),
        "setup": "\n".join(spec.setup),
        "run": "\n".join(_run_lines(spec)),
        "postrun": "\n".join(spec.postrun),
        "job_dir": shlex.quote(files.job_dir),
        "python": shell_path(spec.python),
        "payload": shlex.quote(files.payload),
        "outcome": shlex.quote(files.outcome),
    }
    template = string.Template(spec.template or DEFAULT_TEMPLATE)
    try:
        return template.substitute(values)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"bad job script template: {exc!r}") from None
