"""Executor options travel as JSON: an argument that cannot is refused where the executor is used."""

from __future__ import annotations

import pytest

import covalent as ct
from covalent.errors import ExecutorOptionsError
from covalent.executor import LocalExecutor


def test_an_executor_instance_with_an_object_argument_is_refused_when_the_electron_is_defined():
    executor = LocalExecutor(callback=lambda: 1)
    with pytest.raises(ExecutorOptionsError, match=r"executor 'local': argument 'callback' is a function.*JSON"):

        @ct.electron(executor=executor)
        def task(x):
            return x

    with pytest.raises(ExecutorOptionsError, match="argument 'callback'"):

        @ct.lattice(executor=executor)
        def flow(x):
            return x


def test_a_dict_spec_with_an_object_argument_is_refused_too():
    with pytest.raises(ExecutorOptionsError, match="argument 'when' is a object"):
        ct.electron(lambda x: x, executor={"name": "local", "kwargs": {"when": object()}})


def test_json_arguments_travel_and_rebuild_the_same_executor():
    executor = LocalExecutor(workers=3, labels={"team": ["a", "b"]})
    data = executor.to_dict()
    assert data == {"name": "local", "kwargs": {"workers": 3, "labels": {"team": ["a", "b"]}}}
    assert LocalExecutor.from_dict(data).to_dict() == data
