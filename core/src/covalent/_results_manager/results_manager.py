"""Covalent's ``covalent._results_manager.results_manager``, over :mod:`covalent.client`."""

from __future__ import annotations

from typing import Any

from covalent.client import get_result
from covalent.client.dispatch import delete
from covalent.errors import DispatchNotFoundError

__all__ = ["_delete_result", "get_result"]


def _delete_result(dispatch_id: str, results_dir: Any = None, remove_parent_directory: bool = False) -> None:
    """Delete the dispatch's recorded result from the server (nothing to do if it is gone already).

    ``results_dir`` and ``remove_parent_directory`` named Covalent's result
    folders; results live in the server's database here, so they are ignored.
    """
    try:
        delete(dispatch_id)
    except DispatchNotFoundError:
        pass
