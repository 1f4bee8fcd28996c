import pytest

from covalent.executor import LocalExecutor
from covalent.testing import ExecutorConformance


class TestLocalExecutorConformance(ExecutorConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls):
        return LocalExecutor(workers=2)
