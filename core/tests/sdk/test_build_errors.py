"""Bad input fails at build time with a message that names the problem."""

from __future__ import annotations

import threading

import pytest

import covalent as ct


@ct.electron
def add(x, y):
    return x + y


def test_lattice_body_that_raises():
    @ct.lattice
    def wf(a):
        add(a, 1)
        raise RuntimeError("broken body")

    with pytest.raises(ct.GraphBuildError, match=r"lattice 'wf' raised.*RuntimeError: broken body"):
        wf.build_graph(1)


def test_unpicklable_argument_is_named():
    @ct.lattice
    def wf(a):
        return add(a, threading.Lock())

    with pytest.raises(ct.SerializationError, match="argument 'y' of 'add'"):
        wf.build_graph(1)


def test_wrong_arguments_to_an_electron():
    @ct.lattice
    def wf(a):
        return add(a)

    with pytest.raises(
        ct.GraphBuildError, match="electron 'add' called with wrong arguments: missing a required argument: 'y'"
    ):
        wf.build_graph(1)
    with pytest.raises(TypeError):  # also a TypeError, as a plain call would raise
        wf.build_graph(1)


def test_wrong_arguments_to_the_lattice():
    @ct.lattice
    def wf(a):
        return add(a, 1)

    with pytest.raises(ct.GraphBuildError, match="lattice 'wf' called with wrong arguments"):
        wf.build_graph(1, 2, 3)


def test_truth_value_of_an_output_is_an_error():
    @ct.lattice
    def wf(a):
        return add(a, 1) if add(a, 2) else 0

    with pytest.raises(ct.GraphBuildError, match="truth value"):
        wf.build_graph(1)


def test_output_hidden_in_an_arbitrary_object_is_an_error():
    class Holder:
        def __init__(self, value):
            self.value = value

    @ct.lattice
    def wf(a):
        return add(Holder(add(a, 1)), 1)

    with pytest.raises(ct.GraphBuildError, match="captured inside an object"):
        wf.build_graph(1)


def test_bad_executor_argument():
    with pytest.raises(TypeError, match="executor must be a name"):
        ct.electron(executor=42)(lambda x: x)


def test_something_that_is_not_a_trigger_is_refused_not_ignored():
    with pytest.raises(TypeError, match=r"triggers must be covalent.triggers objects .*got 'every hour'"):
        ct.lattice(triggers=["every hour"])(lambda: None)
    assert ct.lattice(triggers=None)(lambda: 1)() == 1
