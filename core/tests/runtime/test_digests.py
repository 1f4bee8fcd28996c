"""The digest text of a value kept by reference: BLAKE3 named, bare hex read as SHA-256."""

from __future__ import annotations

import hashlib

import blake3
import pytest

from covalent.runtime.digests import BLAKE3, SHA256, Digest, blake3_hasher, digest_of


def test_a_blake3_digest_is_named_and_parses_back():
    data = b"value" * 10_000
    hasher = blake3_hasher()
    hasher.update(data[:7])
    hasher.update(memoryview(data)[7:])  # in parts, as the worker hashes a pickle's parts
    text = digest_of(hasher)
    assert text == "blake3:" + blake3.blake3(data).hexdigest()
    parsed = Digest.parse(text)
    assert parsed == Digest(BLAKE3, blake3.blake3(data).digest()) and parsed.text == text
    assert parsed.matches(data) and not parsed.matches(data + b"!")


def test_bare_hex_is_sha256_and_anything_else_is_refused():
    data = b"older"
    parsed = Digest.parse(hashlib.sha256(data).hexdigest())
    assert parsed.algorithm == SHA256 and parsed.matches(data) and parsed.text == hashlib.sha256(data).hexdigest()
    assert not Digest(BLAKE3, parsed.value).matches(data)  # the same bytes under the other algorithm
    for bad in ("blake3:abcd", "zz" * 32, "ab" * 31):
        with pytest.raises(ValueError):
            Digest.parse(bad)
