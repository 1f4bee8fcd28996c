"""Running a node's transfers where the task runs: before it, after it, each timed, retried and recorded."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from covalent.runtime.transfer.copying import Moved, copy
from covalent.runtime.transfer.locations import redact, scheme_of
from covalent.runtime.transfer.rsync import RsyncError, run_rsync
from covalent.runtime.transfer.spec import AFTER, BEFORE, TransferRecord, TransferSpec, TransferStatus

__all__ = ["NodeTransfers", "TransferError", "is_transient"]

#: Names of exception classes (anywhere in an error's MRO) that mean "the connection failed: try again".
_TRANSIENT_NAMES = frozenset(
    {
        "ConnectionLost",
        "ClientConnectionError",
        "ServerDisconnectedError",
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "TransportError",
    }
)


class TransferError(RuntimeError):
    """A transfer failed; the message names both ends and the reason (never a credential)."""


def is_transient(exc: BaseException) -> bool:
    """True when trying the same transfer again may succeed."""
    if isinstance(exc, RsyncError):
        return exc.transient
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    status = getattr(exc, "status", None) or getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int) and status >= 500:
        return True
    return any(cls.__name__ in _TRANSIENT_NAMES for cls in type(exc).__mro__)


def _describe(spec: TransferSpec) -> str:
    if spec.label:
        return spec.label
    if spec.strategy:
        return spec.strategy
    remote = sorted({scheme_of(url) for url in (spec.source, spec.destination)} - {"", "file", "local"})
    return f"fsspec ({', '.join(remote) or 'local'})"


class NodeTransfers:
    """The transfers of one node, run in order, with a record each.

    ``load(key)`` returns the unpickled private part of a transfer (secret
    options, or a custom strategy's callable).  With ``handled_by`` (an
    executor whose plugin moves the files itself) nothing is run and each
    transfer is recorded as delegated.
    """

    def __init__(self, specs: Sequence[TransferSpec], load: Callable[[str], Any], handled_by: str = "") -> None:
        self.specs = list(specs)
        self._load = load
        self.handled_by = handled_by
        self.records = [
            TransferRecord(redact(s.source), redact(s.destination), s.order, _describe(s)) for s in self.specs
        ]
        #: The message of the transfer that failed ("" while none has).
        self.failed = ""

    def files_arg(self) -> list[tuple[str, str]]:
        """What the task receives as ``files``: a ``(from, to)`` pair per transfer, in order."""
        return [tuple(s.files_arg) for s in self.specs]  # type: ignore[misc]

    def before(self) -> None:
        """Create the temporary files, then run the transfers ordered before the task."""
        for spec in self.specs:
            for path in spec.touch:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                Path(path).touch()
        self._run(BEFORE)

    def after(self) -> None:
        """Run the transfers ordered after the task."""
        self._run(AFTER)

    def skip_pending(self, reason: str) -> None:
        for record in self.records:
            if record.status == TransferStatus.PENDING:
                record.status = TransferStatus.SKIPPED
                record.error = reason

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.records]

    def _run(self, order: str) -> None:
        for spec, record in zip(self.specs, self.records, strict=True):
            if spec.order != order or record.status != TransferStatus.PENDING:
                continue
            if self.handled_by:
                record.status = TransferStatus.DELEGATED
                record.error = f"moved by the {self.handled_by} executor"
                continue
            self._run_one(spec, record)

    def _run_one(self, spec: TransferSpec, record: TransferRecord) -> None:
        # Imported on the first transfer: the runtime module is imported by every
        # server and worker, and tenacity (with tornado's logging, when installed) is
        # ~15 ms of that; most jobs move no files.
        from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

        record.start_time = time.time()
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(max(0, spec.retries) + 1),
                wait=wait_exponential(multiplier=0.5, max=8),
                retry=retry_if_exception(is_transient),
                reraise=True,
            ):
                with attempt:
                    record.attempts = attempt.retry_state.attempt_number
                    moved = self._move(spec)
        except Exception as exc:
            record.end_time = time.time()
            record.status = TransferStatus.FAILED
            record.error = f"{type(exc).__name__}: {exc}"
            self.skip_pending("not run: an earlier transfer failed")
            tries = f"{record.attempts} attempt{'s' if record.attempts != 1 else ''}"
            self.failed = (
                f"file transfer failed: {record.source} -> {record.destination} "
                f"({spec.order} the task; {record.strategy}; {tries}): {record.error}"
            )
            raise TransferError(self.failed) from exc
        record.end_time = time.time()
        record.status = TransferStatus.COMPLETED
        record.files, record.bytes = moved.files, moved.bytes

    def _move(self, spec: TransferSpec) -> Moved:
        private = self._load(spec.private) if spec.private else None
        if spec.strategy == "callable":
            assert callable(private), "a custom strategy's transfer must be callable"
            private()
            return Moved(files=1)
        if spec.strategy == "rsync":
            return run_rsync(spec)
        return copy(spec, dict(private or {}))
