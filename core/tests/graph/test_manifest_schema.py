"""The manifest is checked whole: every malformed shape is refused with the field it is about."""

from __future__ import annotations

import copy
import json

import pytest

import covalent as ct
from covalent.graph.manifest_schema import MAX_DEPTH, ManifestError, parse_manifest, validate_manifest


@ct.electron
def add(x, y):
    return x + y


@ct.lattice
def flow(a, b=2):
    return add(add(a, b), y=a)


@pytest.fixture(scope="module")
def valid() -> dict:
    return flow.build_manifest(1).to_json()


def _electron(data: dict) -> dict:
    return next(n for n in data["graph"]["nodes"] if n["kind"] == "electron")


def _parameter(data: dict) -> dict:
    return next(n for n in data["graph"]["nodes"] if n["kind"] == "parameter")


def _nest(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


MUTATIONS = {
    # finding 6 of issue 17, each shape that answered 500 or was stored and broke its pages
    "lattice-list": (lambda d: d.update(lattice=[1]), "lattice"),
    "lattice-text": (lambda d: d.update(lattice="x"), "lattice"),
    "lattice-empty-list": (lambda d: d.update(lattice=[]), "lattice"),
    "blob-ref-dict": (lambda d: _electron(d).update(function={}), "].function"),
    "blob-ref-list": (lambda d: _parameter(d).update(value=["a"]), "].value"),
    "hooks-list": (lambda d: _electron(d).update(hooks=[1]), "hooks"),
    "executor-text": (lambda d: _electron(d).update(executor="dask"), "executor"),
    "executor-list": (lambda d: _electron(d).update(executor=["dask"]), "executor"),
    "id-beyond-64-bits": (lambda d: _parameter(d).update(id=2**70), "].id"),
    "negative-id": (lambda d: _parameter(d).update(id=-1), "].id"),
    "parameters-list": (lambda d: d["lattice"].update(parameters=["a"]), "lattice.parameters"),
    "arg-index-text": (lambda d: d["graph"]["edges"][0].update(arg_index="x"), "graph.edges[0].arg_index"),
    "node-without-kind": (lambda d: _electron(d).pop("kind"), "kind"),
    "node-without-name": (lambda d: _electron(d).pop("name"), "name"),
    # and the rest of the shape
    "not-an-object": (lambda d: d.clear(), "schema"),
    "wrong-schema": (lambda d: d.update(schema=2), "schema"),
    "extra-field": (lambda d: d.update(surprise=1), "surprise"),
    "pickled-executor-options": (
        lambda d: _electron(d).update(executor={"name": "local", "pickled_kwargs": "80"}),
        "pickled_kwargs",
    ),
    "deep-options": (
        lambda d: _electron(d).update(executor={"name": "local", "kwargs": {"x": _nest(MAX_DEPTH + 1)}}),
        "deeper than",
    ),
    "deep-metadata": (lambda d: _electron(d).update(metadata={"m": _nest(MAX_DEPTH + 5)}), "metadata"),
    "dangling-edge": (lambda d: d["graph"]["edges"][0].update(source=999), "graph.edges[0].source"),
    "dangling-output": (lambda d: d.update(output={"node": 999}), "output.node"),
    # found by the fuzz test: a wait edge into a parameter was stored, and its graph could not be drawn (500)
    "edge-into-parameter": (
        lambda d: d["graph"]["edges"][-1].update(target=_parameter(d)["id"]),
        "graph.edges[4].target: node 1 is a parameter",
    ),
    "both-outputs": (lambda d: d["output"].update(value="0" * 64), "output"),
    "duplicate-id": (lambda d: d["graph"]["nodes"].append(copy.deepcopy(_parameter(d))), "used twice"),
    "parameter-without-value": (lambda d: _parameter(d).pop("value"), "needs 'value'"),
    "edge-two-ways": (lambda d: d["graph"]["edges"][0].update(key="a"), "exactly one of"),
    "retries-bool": (lambda d: _electron(d).update(retries=True), "retries"),
    "time-limit-negative": (lambda d: _electron(d).update(time_limit=-1), "time_limit"),
    "name-empty": (lambda d: d.update(name=""), "name"),
    "bad-blob-key": (lambda d: _electron(d).update(function="../../etc/passwd"), "function"),
    "source-not-text": (lambda d: d.update(sources={"0" * 64: 1}), "sources"),
    "source-bad-key": (lambda d: d.update(sources={"x": "def f(): pass"}), "sources"),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS), ids=list(MUTATIONS))
def test_each_malformed_shape_is_refused_naming_its_field(valid, mutation):
    change, field = MUTATIONS[mutation]
    data = copy.deepcopy(valid)
    change(data)
    with pytest.raises(ManifestError, match=r"manifest is not valid|must be a JSON object") as info:
        validate_manifest(data)
    assert field in str(info.value), str(info.value)


def test_a_valid_manifest_passes_unchanged(valid):
    data = copy.deepcopy(valid)
    assert validate_manifest(data) is data and data == valid
    assert "def add(x, y):" in next(iter(valid["sources"].values()))  # shown by the dashboard
    with_limit = copy.deepcopy(valid)
    _electron(with_limit).update(time_limit=60, retries=2, metadata={"a": [1, {"b": None}]})
    validate_manifest(with_limit)


def test_nesting_too_deep_to_parse_is_a_manifest_error_not_a_crash():
    with pytest.raises(ManifestError, match="nested too deeply"):
        parse_manifest("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ManifestError, match="not valid JSON"):
        parse_manifest("{")
    with pytest.raises(ManifestError, match="must be a JSON object"):
        validate_manifest(parse_manifest(json.dumps([1])))
