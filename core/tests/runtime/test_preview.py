"""Previews: a short text of any value, bounded whatever the value, made where the value is."""

from __future__ import annotations

from covalent.runtime.preview import PREVIEW_CHARS, preview_text


class Loud:
    def __repr__(self) -> str:
        return "x" * 10_000_000


class Nul:
    def __repr__(self) -> str:
        return "a\x00b"


class Broken:
    def __repr__(self) -> str:
        raise RuntimeError("no")


def test_small_values_read_as_their_repr():
    for value in (5, -2.5, None, True, "hi", [1, 2, (3, "four")], {"a": 1}, 10**30):
        assert preview_text(value) == repr(value)


def test_any_value_gives_a_bounded_text():
    huge = [list(range(1000)) for _ in range(1000)]
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    for value in (huge, deep, "y" * 1_000_000, Loud(), 10**5000, {i: i for i in range(10_000)}):
        text = preview_text(value)
        assert 0 < len(text) <= PREVIEW_CHARS
    assert len(preview_text("z" * 500, 100)) == 100


def test_long_bytes_show_their_start_without_a_repr_of_the_whole():
    for value in (b"\x01" * 5_000_000, bytearray(b"ab" * 5_000_000)):
        text = preview_text(value)
        assert len(text) == PREVIEW_CHARS and text.endswith("…")
        assert text.startswith("b'\\x01\\x01" if isinstance(value, bytes) else "bytearray(b'abab")


def test_a_failing_repr_and_nul_characters_are_handled():
    assert preview_text(Broken()).startswith("<Broken ")
    assert preview_text(Nul()) == "a\ufffdb"


def test_small_containers_of_plain_items_read_as_their_repr_and_nested_ones_stay_bounded():
    for value in ([1, 2.5, None, "x"], (1, 2), {"a": 1, 2: "b"}, {1, 2}):
        assert preview_text(value) == repr(value)
    inner = list(range(100_000))
    assert len(preview_text([inner])) <= PREVIEW_CHARS  # one item, but not a plain one: shortened
