"""Per-thread capture of ``sys.stdout`` and ``sys.stderr``.

Several tasks may run at once in one worker process (Dask threads), so a
process-wide ``redirect_stdout`` would mix their output.  Instead the streams
are replaced, once, by a proxy that writes to the current thread's buffer
when one is set and to the original stream otherwise.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["captured"]

_local = threading.local()
_install_lock = threading.Lock()


class _ThreadStream(io.TextIOBase):
    def __init__(self, name: str, original: TextIO) -> None:
        self._name = name
        self._original = original

    def _target(self) -> TextIO:
        buffers = getattr(_local, "buffers", None)
        if buffers is not None:
            return buffers[self._name]
        return self._original

    def write(self, text: str) -> int:  # type: ignore[override]
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", "utf-8")

    def fileno(self) -> int:
        return self._original.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _install() -> None:
    with _install_lock:
        if not isinstance(sys.stdout, _ThreadStream):
            sys.stdout = _ThreadStream("stdout", sys.stdout)
        if not isinstance(sys.stderr, _ThreadStream):
            sys.stderr = _ThreadStream("stderr", sys.stderr)


@contextmanager
def captured() -> Iterator[dict[str, io.StringIO]]:
    """Capture what this thread prints; yields ``{"stdout": buf, "stderr": buf}``."""
    _install()
    previous = getattr(_local, "buffers", None)
    buffers = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    _local.buffers = buffers
    try:
        yield buffers
    finally:
        _local.buffers = previous
