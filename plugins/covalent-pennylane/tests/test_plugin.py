"""Registration through the ``covalent`` entry points, and a cheap plugin import."""

from __future__ import annotations

import subprocess
import sys

from covalent.executor.registry import executor_classes
from covalent_pennylane import PennyLaneExecutor


def test_registered_as_pennylane() -> None:
    assert executor_classes()["pennylane"] is PennyLaneExecutor


def test_plugin_import_does_not_import_pennylane() -> None:
    code = (
        "import sys, covalent_pennylane.plugin;"
        "heavy = [m for m in sys.modules"
        " if m.split('.')[0] in ('pennylane', 'qiskit', 'numpy', 'autograd')];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
