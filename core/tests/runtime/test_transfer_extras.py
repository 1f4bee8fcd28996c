"""A worker environment without a protocol's extra: the node fails naming the extra to install.

The environment is real: a fresh virtual environment with only what the
runtime needs (covalent without extras, cloudpickle, fsspec, tenacity),
running a real payload with ``python -m covalent.runtime run``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from covalent.graph.serialize import blob_key, dumps
from covalent.runtime import JobSpec, NodeSpec
from covalent.runtime.ops import build_list
from covalent.runtime.outcome import JobOutcome
from covalent.runtime.transfer import TransferSpec
from covalent.runtime.transfer.filesystems import distribution

CORE = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    uv = shutil.which("uv")
    assert uv, "uv is installed by scripts/setup.sh"
    env = tmp_path_factory.mktemp("bare") / "env"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(env)], check=True)
    python = str(env / "bin" / "python")
    wanted = [f"{name}=={version(name)}" for name in ("cloudpickle", "fsspec", "tenacity")]
    subprocess.run([uv, "pip", "install", "--quiet", "--python", python, *wanted], check=True)
    subprocess.run([uv, "pip", "install", "--quiet", "--python", python, "--no-deps", "-e", str(CORE)], check=True)
    return python


def test_an_s3_transfer_without_the_s3_extra_fails_the_node_naming_the_extra(bare_python, tmp_path):
    function = dumps(build_list)
    node = NodeSpec(
        node_id=0,
        name="needs_s3",
        kind="electron",
        function=blob_key(function),
        files=[TransferSpec("s3://bucket/in.csv", str(tmp_path / "in.csv"))],
    )
    spec = JobSpec(dispatch_id="d", nodes=[node], functions={blob_key(function): function}, values={})
    payload, outcome = tmp_path / "payload", tmp_path / "outcome"
    payload.write_bytes(spec.to_bytes())
    proc = subprocess.run(
        [bare_python, "-m", "covalent.runtime", "run", str(payload), str(outcome)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    (result,) = JobOutcome.from_bytes(outcome.read_bytes()).nodes
    assert result.status == "FAILED"
    first_line = result.error.splitlines()[0]
    assert first_line.startswith("file transfer failed: s3://bucket/in.csv -> ")
    assert f'pip install "{distribution()}[s3]"' in first_line
    assert result.transfers[0]["status"] == "FAILED"
