"""A small dispatch goes as one framed body (application/vnd.covalent.dispatch); bad ones answer 4xx."""

from __future__ import annotations

import http.client
import importlib
import json
import struct
import tracemalloc

import httpx
import pytest

import covalent as ct
from covalent.client.upload import STREAMED_NODES, framed_body
from covalent.graph import dispatch_body
from covalent.graph.bundle import write_bundle
from covalent.graph.dispatch_body import MAGIC, MEDIA_TYPE, FrameError, read_dispatch_body, write_dispatch_body
from covalent.testing import CLIENT_HEADERS


@ct.electron
def add(x, y):
    return x + y


@ct.lattice
def flow(a):
    return add(a, 1)


@ct.lattice
def many(n):
    return [add(i, 1) for i in range(n)]


def _frame(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _body(lattice, *args, options: dict | None = None) -> bytes:
    body = framed_body(lattice.build_manifest(*args), options or {})
    assert body is not None
    return body


def _post(server, content, *, content_type: str = MEDIA_TYPE, headers: dict | None = None) -> httpx.Response:
    return httpx.post(
        f"{server.address}/api/v1/dispatches",
        content=content,
        headers={**CLIENT_HEADERS, "Content-Type": content_type, **(headers or {})},
        timeout=60,
    )


def _total(server) -> int:
    return httpx.get(f"{server.address}/api/v1/dispatches?limit=1").json()["total"]


def test_a_framed_body_reads_back_its_three_frames():
    body = write_dispatch_body(b'{"m": 1}', b"{}", b"\x00\x01")
    assert body.startswith(MAGIC)
    read = read_dispatch_body(body)
    assert (read.manifest, read.options, read.blobs) == (b'{"m": 1}', b"{}", b"\x00\x01")
    assert read_dispatch_body(write_dispatch_body(b"", b"", b"")).blobs == b""


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"CVD",
        b"CVD2" + _frame(b"{}") * 3,
        MAGIC + _frame(b"{}") + b"\x00\x00",  # truncated in a length
        MAGIC + _frame(b"{}") + _frame(b"{}"),  # a frame missing
        MAGIC + _frame(b"{}") * 2 + struct.pack(">I", 10) + b"short",  # a frame shorter than declared
        MAGIC + _frame(b"{}") * 3 + b"more",  # bytes after the last frame
        MAGIC + struct.pack(">I", 0xFFFFFFFF) + b"{}",  # a huge declared length
    ],
    ids=["empty", "short-magic", "wrong-magic", "cut-length", "two-frames", "cut-frame", "trailing", "huge-length"],
)
def test_a_malformed_framed_body_is_a_frame_error(body):
    with pytest.raises(FrameError):
        read_dispatch_body(body)


