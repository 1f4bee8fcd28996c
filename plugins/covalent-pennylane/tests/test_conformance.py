"""The executor conformance suite against PennyLane's default.qubit."""

from __future__ import annotations

import pytest

from covalent.testing import ExecutorConformance
from covalent_pennylane import PennyLaneExecutor


class TestPennyLaneExecutorConformance(ExecutorConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls) -> PennyLaneExecutor:
        return PennyLaneExecutor(device="default.qubit", seed=1)
