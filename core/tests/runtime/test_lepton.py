"""Leptons called where they run: real bash, a real shared library built with the C compiler, real imports."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

import covalent as ct
from covalent.runtime.lepton import LeptonError
from covalent.testing.clib import build_shared_library

C_SOURCE = """
void accumulate(int x, int *y, int *z) { *y += x; *z = 5; }
int multiply(int a, int b) { return a * b; }
void halves(double *out, int n) { for (int i = 0; i < n; i++) out[i] = i * 0.5; }
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(build_shared_library(C_SOURCE, tmp_path_factory.mktemp("clib")))


def c_lepton(library: str, name: str, argtypes: list, **options: object) -> ct.Lepton:
    return ct.Lepton("C", library_name=library, function_name=name, argtypes=argtypes, **options)


def test_a_c_function_takes_inputs_by_value_and_returns_its_outputs(library):
    accumulate = c_lepton(
        library,
        "accumulate",
        [
            (ctypes.c_int32, ct.Lepton.INPUT),
            (ctypes.POINTER(ctypes.c_int32), ct.Lepton.INPUT_OUTPUT),
            (ctypes.POINTER(ctypes.c_int32), ct.Lepton.OUTPUT),
        ],
    )
    assert accumulate(1, 2) == (3, 5)
    assert accumulate.argtypes == [("c_int", 0), ("LP_c_int", 2), ("LP_c_int", 1)]


def test_a_declared_return_type_and_arrays(library):
    multiply = c_lepton(library, "multiply", [(ctypes.c_int, 0), (ctypes.c_int, 0)], restype=ctypes.c_int)
    assert multiply(6, 7) == 42
    halves = c_lepton(library, "halves", [(ctypes.POINTER(ctypes.c_double), 2), (ctypes.c_int, 0)])
    assert halves([0.0] * 4, 4) == [0.0, 0.5, 1.0, 1.5]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("six", 7), "argument 0 of multiply: cannot pass str 'six' as c_int"),
        ((2**40, 7), "argument 0 of multiply: 1099511627776 does not fit in c_int"),
        ((6,), "takes 2 input argument(s)"),
    ],
)
def test_a_value_that_does_not_match_its_c_type_is_refused_with_its_position(library, args, message):
    multiply = c_lepton(library, "multiply", [(ctypes.c_int, 0), (ctypes.c_int, 0)], restype=ctypes.c_int)
    with pytest.raises(LeptonError, match=message.replace("(", r"\(").replace(")", r"\)")):
        multiply(*args)


def test_a_missing_library_or_function_names_what_is_missing(library, tmp_path):
    with pytest.raises(LeptonError, match=r"cannot load the shared library .*libnothing\.so"):
        c_lepton(str(tmp_path / "libnothing.so"), "f", [])()
    with pytest.raises(LeptonError, match="has no function 'divide'"):
        c_lepton(library, "divide", [])()


def test_argtypes_are_checked_when_the_lepton_is_made():
    with pytest.raises(ValueError, match=r"argtypes\[0\]: 'int' is not a ctypes type"):
        ct.Lepton("C", library_name="libx.so", function_name="f", argtypes=[(int, ct.Lepton.INPUT)])
    with pytest.raises(ValueError, match=r"argtypes\[0\] must be \(type, direction\)"):
        ct.Lepton("C", library_name="libx.so", function_name="f", argtypes=[(ctypes.c_int, 7)])
    with pytest.raises(ValueError, match="not supported"):
        ct.Lepton("fortran", library_name="x", function_name="f")
    with pytest.raises(ValueError, match="library_name and command"):
        ct.Lepton("bash", command="ls", library_name="lib.sh", function_name="f")
    with pytest.raises(ValueError, match="Expecting 2 named outputs"):
        ct.Lepton("bash", command="x=1 && y=2", argtypes=[(int, 1), (int, 1)], named_outputs="x")


def test_a_bash_command_substitutes_keywords_and_positionals_and_returns_named_outputs():
    multiply = ct.Lepton(
        "bash",
        command="product=$(({num_1} * {num_2}))",
        argtypes=[(int, ct.Lepton.INPUT_OUTPUT), (int, ct.Lepton.INPUT_OUTPUT), (int, ct.Lepton.OUTPUT)],
        named_outputs=["num_1", "num_2", "product"],
    )
    assert multiply(num_1=7, num_2=8) == (7, 8, 56)
    assert ct.Lepton("bash", command=["base=$1", "x=a$base"], argtypes=[(str, 1)], named_outputs="x")("b") == "ab"
    # Braces that are not keyword fields stay as they are.
    assert ct.Lepton("bash", command="x=$(echo 3 4 | awk '{print $2}')", argtypes=[(int, 1)], named_outputs="x")() == 4


def test_a_shell_library_function_is_sourced_and_called(tmp_path):
    script = tmp_path / "lib.sh"
    script.write_text("add() {\n  result=$(($1 + $2))\n}\n")
    add = ct.Lepton(
        "bash", library_name=str(script), function_name="add", argtypes=[(int, 1)], named_outputs=["result"]
    )
    assert add(5, 7) == 12


def test_a_failing_or_missing_command_fails_with_its_status_and_stderr(capsys):
    with pytest.raises(LeptonError, match="exited with status 3: went wrong"):
        ct.Lepton("bash", command="echo went wrong >&2; exit 3")()
    with pytest.raises(LeptonError, match=r"status 127: .*no_such_program_here: command not found"):
        ct.Lepton("bash", command="no_such_program_here --flag")()


def test_an_output_that_does_not_convert_is_named():
    with pytest.raises(LeptonError, match="output 'x': cannot convert 'abc' to int"):
        ct.Lepton("bash", command="x=abc", argtypes=[(int, 1)], named_outputs="x")()


def test_the_bash_decorator_writes_the_command_from_the_arguments(tmp_path):
    target = tmp_path / "out.txt"

    @ct.leptons.bash
    def write(value):
        return f"echo {value} > {target}"

    assert write(5) is None
    assert target.read_text() == "5\n"


def test_a_python_lepton_imports_its_module_where_it_runs():
    assert ct.Lepton("python", library_name="math", function_name="hypot")(3, 4) == 5.0
    with pytest.raises(LeptonError, match="cannot import module 'no_such_module_here'"):
        ct.Lepton(library_name="no_such_module_here", function_name="f")()


def test_retval_keywords_are_refused_as_covalent_refuses_them_and_files_must_be_transfers():
    with pytest.raises(ValueError, match="retval_keyword 'x' is not supported for leptons"):
        ct.Lepton("bash", command="true", call_before=[ct.DepsCall(print, retval_keyword="x")])
    with pytest.raises(TypeError, match=r"files= takes ct\.fs\.FileTransfer objects"):
        ct.Lepton("bash", command="true", files=[Path("a")])