def test_a_huge_declared_length_is_never_allocated():
    body = MAGIC + struct.pack(">I", 0xFFFFFFFF) + b"x" * 100
    tracemalloc.start()
    try:
        with pytest.raises(FrameError, match="declares 4294967295 bytes, 100 follow"):
            read_dispatch_body(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


def test_only_a_small_upload_is_framed():
    assert framed_body(flow.build_manifest(1), {}) is not None
    assert framed_body(many.build_manifest(STREAMED_NODES), {}) is None  # a large graph: multipart, streamed
    big = flow.build_manifest(b"x" * dispatch_body.MAX_BYTES)  # its argument alone is over the limit
    assert framed_body(big, {}) is None


def _sent_content_types(monkeypatch) -> list[str]:
    """The Content-Type of each POST the SDK's plain requests send (a spy on http.client's request)."""
    types: list[str] = []
    original = http.client.HTTPConnection.request

    def request(self, method, url, body=None, headers={}, **kwargs):  # noqa: B006 (http.client's signature)
        if method == "POST":
            types.append(dict(headers).get("Content-Type", "").split(";")[0])
        return original(self, method, url, body, headers, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "request", request)
    return types


def test_the_sdk_sends_a_small_dispatch_as_one_framed_body(server, monkeypatch):
    types = _sent_content_types(monkeypatch)
    assert ct.dispatch_sync(flow)(41).result == 42
    assert types == [MEDIA_TYPE]


def test_a_server_that_answers_415_gets_multipart_from_then_on(server, monkeypatch):
    # A type this server does not take stands for an older server, which takes multipart only.
    monkeypatch.setattr(dispatch_body, "MEDIA_TYPE", "application/vnd.covalent.not-yet")
    monkeypatch.setattr(importlib.import_module("covalent.client.dispatch"), "_multipart_only", set())
    types = _sent_content_types(monkeypatch)
    assert ct.dispatch_sync(flow)(1).result == 2
    assert ct.dispatch_sync(flow)(2).result == 3
    assert types == ["application/vnd.covalent.not-yet", "multipart/form-data", "multipart/form-data"]


def test_a_framed_dispatch_registers_and_runs(server):
    answer = _post(server, _body(flow, 5, options={"start": True, "linger": 1.0}))
    assert answer.status_code == 201, answer.text
    assert ct.get_result(answer.json()["dispatch_id"], wait=True, progress=False).result == 6
    # The content type's parameters and case do not matter.
    answer = _post(server, _body(flow, 6), content_type="Application/Vnd.Covalent.Dispatch; v=1")
    assert answer.status_code == 201, answer.text


_GOOD_OPTIONS = b'{"start": false}'


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"not a framed body", 400),
        (MAGIC + _frame(b"{}") + b"\x00", 400),  # truncated in a length
        (MAGIC + _frame(b"{}") * 2 + struct.pack(">I", 1000) + b"short", 400),  # wrong length
        (MAGIC + struct.pack(">I", 0xFFFFFFFF) + b"{}", 400),  # a huge declared length
        (MAGIC + _frame(b"{}") * 3 + b"x", 400),  # bytes after the last frame
        (MAGIC + _frame(b"{not json") + _frame(_GOOD_OPTIONS) + _frame(b""), 422),
        (MAGIC + _frame(b"[]") + _frame(_GOOD_OPTIONS) + _frame(b""), 422),
        (MAGIC + _frame(b"\xff\xfe") + _frame(_GOOD_OPTIONS) + _frame(b""), 422),  # not UTF-8
        (MAGIC + _frame(b"") + _frame(b"") + _frame(b""), 422),  # no manifest
    ],
    ids=[
        "empty",
        "not-framed",
        "cut-length",
        "wrong-length",
        "huge-length",
        "trailing",
        "bad-json",
        "not-a-manifest",
        "not-utf8",
        "no-manifest",
    ],
)
def test_malformed_framed_bodies_answer_4xx_and_register_nothing(server, body, status):
    before = _total(server)
    answer = _post(server, body)
    assert answer.status_code == status, answer.text
    assert "detail" in answer.json()
    assert _total(server) == before
    assert httpx.get(f"{server.address}/api/v1/health").status_code == 200


def test_bad_options_or_bundle_in_a_framed_body_answer_422(server):
    manifest = flow.build_manifest(1)
    text = json.dumps(manifest.to_json()).encode()
    bundle = write_bundle(manifest.blobs.items())
    for options, blobs in [(b"{bad", bundle), (b'{"linger": "soon"}', bundle), (_GOOD_OPTIONS, b"\x00" * 10)]:
        answer = _post(server, write_dispatch_body(text, options, blobs))
        assert answer.status_code == 422, answer.text


def test_a_framed_body_over_its_limit_answers_413_declared_or_streamed(server):
    before = _total(server)
    over = MAGIC + _frame(b"x" * dispatch_body.MAX_BYTES)
    assert _post(server, over).status_code == 413  # declared in Content-Length

    def chunks():  # sent chunked, without a length: refused once the limit is passed
        yield MAGIC
        for _ in range(dispatch_body.MAX_BYTES // 65536 + 2):
            yield b"x" * 65536

    answer = _post(server, chunks())
    assert answer.status_code == 413, answer.text
    assert _total(server) == before
    assert httpx.get(f"{server.address}/api/v1/health").status_code == 200
