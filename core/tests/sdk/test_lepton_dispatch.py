"""Leptons dispatched to a real server (local executor): results, captured streams, clear node errors."""

from __future__ import annotations

import ctypes
import re

import pytest

import covalent as ct
from covalent.testing.clib import build_shared_library

SOURCE = "int multiply(int a, int b) { return a * b; }\n"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(build_shared_library(SOURCE, tmp_path_factory.mktemp("clib")))


def multiply(library: str) -> ct.Lepton:
    return ct.Lepton(
        "C",
        library_name=library,
        function_name="multiply",
        argtypes=[(ctypes.c_int, 0), (ctypes.c_int, 0)],
        restype=ctypes.c_int,
    )


@ct.electron
def double(x: int) -> int:
    return 2 * x


def test_leptons_take_other_electrons_outputs_and_record_their_streams(server, library):
    shout = ct.Lepton(
        "bash",
        command="echo product is $1; echo careful >&2; loud=$1!",
        argtypes=[(str, 1)],
        named_outputs="loud",
        display_name="shout",
    )

    @ct.lattice
    def workflow(a, b):
        return shout(multiply(library)(double(a), b))

    result = ct.dispatch_sync(workflow)(3, 7)
    assert result.status == "COMPLETED", result.error
    assert result.result == "42!"
    nodes = {n["node_name"]: n for n in result.get_all_node_results()}
    assert nodes["shout"]["stdout"] == "product is 42\n"
    assert nodes["shout"]["stderr"] == "careful\n"
    assert nodes["multiply"]["output"] == 42


def test_the_bash_decorator_as_covalent_s_functional_test_uses_it_with_files(server, tmp_path):
    """Covalent's lepton_test.py::test_bash_decorator: leptons with deps, hooks and ``files=`` transfers."""

    def call_hook():
        return None

    first, second = tmp_path / "debug.txt", tmp_path / "debug2.txt"
    source, copied, copied_after = tmp_path / "src.txt", tmp_path / "dest.txt", tmp_path / "dest2.txt"
    source.write_text("moved")

    @ct.leptons.bash(
        executor="local",
        display_name="debug",
        call_before=ct.DepsCall(call_hook),
        call_after=ct.DepsCall(call_hook),
        deps_bash=ct.DepsBash(["whoami"]),
        deps_pip=ct.DepsPip(packages=["cloudpickle>=2.0"]),
        files=[ct.fs.FileTransfer(str(source), str(copied), order=ct.fs.Order.BEFORE)],
    )
    def task(x):
        return f"echo {x} > {first}"

    def task2(x):
        return f"echo {x} > {second}"

    @ct.lattice
    def workflow():
        task(5)
        ct.leptons.bash(
            task2,
            files=[ct.fs.FileTransfer(str(source), str(copied_after), order=ct.fs.Order.AFTER)],
            deps_pip=["cloudpickle>=2.0.0"],
        )(3)

    result = ct.dispatch_sync(workflow)()
    assert result.status == "COMPLETED", result.error
    assert (first.read_text(), second.read_text()) == ("5\n", "3\n")
    assert (copied.read_text(), copied_after.read_text()) == ("moved", "moved")
    nodes = {n["node_name"]: n for n in result.get_all_node_results()}
    assert sorted(nodes) == ["debug", "task2"]
    assert [t["order"] for t in nodes["task2"]["transfers"]] == ["after"]


def test_a_c_lepton_with_files_runs_its_transfers_without_receiving_them(server, library, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("for C")
    times = ct.Lepton(
        "C",
        library_name=library,
        function_name="multiply",
        argtypes=[(ctypes.c_int, 0), (ctypes.c_int, 0)],
        restype=ctypes.c_int,
        files=[ct.fs.FileTransfer(str(source), str(tmp_path / "out.txt"))],
    )

    @ct.lattice
    def workflow():
        return times(6, 7)

    result = ct.dispatch_sync(workflow)()
    assert result.status == "COMPLETED", result.error
    assert result.result == 42 and (tmp_path / "out.txt").read_text() == "for C"


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (
            lambda lib: ct.Lepton("C", library_name=lib + ".missing", function_name="f"),
            (),
            "cannot load the shared library",
        ),
        (multiply, ("six", 7), "argument 0 of multiply: cannot pass str 'six' as c_int"),
        (lambda lib: ct.Lepton("bash", command="not_a_command_anywhere"), (), "status 127: .*command not found"),
    ],
    ids=["missing-library", "wrong-argument-type", "command-not-found"],
)
def test_bad_input_fails_its_node_with_a_clear_error(server, library, make, args, message):
    task = make(library)

    @ct.lattice
    def workflow():
        return task(*args)

    result = ct.dispatch_sync(workflow)()
    assert result.status == "FAILED"
    (node,) = [n for n in result.get_all_node_results() if n["status"] == "FAILED"]
    assert "LeptonError" in node["error"]
    assert re.search(message, node["error"]), node["error"]


def test_a_retval_keyword_refuses_the_dispatch_before_anything_is_sent(server):
    @ct.leptons.bash(call_before=[ct.DepsCall(lambda: 1, retval_keyword="value")])
    def task(value=None):
        return f"echo {value}"

    @ct.lattice
    def workflow():
        return task()

    with pytest.raises(Exception, match="retval_keyword 'value' is not supported for leptons"):
        ct.dispatch(workflow)()
