"""The peer-suite runner, on a small suite of the same shape: counts, threshold, a missing folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).with_name("peer_suite.py")

SUITE = {
    "tests/__init__.py": "",
    "tests/functional_tests/__init__.py": "",
    "tests/functional_tests/basic_test.py": """
import pytest

import covalent as ct


@ct.electron
def add(a, b):
    return a + b


@ct.lattice
def flow(a, b):
    return add(a, b)


def test_dispatch_on_the_runners_server():
    assert ct.dispatch_sync(flow)(1, 2).result == 3


def test_fails():
    assert False, "this one fails"


@pytest.mark.skip(reason="skipped by the suite itself")
def test_skipped():
    pass
""",
    "tests/functional_tests/qa_http_file_transfer_test.py": """
def test_http_file_transfer():
    raise OSError("no internet here")
""",
    "tests/functional_tests/broken_test.py": "import covalent.no_such_module\n",
}


def _suite(root: Path) -> Path:
    for name, text in SUITE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(RUNNER), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def test_counts_and_threshold(tmp_path):
    suite = _suite(tmp_path / "suite")
    # passes: the dispatch test, and the neutral HTTP test whatever it did
    enough = run("--suite", str(suite), "--min-passed", "2")
    assert enough.returncode == 0, enough.stdout + enough.stderr
    assert "passed 1, failed 1, errors 1, skipped 1" in enough.stdout
    assert "FAILED  tests/functional_tests/basic_test.py::test_fails: AssertionError: this one fails" in enough.stdout
    assert "ERROR   tests.functional_tests.broken_test: collection failure" in enough.stdout
    assert "counts neither way" in enough.stdout and "peer suite: PASS (2 >= 2)" in enough.stdout
    too_few = run("--suite", str(suite), "--min-passed", "3")
    assert too_few.returncode == 1 and "peer suite: FAIL (2 < 3)" in too_few.stdout
    assert not any((suite / "tests" / "functional_tests").glob("*.xml"))  # it ran on a copy


def test_a_missing_suite_is_an_error(tmp_path):
    missing = run("--suite", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no Covalent functional suite" in missing.stderr
