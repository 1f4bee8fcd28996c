"""Exceptions raised by the SDK, the client and the server."""

from __future__ import annotations

__all__ = [
    "CovalentError",
    "DispatchNotFoundError",
    "ExecutorNotFoundError",
    "ExecutorOptionsError",
    "GraphBuildError",
    "ServerError",
    "ServerUnavailableError",
    "SerializationError",
    "TaskFailedError",
]


class CovalentError(Exception):
    """Base class of every error this package raises on purpose."""


class GraphBuildError(CovalentError):
    """The lattice could not be turned into a transport graph."""


class SerializationError(CovalentError):
    """A function or value could not be pickled or unpickled."""


class ExecutorNotFoundError(CovalentError):
    """A workflow names an executor that is not installed."""


class ExecutorOptionsError(CovalentError, TypeError):
    """An executor's constructor arguments cannot travel as JSON (the server never unpickles them)."""


class ServerUnavailableError(CovalentError):
    """No Covalent server answers at the configured address."""


class ServerError(CovalentError):
    """The server rejected a request; ``status_code`` and ``detail`` say why."""

    def __init__(self, message: str, status_code: int = 0, detail: object = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail


class DispatchNotFoundError(ServerError):
    """The server knows no dispatch with this id."""


class TaskFailedError(CovalentError):
    """A task failed; the message carries the task's own traceback."""
