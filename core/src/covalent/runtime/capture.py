"""Per-thread capture of ``sys.stdout`` and ``sys.stderr``, mirrored live to files if asked.

Several tasks may run at once in one worker process (Dask threads), so a
process-wide ``redirect_stdout`` would mix their output.  Instead the streams
are replaced, once, by a proxy that writes to the current thread's capture
when one is set and to the original stream otherwise.  A capture makes each
stream's buffer at that stream's first write: most tasks print nothing, and
a task's set-up and tear-down are then an object with two empty slots.

A running task's output can be followed while it runs: given a folder that
exists where the task runs (the server's live-output folder when the worker
shares its machine), what the task prints is also written to
``<folder>/<name>.stdout`` and ``.stderr``, opened at the first write (a task
that prints nothing creates no file and asks nothing of the file system; where
the folder does not exist, that first open fails and the capture goes on in
memory only), flushed every :data:`FLUSH_SECONDS` by
one thread per process (no system call per print), and removed when the task
ends (its outcome carries everything printed).
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["FLUSH_SECONDS", "Capture", "captured", "live_file", "live_name"]

#: Seconds at most between a task printing and its live file showing it.
FLUSH_SECONDS = 0.25

_local = threading.local()
_install_lock = threading.Lock()


class _ThreadStream(io.TextIOBase):
    def __init__(self, name: str, original: TextIO) -> None:
        self._name = name
        self._original = original

    def _target(self) -> TextIO:
        capture = getattr(_local, "capture", None)
        if capture is not None:
            return capture[self._name]
        return self._original

    def write(self, text: str) -> int:  # type: ignore[override]
        return self._target().write(text)

    def flush(self) -> None:
        capture = getattr(_local, "capture", None)
        if capture is None:
            self._original.flush()
        # A capture's buffers are in memory; a live file is flushed by the flusher.

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


def live_name(dispatch_id: str, node_id: int) -> str:
    """The name a node's live files go by."""
    return f"{dispatch_id}-{int(node_id)}"


def live_file(folder: str, name: str, stream: str) -> str:
    """Where a running task's ``stream`` (stdout or stderr) is mirrored."""
    return os.path.join(folder, f"{name}.{stream}")


class _Mirrored(io.StringIO):
    """A capture buffer that also writes to a live file (opened at the first write)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path
        self._file: Any = None
        self._dirty = False
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        n = super().write(text)
        with self._lock:
            try:
                if self._file is None:
                    self._file = open(self._path, "w", encoding="utf-8", errors="replace")  # noqa: SIM115
                    _Flusher.watch(self)
                if self._file:
                    self._file.write(text)
                    self._dirty = True
            except OSError:
                self._file = False  # the folder went away: keep capturing, stop mirroring
        return n

    def push(self) -> None:
        """Make what was written visible in the file (called by the flusher)."""
        with self._lock:
            if self._file and self._dirty:
                try:
                    self._file.flush()
                except OSError:
                    self._file = False
                self._dirty = False

    def finish(self) -> None:
        with self._lock:
            if self._file:
                self._file.close()
            opened, self._file = self._file, False
        _Flusher.forget(self)
        if opened is not None:
            try:
                os.unlink(self._path)
            except OSError:
                pass


class _Flusher:
    """One thread per process that flushes the open live files every :data:`FLUSH_SECONDS`."""

    _open: set[_Mirrored] = set()
    _lock = threading.Lock()
    _thread: threading.Thread | None = None

    @classmethod
    def watch(cls, mirror: _Mirrored) -> None:
        with cls._lock:
            cls._open.add(mirror)
            if cls._thread is None or not cls._thread.is_alive():
                cls._thread = threading.Thread(target=cls._run, name="covalent-live-output", daemon=True)
                cls._thread.start()

    @classmethod
    def forget(cls, mirror: _Mirrored) -> None:
        with cls._lock:
            cls._open.discard(mirror)

    @classmethod
    def _run(cls) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            with cls._lock:
                mirrors = list(cls._open)
            for mirror in mirrors:
                mirror.push()


class Capture:
    """What one task printed: ``capture["stdout"]`` and ``["stderr"]`` are buffers made at first use."""

    __slots__ = ("_live", "stderr", "stdout")

    def __init__(self, live: tuple[str, str] | None) -> None:
        self._live = live if live is not None and live[0] else None
        self.stdout: io.StringIO | None = None
        self.stderr: io.StringIO | None = None

    def __getitem__(self, stream: str) -> io.StringIO:
        buffer: io.StringIO | None = getattr(self, stream)
        if buffer is None:
            buffer = _Mirrored(live_file(*self._live, stream)) if self._live else io.StringIO()
            setattr(self, stream, buffer)
        return buffer

    def text(self, stream: str) -> str:
        """Everything written to ``stream`` ("" when nothing was)."""
        buffer: io.StringIO | None = getattr(self, stream)
        return "" if buffer is None else buffer.getvalue()

    def _finish(self) -> None:
        for buffer in (self.stdout, self.stderr):
            if isinstance(buffer, _Mirrored):
                buffer.finish()


@contextmanager
def captured(live: tuple[str, str] | None = None) -> Iterator[Capture]:
    """Capture what this thread prints; yields the :class:`Capture` (``text("stdout")``, say).

    ``live``: ``(folder, name)`` to mirror the output to while it runs, if the folder exists here.
    """
    _install()
    previous = getattr(_local, "capture", None)
    capture = _local.capture = Capture(live)
    try:
        yield capture
    finally:
        _local.capture = previous
        capture._finish()
