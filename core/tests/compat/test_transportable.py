"""TransportableObject: the value itself for every purpose, and Covalent's wrapper too."""

from __future__ import annotations

import copy
import inspect
import json
import pickle

import covalent as ct
from covalent.graph.transportable import TransportableObject


def test_a_wrapped_value_behaves_as_the_value():
    three = TransportableObject(3)
    assert three == 3 and three + 1 == 4 and isinstance(three, int) and str(three) == "3" and repr(three) == "3"
    inputs = TransportableObject({"args": (1, 2), "kwargs": {}})
    assert inputs["args"] == (1, 2) and isinstance(inputs, dict) and len(inputs) == 2
    assert hash(TransportableObject("a")) == hash("a") and not TransportableObject(None)


def test_covalents_methods():
    three = TransportableObject(3)
    assert three.get_deserialized() == 3 and three.object_string == "3"
    assert three.python_version.count(".") == 2 and three.header["attrs"]["name"] == ""
    assert TransportableObject.deserialize(three.serialize()).get_deserialized() == 3
    assert TransportableObject.from_dict(json.loads(three.serialize_to_json())) == 3
    assert TransportableObject.make_transportable(three) is three
    assert TransportableObject.deserialize_dict({"a": three, "b": [TransportableObject(1)]}) == {"a": 3, "b": [1]}
    header_only = TransportableObject.deserialize(three.serialize(), header_only=True)
    assert header_only.header == three.header


def test_a_wrapped_function_is_callable_and_inspectable():
    def add(x, y=2):
        """Adds."""
        return x + y

    wrapped = TransportableObject(add)
    assert wrapped(1) == 3 and str(inspect.signature(wrapped)) == "(x, y=2)"
    assert wrapped.attrs == {"doc": "Adds.", "name": "add"} and not callable(TransportableObject(3))


def test_the_values_own_attributes_win():
    class Frame:
        def to_dict(self):
            return {"frame": True}

    assert TransportableObject(Frame()).to_dict() == {"frame": True}
    assert TransportableObject(3).to_dict()["type"] == "TransportableObject"


def test_pickling_and_copying_keep_the_value():
    box = TransportableObject([1, [2]])
    assert pickle.loads(pickle.dumps(box)) == [1, [2]]
    deep = copy.deepcopy(box)
    deep.append(3)
    assert box == [1, [2]] and deep == [1, [2], 3] and isinstance(copy.copy(box), TransportableObject)
    assert ct.TransportableObject is TransportableObject
