"""Exceptions raised by the SDK, the client and the server."""

from __future__ import annotations

__all__ = [
    "CommandNotFoundError",
    "CovalentError",
    "DispatchNotFoundError",
    "ExecutorNotFoundError",
    "ExecutorOptionsError",
    "GraphBuildError",
    "GraphBuildWarning",
    "MissingLatticeRecordError",
    "ServerError",
    "ServerUnavailableError",
    "SerializationError",
    "SettingError",
    "TaskCancelledError",
    "TaskFailedError",
    "TaskRuntimeError",
]


class CovalentError(Exception):
    """Base class of every error this package raises on purpose."""


class GraphBuildError(CovalentError):
    """The lattice could not be turned into a transport graph."""


class GraphBuildWarning(UserWarning):
    """Something in a lattice body behaves as Covalent does, which is probably not what was meant."""


class SerializationError(CovalentError):
    """A function or value could not be pickled or unpickled."""


class ExecutorNotFoundError(CovalentError):
    """A workflow names an executor that is not installed."""


class ExecutorOptionsError(CovalentError, TypeError):
    """An executor's constructor arguments cannot travel as JSON (the server never unpickles them)."""


class SettingError(CovalentError, ValueError):
    """A setting's value is not of its kind; the message names the setting, the value and what was expected."""


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


# -- Covalent's names for the same errors (``covalent._shared_files.exceptions``) --

#: Covalent raises this for an unknown dispatch id; it is our DispatchNotFoundError itself,
#: so ``except MissingLatticeRecordError`` and ``except DispatchNotFoundError`` catch the same.
MissingLatticeRecordError = DispatchNotFoundError


class TaskRuntimeError(TaskFailedError):
    """Covalent's name for a task that raised."""


class TaskCancelledError(CovalentError):
    """A task was cancelled before it ended."""


class CommandNotFoundError(CovalentError):
    """A command a task or a dependency needs is not installed where it runs."""
