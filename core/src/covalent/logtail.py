"""The last lines of a log file, read from its end (the server's log, a cluster's)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["tail_lines", "tail_text"]

#: Bytes read per line wanted (at least 8 KiB): a log's lines are rarely longer.
_BYTES_PER_LINE = 240


def tail_lines(path: str | os.PathLike[str], count: int) -> list[str]:
    """The last ``count`` lines of the text file at ``path`` (an unreadable file: none)."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            block = min(size, max(8192, count * _BYTES_PER_LINE))
            f.seek(size - block)
            data = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    lines = data.splitlines()
    if block < size:
        lines = lines[1:]  # the first line read is probably cut
    return lines[-count:] if count > 0 else []


def tail_text(path: Path, count: int) -> str:
    """:func:`tail_lines` joined into one text (for an error message)."""
    return "\n".join(tail_lines(path, count))
