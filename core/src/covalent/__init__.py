"""Covalent: Pythonic workflows of electrons (tasks) and lattices (workflows).

import covalent as ct

@ct.electron
def add(x, y):
    return x + y

@ct.lattice
def workflow(a, b):
    return add(a, b)

dispatch_id = ct.dispatch(workflow)(1, 2)
print(ct.get_result(dispatch_id, wait=True).result)
"""

import importlib
from typing import TYPE_CHECKING, Any

from covalent import status
from covalent._version import __version__
from covalent.coinstall import warn_if_coinstalled
from covalent.errors import (
    CovalentError,
    DispatchNotFoundError,
    ExecutorNotFoundError,
    GraphBuildError,
    GraphBuildWarning,
    SerializationError,
    ServerError,
    ServerUnavailableError,
    TaskFailedError,
)

__all__ = [
    "CovalentError",
    "DepsBash",
    "DepsCall",
    "DepsModule",
    "DepsPip",
    "DispatchNotFoundError",
    "Electron",
    "ExecutorNotFoundError",
    "GraphBuildError",
    "GraphBuildWarning",
    "Lattice",
    "Lepton",
    "Result",
    "SerializationError",
    "ServerError",
    "ServerUnavailableError",
    "TaskFailedError",
    "TransportableObject",
    "__version__",
    "cancel",
    "covalent_start",
    "covalent_stop",
    "dispatch",
    "dispatch_sync",
    "electron",
    "executor",
    "fs",
    "fs_strategies",
    "get_config",
    "get_context",
    "get_result",
    "get_result_manager",
    "is_covalent_running",
    "lattice",
    "leptons",
    "redispatch",
    "reload_config",
    "set_config",
    "status",
    "stop_triggers",
    "triggers",
    "wait",
]

#: Names that are modules of their own (the rest are attributes of their module).
_MODULES = frozenset({"executor", "fs", "fs_strategies", "leptons", "triggers"})

#: Names loaded on first use, by module: the SDK and its executors (asyncio,
#: pluggy) and the client (httpx).  ``import covalent`` stays cheap for what
#: needs none of them: the command line (``covalent start``) and the server.
_LAZY = {
    "executor": "covalent.executor",
    "fs": "covalent._file_transfer",
    "fs_strategies": "covalent._file_transfer.strategies",
    **dict.fromkeys(("DepsBash", "DepsCall", "DepsModule", "DepsPip"), "covalent._sdk.deps"),
    "Electron": "covalent._sdk.electron",
    "electron": "covalent._sdk.electron",
    "wait": "covalent._sdk.electron",
    "Lattice": "covalent._sdk.lattice",
    "lattice": "covalent._sdk.lattice",
    "Lepton": "covalent._sdk.lepton",
    "leptons": "covalent.leptons",
    "triggers": "covalent.triggers",
    "stop_triggers": "covalent.client.triggers",
    **dict.fromkeys(("Result", "cancel", "dispatch", "dispatch_sync", "get_result", "redispatch"), "covalent.client"),
    # Covalent's top-level names.
    "TransportableObject": "covalent.graph.transportable",
    **dict.fromkeys(("get_config", "set_config", "reload_config"), "covalent.config_keys"),
    "get_context": "covalent.runtime.context",
    "get_result_manager": "covalent.client.result_manager",
    **dict.fromkeys(("covalent_start", "covalent_stop", "is_covalent_running"), "covalent.server.programmatic"),
}

# Agnostiq's `covalent` 0.x installed over or under us: say so, and how to fix it.
warn_if_coinstalled()

if TYPE_CHECKING:
    from covalent import _file_transfer as fs
    from covalent import executor, leptons, triggers
    from covalent._file_transfer import strategies as fs_strategies
    from covalent._sdk.deps import DepsBash, DepsCall, DepsModule, DepsPip
    from covalent._sdk.electron import Electron, electron, wait
    from covalent._sdk.lattice import Lattice, lattice
    from covalent._sdk.lepton import Lepton
    from covalent.client import (  # type: ignore[no-redef]
        Result,
        cancel,
        dispatch,
        dispatch_sync,
        get_result,
        redispatch,
    )
    from covalent.client.result_manager import get_result_manager
    from covalent.client.triggers import stop_triggers
    from covalent.config_keys import get_config, reload_config, set_config
    from covalent.graph.transportable import TransportableObject
    from covalent.runtime.context import get_context
    from covalent.server.programmatic import covalent_start, covalent_stop, is_covalent_running


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'covalent' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    value = loaded if name in _MODULES else getattr(loaded, name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
