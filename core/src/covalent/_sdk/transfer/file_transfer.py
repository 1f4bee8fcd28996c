"""``FileTransfer``: move a file or folder to or from where a task runs, before or after it.

``@ct.electron(files=[ct.fs.FileTransfer("s3://bucket/in.csv", "/scratch/in.csv")])``
runs the transfer where the task runs, and the task receives the
``(from, to)`` path pairs as its ``files`` keyword argument.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from covalent._sdk.transfer.file import File, register_remote_scheme
from covalent._sdk.transfer.strategies import HTTP, S3, Blob, FileTransferStrategy, GCloud, Shutil, StrategyPlan
from covalent.runtime.transfer.spec import TransferSpec

__all__ = [
    "FileTransfer",
    "Order",
    "TransferFromRemote",
    "TransferToRemote",
    "as_transfers",
    "guess_transfer_strategy",
    "register_downloader",
    "register_uploader",
]


class Order(enum.StrEnum):
    """When a transfer runs: before the task (inputs) or after it (outputs)."""

    BEFORE = "before"
    AFTER = "after"


_downloaders: dict[str, type[FileTransferStrategy]] = {
    "file": Shutil,
    "http": HTTP,
    "https": HTTP,
    "gs": GCloud,
    "blob": Blob,
    "s3": S3,
}
_uploaders: dict[str, type[FileTransferStrategy]] = dict(_downloaders)


def register_downloader(scheme: str, cls: type[FileTransferStrategy]) -> None:
    """Use ``cls`` to download from URLs of ``scheme`` (the scheme then counts as remote)."""
    register_remote_scheme(scheme)
    _downloaders[scheme] = cls


def register_uploader(scheme: str, cls: type[FileTransferStrategy]) -> None:
    """Use ``cls`` to upload to URLs of ``scheme`` (the scheme then counts as remote)."""
    register_remote_scheme(scheme)
    _uploaders[scheme] = cls


def guess_transfer_strategy(from_file: File, to_file: File) -> type[FileTransferStrategy] | None:
    """The registered strategy for the remote end; None lets fsspec pick by scheme (any fsspec URL)."""
    if not from_file.is_remote and to_file.is_remote:
        return _uploaders.get(to_file.scheme)
    if from_file.is_remote and not to_file.is_remote:
        return _downloaders.get(from_file.scheme)
    if not from_file.is_remote and not to_file.is_remote:
        return Shutil
    return None


def _as_file(value: File | str | None, what: str) -> File:
    if value is None or isinstance(value, str):
        return File(value)
    if isinstance(value, File):
        return value
    raise AttributeError(f"FileTransfer() requires {what} to be either of type File, string, or None.")


class FileTransfer:
    """Copy ``from_file`` to ``to_file`` where the task runs, ``order`` BEFORE or AFTER it.

    ``strategy`` defaults to the one registered for the remote end's scheme,
    else fsspec chooses by URL (``sftp://``, ``az://``, any installed
    protocol).  ``retries`` (an addition to Covalent's arguments): how often a
    transfer that failed for a transient reason (a dropped connection, a
    server error) is tried again.
    """

    def __init__(
        self,
        from_file: File | str | None = None,
        to_file: File | str | None = None,
        order: Order | str = Order.BEFORE,
        strategy: FileTransferStrategy | None = None,
        *,
        retries: int = 2,
    ) -> None:
        self.from_file = _as_file(from_file, "files")
        self.to_file = _as_file(to_file, "files")
        self.order = Order(order)
        if strategy is None:
            guessed = guess_transfer_strategy(self.from_file, self.to_file)
            strategy = guessed() if guessed is not None else None
        self.strategy = strategy
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self.retries = int(retries)

    def cp(self) -> tuple[Callable[[], Any], Callable[[], Any]]:
        """Covalent's pair ``(pre-transfer hook, transfer)`` for a user-written strategy."""
        strategy = self.strategy
        if strategy is None or strategy.plan() is not None:
            raise TypeError("cp() is Covalent's contract for user-written strategies; this one runs in the runtime")
        hook = strategy.pre_transfer_hook(self.from_file, self.to_file)
        return hook, self._custom_callable(strategy)

    def _custom_callable(self, strategy: FileTransferStrategy) -> Callable[[], Any]:
        source, target = self.from_file, self.to_file
        if source.is_remote and not target.is_remote:
            return strategy.download(source, target)
        if target.is_remote and not source.is_remote:
            return strategy.upload(source, target)
        return strategy.cp(source, target)

    def to_spec(self, add_private: Callable[[Any, str], str]) -> TransferSpec:
        """The plain description the runtime runs; ``add_private(obj, what)`` stores a pickled part, giving its key."""
        source, target = self.from_file, self.to_file
        plan = self.strategy.plan() if self.strategy is not None else StrategyPlan()
        label = type(self.strategy).__name__ if self.strategy is not None else ""
        private = None
        if plan is None:  # a user's strategy: its own callable runs where the task runs
            assert self.strategy is not None
            private = add_private(self._custom_callable(self.strategy), f"file transfer strategy {label}")
            plan = StrategyPlan(engine="callable")
        elif plan.secrets:
            private = add_private(plan.secrets, f"secret options of file transfer strategy {label}")
        if plan.uses_paths:
            src, dst = source.filepath, target.filepath
            remote_side = "source" if source.is_remote else "destination" if target.is_remote else ""
            if not plan.options.get("host"):
                remote_side = ""
        else:
            src, dst = source.url, target.url
            remote_side = ""
        touch = tuple(f.filepath for f in (source, target) if f.is_temp_file)
        return TransferSpec(
            source=src,
            destination=dst,
            order=self.order.value,
            strategy=plan.engine,
            protocol=plan.protocol,
            options=plan.options,
            is_dir=source.is_dir,
            include_folder=source._include_folder,
            remote_side=remote_side,
            touch=touch,
            files_arg=(source.filepath, target.filepath),
            retries=self.retries,
            private=private,
            label=label,
        )

    def __repr__(self) -> str:
        ends = f"{self.from_file!r}, {self.to_file!r}"
        return f"FileTransfer({ends}, order={self.order.value!r}, strategy={self.strategy!r})"


def TransferFromRemote(  # Covalent's name
    from_filepath: str,
    to_filepath: str | None = None,
    strategy: FileTransferStrategy | None = None,
    order: Order | str = Order.BEFORE,
) -> FileTransfer:
    """A download before the task: ``from_filepath`` is remote (for rsync: on the strategy's host).

    As in Covalent, it always runs BEFORE the task (``order`` is accepted and ignored).
    """
    is_dir = from_filepath.endswith("/")
    if is_dir and not (to_filepath or "").endswith("/"):
        raise ValueError("Please specify a directory path (ending with '/') as the destination.")
    source = File(from_filepath, is_remote=True, is_dir=is_dir)
    target = File(to_filepath, is_dir=is_dir)
    return FileTransfer(from_file=source, to_file=target, order=Order.BEFORE, strategy=strategy)


def TransferToRemote(  # Covalent's name
    to_filepath: str,
    from_filepath: str | None = None,
    strategy: FileTransferStrategy | None = None,
    order: Order | str = Order.AFTER,
) -> FileTransfer:
    """An upload after the task: ``to_filepath`` is remote (for rsync: on the strategy's host).

    As in Covalent, it always runs AFTER the task (``order`` is accepted and ignored).
    """
    is_dir = bool(from_filepath and from_filepath.endswith("/"))
    if is_dir and not to_filepath.endswith("/"):
        raise ValueError("Please specify a directory path (ending with '/') as the destination.")
    source = File(from_filepath, is_dir=is_dir)
    target = File(to_filepath, is_remote=True, is_dir=is_dir)
    return FileTransfer(from_file=source, to_file=target, order=Order.AFTER, strategy=strategy)


def as_transfers(files: object) -> list[FileTransfer]:
    """Check the ``files=`` argument of an electron: a FileTransfer or a list of them."""
    if files is None:
        return []
    items = [files] if isinstance(files, FileTransfer) else files
    if not isinstance(items, list | tuple):
        raise TypeError(f"files= takes a list of ct.fs.FileTransfer objects, got {files!r}")
    for item in items:
        if not isinstance(item, FileTransfer):
            raise TypeError(f"files= takes ct.fs.FileTransfer objects, got {item!r}")
    return list(items)
