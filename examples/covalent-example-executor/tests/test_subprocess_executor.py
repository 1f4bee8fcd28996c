"""The example plugin: discovered through its entry point, conformant, usable in a dispatch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import covalent as ct
from covalent.testing import ExecutorConformance, ServerProcess
from covalent_example_executor import SubprocessExecutor


class TestSubprocessExecutorConformance(ExecutorConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls):
        return SubprocessExecutor()


def test_discovered_through_its_entry_point_in_a_fresh_process():
    code = (
        "import covalent as ct, json; from covalent.plugins import plugin_infos; "
        "print(json.dumps([p.to_dict() for p in plugin_infos()])); print(ct.executor.SubprocessExecutor.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    infos = {p["name"]: p for p in json.loads(out[0])}
    assert infos["subprocess"]["executors"] == ["subprocess"]
    assert infos["subprocess"]["distribution"] == "covalent-example-executor"
    assert out[1] == "covalent_example_executor.executor"


def test_a_workflow_uses_it_by_name(tmp_path):
    @ct.electron(executor="subprocess")
    def pid_of_task():
        import os

        return os.getpid()

    @ct.lattice
    def wf():
        return [pid_of_task(), pid_of_task()]

    with ServerProcess(tmp_path) as server:
        result = ct.dispatch_sync(wf)()
    assert result.status == "COMPLETED", result.error
    assert len(set(result.result)) == 2  # each job in its own process
    assert server.proc is not None and server.proc.pid not in result.result
