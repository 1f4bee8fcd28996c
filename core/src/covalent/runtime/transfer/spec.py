"""A file transfer as plain data: what a node's payload says to move, and the record of what moved.

Both travel as JSON-safe values (the manifest holds the specs; a node's
outcome holds the records), so the server stores and shows them without
unpickling anything.  Nothing secret is in either: credentials come from
the standard chains where the task runs, and an option that is a secret
travels only inside the pickled part of the payload (:attr:`TransferSpec.private`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["AFTER", "BEFORE", "TransferRecord", "TransferSpec", "TransferStatus"]

BEFORE = "before"
AFTER = "after"


class TransferStatus:
    """What happened to one transfer (plain strings, as the dashboard shows them)."""

    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    #: Not run: an earlier transfer or the task itself failed.
    SKIPPED = "SKIPPED"
    #: Not run by the runtime: the executor's plugin moves the files itself.
    DELEGATED = "DELEGATED"


@dataclass(frozen=True)
class TransferSpec:
    """One transfer of a node: copy ``source`` to ``destination`` before or after the task.

    ``source`` and ``destination`` are URLs (any fsspec protocol) or local
    paths.  ``strategy`` is ``""`` (chosen by the URLs' schemes, through
    fsspec), ``"rsync"`` (the rsync program, over SSH to ``options["host"]``
    for the side named by ``remote_side``) or ``"callable"`` (a custom
    strategy's own transfer function, pickled under :attr:`private`).
    ``options`` are the filesystem's JSON-safe options; ``protocol`` forces
    the protocol of the remote side (``"az"`` for Covalent's Azure Blob
    ``https://`` URLs).  ``touch`` names local files created empty before
    anything runs (Covalent's temporary files), and ``files_arg`` is the
    ``(from, to)`` pair the task receives in its ``files`` argument.
    """

    source: str
    destination: str
    order: str = BEFORE
    strategy: str = ""
    protocol: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    is_dir: bool = False
    include_folder: bool = False
    remote_side: str = ""
    touch: tuple[str, ...] = ()
    files_arg: tuple[str, str] = ("", "")
    retries: int = 2
    #: Key (in the job's pickled functions) of what the worker needs and the
    #: server must not see: secret options, or a custom strategy's callable.
    private: str | None = None
    #: The strategy's name as the user gave it, for records and errors.
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["options"] = dict(self.options)
        data["touch"] = list(self.touch)
        data["files_arg"] = list(self.files_arg)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TransferSpec:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["touch"] = tuple(known.get("touch") or ())
        pair = list(known.get("files_arg") or ("", ""))
        known["files_arg"] = (str(pair[0]), str(pair[1])) if len(pair) == 2 else ("", "")
        known["options"] = dict(known.get("options") or {})
        return cls(**known)


@dataclass
class TransferRecord:
    """What one transfer did, recorded on the node (URLs with any credentials removed)."""

    source: str
    destination: str
    order: str
    strategy: str
    status: str = TransferStatus.PENDING
    attempts: int = 0
    start_time: float | None = None
    end_time: float | None = None
    files: int = 0
    bytes: int = 0
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TransferRecord:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
