"""Functions' sources, read once per function and code object."""

from __future__ import annotations

import inspect
import textwrap

import pytest

import covalent as ct
from covalent._sdk.source import cached_source


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    reads: list[object] = []
    real = inspect.getsource

    def counting(obj: object) -> str:
        reads.append(obj)
        return real(obj)  # type: ignore[arg-type]

    monkeypatch.setattr(inspect, "getsource", counting)
    return reads


def _module_from(tmp_path, name: str, text: str) -> dict:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    namespace: dict = {"__name__": name}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def test_each_dispatch_reads_a_functions_source_once(monkeypatch, tmp_path):
    made = _module_from(
        tmp_path,
        "flows_once",
        """
        import covalent as ct

        @ct.electron
        def double(x):
            return 2 * x

        @ct.lattice
        def flow(x):
            return double(x)
        """,
    )
    reads = _count_reads(monkeypatch)
    manifests = [made["flow"].build_manifest(i) for i in range(5)]
    assert len(reads) == 2  # the lattice's and the electron's, at the first build only
    assert all(m.lattice["source"] == manifests[0].lattice["source"] for m in manifests)
    assert "def flow(x):" in manifests[0].lattice["source"]
    assert cached_source(made["double"]) == inspect.getsource(made["double"])  # through the electron


def test_a_function_defined_again_or_given_new_code_is_read_again(tmp_path):
    first = _module_from(tmp_path, "cell", "def task(x):\n    return x + 1\n")["task"]
    assert cached_source(first) == "def task(x):\n    return x + 1\n"
    # A notebook cell run again: the file (cell) changed and the function is new.
    second = _module_from(tmp_path, "cell", "def task(x):\n    return x + 2\n")["task"]
    assert cached_source(second) == "def task(x):\n    return x + 2\n"
    assert cached_source(first) == "def task(x):\n    return x + 1\n"  # the text of the code it runs
    first.__code__ = second.__code__
    assert cached_source(first) == "def task(x):\n    return x + 2\n"


def test_a_source_python_cannot_find_raises_as_inspect_does():
    namespace: dict = {}
    exec("def typed_at_a_prompt(x):\n    return x\n", namespace)
    with pytest.raises(OSError):
        cached_source(namespace["typed_at_a_prompt"])
    with pytest.raises(TypeError):
        cached_source(len)
    assert ct.lattice(namespace["typed_at_a_prompt"]).source == ""
