"""The manifest: JSON + content-addressed blobs, and back."""

from __future__ import annotations

import json

import pytest

import covalent as ct
from covalent.graph import Manifest
from covalent.graph.bundle import BundleError, read_bundle, write_bundle
from covalent.testing.local_run import run_manifest


@ct.electron
def square(x):
    return x * x


@ct.lattice
def wf(values):
    return [square(v) for v in values]


def test_round_trip_through_json_and_a_folder(tmp_path):
    manifest = wf.build_manifest([1, 2, 3])
    data = json.loads(json.dumps(manifest.to_json()))
    again = Manifest.from_json(data, manifest.blobs)
    assert again.graph.to_dict() == manifest.graph.to_dict()
    assert run_manifest(again)["result"] == [1, 4, 9]
    loaded = Manifest.load(manifest.save(tmp_path / "m"))
    assert run_manifest(loaded)["result"] == [1, 4, 9]


def test_each_distinct_function_s_source_travels_once_as_text():
    manifest = wf.build_manifest(list(range(20)))
    data = json.loads(json.dumps(manifest.to_json()))
    (key,) = {n["function"] for n in manifest.graph.nodes() if n["kind"] == "electron"}
    assert data["sources"] == {key: "@ct.electron\ndef square(x):\n    return x * x\n"}
    assert Manifest.from_json(data, manifest.blobs).sources == data["sources"]


def test_each_distinct_function_is_stored_once():
    manifest = wf.build_manifest(list(range(50)))
    function_keys = {n["function"] for n in manifest.graph.nodes() if n["kind"] == "electron"}
    assert len(function_keys) == 1
    assert manifest.missing_blobs() == []


def test_tampered_blob_is_rejected():
    manifest = wf.build_manifest([1])
    key = next(iter(manifest.blobs))
    with pytest.raises(ValueError, match="does not match"):
        Manifest.from_json(manifest.to_json(), {key: b"tampered"})


def test_bundle_round_trip_and_truncation():
    blobs = {
        "a" * 64: b"",
    }
    from covalent.graph.serialize import blob_key

    items = {blob_key(b"x"): b"x", blob_key(b"yy" * 1000): b"yy" * 1000}
    data = write_bundle(items.items())
    assert read_bundle(data) == items
    with pytest.raises(BundleError):
        read_bundle(data[:-3])
    assert blobs  # keys are checked, not trusted


def test_a_bundle_names_a_value_handed_on_by_reference_by_its_key_and_checks_its_digest():
    from covalent.graph.serialize import blob_key

    key, data = "c" * 64, b"value" * 100  # a key that is not the value's hash
    plain = {blob_key(b"x"): b"x"}
    body = write_bundle([*plain.items(), (key, data)], {key: blob_key(data)})
    assert read_bundle(body, aliases=True) == {**plain, key: data}
    with pytest.raises(BundleError, match="not named by its hash"):
        read_bundle(body)  # what the server reads from a client: every key is a hash
    forged = write_bundle([(key, data)], {key: blob_key(b"other")})
    with pytest.raises(BundleError, match="does not match its content"):
        read_bundle(forged, aliases=True)
    with pytest.raises(BundleError, match="truncated"):
        read_bundle(body[: len(body) - len(data) - 20], aliases=True)


def test_a_bundle_carries_a_blake3_digest_by_its_own_flag_and_checks_it():
    import blake3

    from covalent.graph.serialize import blob_key

    key, data = "d" * 64, b"held" * 1000
    digest = "blake3:" + blake3.blake3(data).hexdigest()
    body = write_bundle([(key, data)], {key: digest})
    assert read_bundle(body, aliases=True) == {key: data}
    with pytest.raises(BundleError, match="not named by its hash"):
        read_bundle(body)
    # The same 32 bytes read as SHA-256 (the flag cleared) do not match: the flag names the algorithm.
    header = bytearray(body[:40])
    header[32] &= 0xBF
    with pytest.raises(BundleError, match="does not match its content"):
        read_bundle(bytes(header) + body[40:], aliases=True)
    with pytest.raises(BundleError, match="does not match its content"):  # a BLAKE3 digest of other bytes
        read_bundle(write_bundle([(key, data)], {key: "blake3:" + blake3.blake3(b"x").hexdigest()}), aliases=True)
    sha_named = write_bundle([(key, data)], {key: blob_key(data)})  # SHA-256 (values stored before BLAKE3)
    assert read_bundle(sha_named, aliases=True) == {key: data}


def test_draw_previews_the_graph_as_svg(tmp_path):
    preview = wf.draw([1, 2])
    svg = preview._repr_svg_()
    assert svg.startswith("<svg") and svg.count('class="node"') == len(preview.manifest.graph)
    assert ">square<" in svg
    preview.save(str(tmp_path / "graph.svg"))
    assert (tmp_path / "graph.svg").read_text() == svg


def test_the_stored_lattice_does_not_carry_its_last_graph():
    small = wf.build_manifest([1])
    big = wf.build_manifest(list(range(2000)))
    size = len(big.blobs[big.lattice["function"]])
    assert size == len(small.blobs[small.lattice["function"]])


def test_the_manifest_schema_accepts_every_node_kind():
    import typing

    from covalent.graph.manifest_schema import Kind
    from covalent.graph.transport_graph import NodeKind

    assert set(typing.get_args(Kind)) == {str(kind) for kind in NodeKind}


def test_graph_lines_read_back_as_the_standard_librarys_json_would():
    """The lines' encoder (pydantic-core's) writes what json reads back the same: text, big ints, NaN."""
    import json
    import math

    from covalent.graph.manifest import _lines

    items = [{"id": 1, "name": "é ü \x00 \n", "big": 2**70, "t": (1, 2.5)}, {"x": float("nan"), "y": float("inf")}]
    lines = b"".join(_lines(items, lambda item: item, batch=1)).split(b"\n")
    assert lines[-1] == b"" and len(lines) == 3
    assert json.loads(lines[0]) == {"id": 1, "name": "é ü \x00 \n", "big": 2**70, "t": [1, 2.5]}
    back = json.loads(lines[1])
    assert math.isnan(back["x"]) and back["y"] == math.inf
