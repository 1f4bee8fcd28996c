"""The last lines of a log file, read from its end."""

from __future__ import annotations

from covalent.logtail import tail_lines, tail_text


def test_tail_of_a_short_and_of_a_long_file(tmp_path):
    short = tmp_path / "short.log"
    short.write_text("one\ntwo\nthree\n")
    assert tail_lines(short, 2) == ["two", "three"]
    assert tail_lines(short, 10) == ["one", "two", "three"]
    long = tmp_path / "long.log"
    long.write_text("".join(f"line {i} " + "x" * 50 + "\n" for i in range(100_000)))
    last = tail_lines(long, 3)
    assert [line.split()[1] for line in last] == ["99997", "99998", "99999"]
    assert tail_text(long, 1).startswith("line 99999 ")


def test_a_missing_file_has_no_lines(tmp_path):
    assert tail_lines(tmp_path / "none.log", 5) == []
    assert tail_text(tmp_path / "none.log", 5) == ""
