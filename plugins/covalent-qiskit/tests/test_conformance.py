"""The executor conformance suite against the real Aer backend."""

from __future__ import annotations

import pytest

from covalent.testing import ExecutorConformance
from covalent_qiskit import QiskitExecutor


class TestQiskitExecutorConformance(ExecutorConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls) -> QiskitExecutor:
        return QiskitExecutor(backend="aer", seed=1)
