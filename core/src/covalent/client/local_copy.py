"""A result written to a local folder (``get_result(..., results_dir=)``) and removed again.

Covalent downloaded a dispatch's files into ``results_dir/<dispatch_id>/``
and ``_delete_result`` removed that folder; the server's record stays.  Here
the folder holds ``result.json`` (the dispatch's record and its nodes') and
``blobs/<key>`` for the outputs that were read, so the result can be looked
at without the server.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from covalent import config

if TYPE_CHECKING:
    from covalent.client.result import Result

__all__ = ["delete_result", "save_result"]


def save_result(result: Result, results_dir: str | os.PathLike[str]) -> Path:
    """Write ``result`` to ``results_dir/<dispatch_id>/``; returns that folder."""
    folder = Path(results_dir) / result.dispatch_id
    (folder / "blobs").mkdir(parents=True, exist_ok=True)
    nodes = [dict(row) for _, row in sorted(result._nodes.items())]
    record = {"dispatch": result._summary, "nodes": nodes}
    (folder / "result.json").write_text(json.dumps(record, default=str))
    for key, data in result._blobs.items():
        (folder / "blobs" / key).write_bytes(data)
    result._results_dir = str(folder)
    return folder


def delete_result(
    dispatch_id: str, results_dir: str | os.PathLike[str] | None = None, remove_parent_directory: bool = False
) -> None:
    """Remove the local copy of a dispatch's result (the server's record stays), as Covalent's ``_delete_result``.

    ``results_dir`` defaults to :func:`covalent.config.results_dir`; an empty
    ``results_dir`` is removed too, and with ``remove_parent_directory`` it is
    removed whatever it holds.
    """
    base = Path(results_dir) if results_dir is not None else config.results_dir()
    shutil.rmtree(base / dispatch_id, ignore_errors=True)
    if remove_parent_directory:
        shutil.rmtree(base, ignore_errors=True)
        return
    try:
        base.rmdir()
    except OSError:  # not empty, or not there: both fine
        pass
