"""Job-script rendering and option handling (pure functions: no Slurm needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from covalent.testing import make_job
from covalent_slurm import SlurmExecutor, SlurmPoolExecutor
from covalent_slurm.failure import failure_message, last_exception_line
from covalent_slurm.options import extra_directives, format_time, seconds_to_slurm_time
from covalent_slurm.script import TIME_LIMIT_MARKER, JobFiles, ScriptSpec, render_script
from covalent_slurm.testing.helpers import sleep_for


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "00:01:00"),
        (60, "00:01:00"),
        (61, "00:02:00"),
        (3600, "01:00:00"),
        (90000, "1-01:00:00"),
        ("30", "30"),
        ("1-12:00:00", "1-12:00:00"),
        ("02:00:00", "02:00:00"),
        ("infinite", "infinite"),
    ],
)
def test_time_limits_become_slurm_time(value: float | str, expected: str) -> None:
    assert format_time(value) == expected


@pytest.mark.parametrize("bad", ["soon", "1h", "12:xx", True])
def test_bad_time_limits_are_refused(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        format_time(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        seconds_to_slurm_time(0)


def test_extra_options_become_directives() -> None:
    assert extra_directives({"exclusive": True, "--mail-type": "END", "N": 2, "skip": None, "off": False}) == [
        "--exclusive",
        "--mail-type=END",
        "-N 2",
    ]
    with pytest.raises(ValueError):
        extra_directives({"bad name": 1})
    with pytest.raises(ValueError):
        extra_directives({"comment": "two\nlines"})


def test_rendered_script_is_valid_bash_with_every_part() -> None:
    spec = ScriptSpec(
        job_name="covalent-add",
        files=JobFiles("/scratch/covalent/d1/j1"),
        python="~/venv/bin/python",
        directives=["--partition=debug", "--time=00:02:00"],
        setup=["module load python"],
        postrun=["echo after"],
        use_srun=True,
        srun_options=["--ntasks=1"],
        task_time_limit=30,
    )
    script = render_script(spec)
    assert script.startswith("#!/bin/bash\n#SBATCH --job-name=covalent-add\n")
    assert "#SBATCH --output=/scratch/covalent/d1/j1/slurm.out" in script
    assert "#SBATCH --chdir=/scratch/covalent/d1/j1" in script
    assert "#SBATCH --partition=debug" in script
    assert (
        'timeout --signal=TERM --kill-after=10 30 srun --ntasks=1 "$HOME"/venv/bin/python -m covalent.runtime run '
        "/scratch/covalent/d1/j1/payload.pkl /scratch/covalent/d1/j1/outcome.pkl" in script
    )
    assert TIME_LIMIT_MARKER in script
    assert script.index("module load python") < script.index("covalent.runtime") < script.index("echo after")
    assert script.rstrip().endswith("exit $covalent_rc")
    subprocess.run(["bash", "-n"], input=script.encode(), check=True)  # parses


def test_custom_template_and_its_errors() -> None:
    spec = ScriptSpec(
        job_name="j",
        files=JobFiles("/s/j"),
        python="python3",
        template="#!/bin/bash\n$directives\nset -e\n$setup\n$run\nexit $$covalent_rc\n",
    )
    assert "set -e" in render_script(spec)
    with pytest.raises(ValueError, match="bad job script template"):
        render_script(ScriptSpec(job_name="j", files=JobFiles("/s/j"), python="p", template="$nonsense"))
    with pytest.raises(ValueError, match="must not contain spaces"):
        render_script(ScriptSpec(job_name="j", files=JobFiles("/s/my job"), python="p"))


def test_executor_directives_from_options() -> None:
    executor = SlurmExecutor(
        partition="gpu",
        time_limit="02:00:00",
        cpus_per_task=4,
        memory="8G",
        gpus=1,
        account="proj",
        qos="high",
        options={"constraint": "a100", "exclusive": True},
    )
    directives, time_value = executor.directives(make_job(sleep_for, 0.0))
    assert directives == [
        "--partition=gpu",
        "--time=02:00:00",
        "--cpus-per-task=4",
        "--mem=8G",
        "--gpus=1",
        "--account=proj",
        "--qos=high",
        "--constraint=a100",
        "--exclusive",
    ]
    assert time_value == "02:00:00"
    plain, no_time = SlurmExecutor(cpus_per_task=None).directives(make_job(sleep_for, 0.0))
    assert plain == [] and no_time is None


def test_executors_round_trip_through_their_serialized_form() -> None:
    import json

    executor = SlurmExecutor(partition="debug", time_limit=600, options={"exclusive": True}, address="login1")
    again = SlurmExecutor.from_dict(json.loads(json.dumps(executor.to_dict())))
    assert again.to_dict() == executor.to_dict()
    assert again.describe()["submit_host"] == "login1:22"
    pool = SlurmPoolExecutor(min_jobs=1, max_jobs=3)
    assert SlurmPoolExecutor.from_dict(pool.to_dict()).config_key == pool.config_key
    with pytest.raises(ValueError):
        SlurmPoolExecutor(min_jobs=3, max_jobs=2)


def test_failure_messages_name_the_cause() -> None:
    common = {"slurm_id": "7", "job_id": "j", "reason": "", "slurm_time": "00:01:00", "cancelled": False}
    stderr = "slurmstepd: error: *** JOB 7 ON node1 CANCELLED AT 2026-01-01T00:00:00 DUE TO TIME LIMIT ***\n"
    assert "exceeded its time limit (--time=00:01:00)" in failure_message(state=None, stderr=stderr, **common)
    assert "ran out of memory" in failure_message(state="OUT_OF_MEMORY", stderr="", **common)
    assert "was cancelled" in failure_message(state="CANCELLED", stderr="", **common)
    text = "Traceback (most recent call last):\n  File 'x'\nRuntimeError: versions differ\n"
    assert failure_message(state="FAILED", stderr=text, **common).startswith(
        "Slurm job 7 (covalent job j) ended without writing an outcome (state FAILED): RuntimeError: versions differ"
    )
    assert last_exception_line("no error here") == ""


def test_plugin_import_is_cheap_and_registers_both_executors() -> None:
    code = (
        "import sys, covalent_slurm.plugin as p\n"
        "heavy = [m for m in ('dask', 'distributed', 'dask_jobqueue', 'asyncssh') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "names = []\n"
        "p.register_executors(lambda cls: names.append(cls.short_name))\n"
        "assert names == ['slurm', 'slurm_pool'], names\n"
        "import covalent as ct\n"
        "assert ct.executor.SlurmExecutor.short_name == 'slurm'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
