"""Covalent's import paths: each exists, gives this project's own objects, and holds no logic."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import covalent

SRC = Path(covalent.__file__).resolve().parent
DISPATCHER_FACE = Path(importlib.import_module("covalent_dispatcher").__file__).resolve().parent

#: Covalent's path and name -> the object of ours it must be.
FACES = {
    ("covalent._results_manager", "Result"): "covalent.client.result:Result",
    ("covalent._results_manager.result", "Result"): "covalent.client.result:Result",
    ("covalent._results_manager.results_manager", "get_result"): "covalent.client.dispatch:get_result",
    ("covalent._results_manager.results_manager", "_delete_result"): "covalent.client.local_copy:delete_result",
    ("covalent._results_manager.results_manager", "get_result_manager"): (
        "covalent.client.result_manager:get_result_manager"
    ),
    ("covalent._workflow.lattice", "Lattice"): "covalent._sdk.lattice:Lattice",
    ("covalent._workflow.electron", "Electron"): "covalent._sdk.electron:Electron",
    ("covalent._workflow.transport", "TransportableObject"): "covalent.graph.transportable:TransportableObject",
    ("covalent._workflow.transport", "_TransportGraph"): "covalent.graph.transport_graph:TransportGraph",
    ("covalent._workflow.depsbash", "DepsBash"): "covalent._sdk.deps:DepsBash",
    ("covalent._workflow.depsmodule", "DepsModule"): "covalent._sdk.deps:DepsModule",
    ("covalent._dispatcher_plugins.local", "LocalDispatcher"): "covalent.client.local_dispatcher:LocalDispatcher",
    ("covalent._shared_files.config", "get_config"): "covalent.config_keys:get_config",
    ("covalent._shared_files.config", "set_config"): "covalent.config_keys:set_config",
    ("covalent._shared_files.config", "reload_config"): "covalent.config_keys:reload_config",
    ("covalent._shared_files.exceptions", "MissingLatticeRecordError"): "covalent.errors:DispatchNotFoundError",
    ("covalent._shared_files.logger", "app_log"): "covalent.log:app_log",
    ("covalent._shared_files.utils", "get_serialized_function_str"): "covalent._sdk.source:function_source",
    ("covalent._shared_files.util_classes", "Status"): "covalent.status:Status",
    ("covalent._file_transfer.enums", "Order"): "covalent._sdk.transfer:Order",
    ("covalent_dispatcher._cli.cli", "cluster"): "covalent_dask.cli:cluster",
    ("covalent_dispatcher._cli.service", "_get_cluster_size"): "covalent_dask.admin:cluster_size",
    ("covalent_dispatcher._service.app_dask", "DaskAdminWorker"): "covalent_dask.admin:AdminThread",
}


def _ours(target: str) -> object:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize(("path", "name"), sorted(FACES))
def test_each_legacy_name_is_ours(path: str, name: str) -> None:
    assert getattr(importlib.import_module(path), name) is _ours(FACES[(path, name)])


def test_the_status_set_is_covalents_whole_set() -> None:
    from covalent._shared_files.util_classes import RESULT_STATUS

    names = {
        "NEW_OBJECT", "STARTING", "PENDING_REUSE", "PENDING_REPLACEMENT", "RUNNING", "DISPATCHING",
        "POSTPROCESSING", "PENDING_POSTPROCESSING", "POSTPROCESSING_FAILED", "COMPLETED", "FAILED", "CANCELLED",
    }  # fmt: skip
    assert {name for name in names if getattr(RESULT_STATUS, name) == name} == names
    assert RESULT_STATUS.is_terminal("CANCELLED") and not RESULT_STATUS.is_terminal(RESULT_STATUS.RUNNING)
    assert RESULT_STATUS.COMPLETED.STATUS == "COMPLETED" and covalent._results_manager.Result.FAILED == "FAILED"


def test_top_level_names_of_covalent() -> None:
    for name in ("get_config", "set_config", "reload_config", "get_context", "covalent_start", "covalent_stop"):
        assert callable(getattr(covalent, name)), name
    assert covalent.TransportableObject(3).get_deserialized() == 3
    assert covalent.executor._executor_manager.list_executors(print_names=False)[0] in ("dask", "local")


def _face_modules() -> list[Path]:
    roots = [SRC / name for name in ("_results_manager", "_workflow", "_dispatcher_plugins", "_shared_files")]
    return sorted(p for root in [*roots, DISPATCHER_FACE] for p in root.rglob("*.py"))


def _is_thin(tree: ast.Module) -> list[str]:
    """What in a module is more than imports, ``__all__`` and names bound to imported names."""
    found = []
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        names_only = isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets)
        if names_only and isinstance(node.value, ast.List | ast.Name | ast.Attribute):
            continue  # __all__, or another name for an imported object
        found.append(f"line {node.lineno}: {type(node).__name__}")
    return found


@pytest.mark.parametrize("path", _face_modules(), ids=lambda p: str(p.relative_to(p.parents[2])))
def test_faces_hold_no_logic(path: Path) -> None:
    assert _is_thin(ast.parse(path.read_text())) == []
