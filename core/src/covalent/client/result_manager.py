"""``ResultManager``: Covalent's handle on a dispatch's result and its downloaded files.

Covalent's ``get_result_manager(dispatch_id)`` gave an object whose
``result_object`` is the :class:`~covalent.client.result.Result` and whose
``download_*``/``load_*`` methods fetched its parts.  Here the Result fetches
what is read, when it is read; the methods fetch the same parts ahead.
"""

from __future__ import annotations

import os
from pathlib import Path

from covalent import config
from covalent.client.dispatch import get_result
from covalent.client.local_copy import save_result
from covalent.client.result import Result

__all__ = ["ResultManager", "get_result_manager"]


class ResultManager:
    def __init__(self, result: Result, results_dir: str | os.PathLike[str]) -> None:
        self.result_object = result
        self._results_dir = Path(results_dir)

    @staticmethod
    def from_dispatch_id(
        dispatch_id: str, results_dir: str | os.PathLike[str], wait: bool = False, dispatcher_addr: str | None = None
    ) -> ResultManager:
        return ResultManager(get_result(dispatch_id, wait=wait, dispatcher_addr=dispatcher_addr), results_dir)

    def download_result_asset(self, key: str) -> None:
        """Fetch the workflow's ``result`` (other keys are in the dispatch's record already)."""
        if key == "result":
            _ = self.result_object.result

    load_result_asset = download_result_asset

    def download_node_asset(self, node_id: int, key: str) -> None:
        """Fetch a node's ``output`` (other keys are in the node's record already)."""
        if key == "output":
            self.result_object.node_output(node_id)

    load_node_asset = download_node_asset

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the result to ``path`` (default: the results folder it was opened with)."""
        return save_result(self.result_object, Path(path) if path is not None else self._results_dir)


def get_result_manager(
    dispatch_id: str,
    results_dir: str | os.PathLike[str] | None = None,
    wait: bool = False,
    dispatcher_addr: str | None = None,
) -> ResultManager:
    folder = Path(results_dir) if results_dir else config.results_dir()
    return ResultManager.from_dispatch_id(dispatch_id, folder, wait, dispatcher_addr)
