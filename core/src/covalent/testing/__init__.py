"""Tools for plugin authors: build jobs from functions and check an executor.

In your plugin's tests::

    import pytest
    from covalent.testing import ExecutorConformance

    class TestMyExecutor(ExecutorConformance):
        @pytest.fixture(scope="class")
        @classmethod
        def executor(cls):
            return MyExecutor(option=...)

and pytest runs the whole conformance suite against it.
"""

from covalent.testing.conformance import ExecutorConformance
from covalent.testing.harness import ExecutorHarness, HarnessCache, make_job, node_value
from covalent.testing.server import CLIENT_HEADERS, ServerProcess, free_port, upload_parts
from covalent.testing.waiting import WaitTimeout, wait_until

__all__ = [
    "CLIENT_HEADERS",
    "ExecutorConformance",
    "ExecutorHarness",
    "HarnessCache",
    "ServerProcess",
    "free_port",
    "make_job",
    "node_value",
    "WaitTimeout",
    "upload_parts",
    "wait_until",
]
