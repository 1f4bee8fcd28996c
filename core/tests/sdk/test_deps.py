"""deps_bash, deps_pip, call_before and call_after run around the task where it runs."""

from __future__ import annotations

import sys

import covalent as ct
from covalent.testing.local_run import run_manifest


def setup_value(base):
    return base * 2


def test_call_before_injects_retval_keyword(tmp_path):
    marker = tmp_path / "after"

    def write_marker(path):
        with open(path, "w") as f:
            f.write("ran")

    @ct.electron(
        call_before=[ct.DepsCall(setup_value, args=[21], retval_keyword="prepared")],
        call_after=[ct.DepsCall(write_marker, args=[str(marker)])],
    )
    def task(x, prepared=None):
        return x + prepared

    @ct.lattice
    def wf(a):
        return task(a)

    assert run_manifest(wf.build_manifest(1))["result"] == 43
    assert marker.read_text() == "ran"


def test_deps_bash_runs_and_its_output_is_captured(tmp_path):
    target = tmp_path / "made-by-bash"

    @ct.electron(deps_bash=[f"echo hello-from-bash && touch {target}"])
    def task():
        return target.exists()

    @ct.lattice
    def wf():
        return task()

    outcome = run_manifest(wf.build_manifest())
    assert outcome["result"] is True


def test_deps_pip_with_an_installed_package_succeeds():
    @ct.electron(deps_pip=ct.DepsPip(packages=["pip"]))
    def task():
        return sys.version_info.major

    @ct.lattice
    def wf():
        return task()

    assert run_manifest(wf.build_manifest())["result"] == 3


def test_lattice_level_deps_apply_to_electrons():
    @ct.electron
    def task(prepared=None):
        return prepared

    @ct.lattice(call_before=[ct.DepsCall(setup_value, args=[5], retval_keyword="prepared")])
    def wf():
        return task()

    assert run_manifest(wf.build_manifest())["result"] == 10
