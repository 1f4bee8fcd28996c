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

from typing import TYPE_CHECKING, Any

from covalent import executor, status
from covalent._sdk.deps import DepsBash, DepsCall, DepsPip
from covalent._sdk.electron import Electron, electron, wait
from covalent._sdk.lattice import Lattice, lattice
from covalent._version import __version__
from covalent.errors import (
    CovalentError,
    DispatchNotFoundError,
    ExecutorNotFoundError,
    GraphBuildError,
    SerializationError,
    ServerError,
    ServerUnavailableError,
    TaskFailedError,
)

__all__ = [
    "CovalentError",
    "DepsBash",
    "DepsCall",
    "DepsPip",
    "DispatchNotFoundError",
    "Electron",
    "ExecutorNotFoundError",
    "GraphBuildError",
    "Lattice",
    "Result",
    "SerializationError",
    "ServerError",
    "ServerUnavailableError",
    "TaskFailedError",
    "__version__",
    "cancel",
    "dispatch",
    "dispatch_sync",
    "electron",
    "executor",
    "get_result",
    "lattice",
    "redispatch",
    "status",
    "wait",
]

# The client (httpx) loads on first use, so the server, which never needs it,
# starts faster.
_CLIENT = ("Result", "cancel", "dispatch", "dispatch_sync", "get_result", "redispatch")

if TYPE_CHECKING:
    from covalent.client import (  # type: ignore[no-redef]
        Result,
        cancel,
        dispatch,
        dispatch_sync,
        get_result,
        redispatch,
    )


def __getattr__(name: str) -> Any:
    if name in _CLIENT:
        import covalent.client as client

        return getattr(client, name)
    raise AttributeError(f"module 'covalent' has no attribute {name!r}")
