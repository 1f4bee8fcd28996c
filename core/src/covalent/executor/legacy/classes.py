"""Covalent's executor base classes: what an executor written for Covalent subclasses.

Covalent's contract: the executor is built in the client (its attributes
travel as ``to_dict()``), then, per task, ``setup(task_metadata)``,
``run(function, args, kwargs, task_metadata)`` (``function(*args,
**kwargs)`` runs the task wherever the executor sends it and returns its
result), ``teardown(task_metadata)``; ``cancel(task_metadata, job_handle)``
stops a task whose handle it saved with ``set_job_handle``, and ``run`` may
ask ``get_cancel_requested()``.  Here ``run`` is called in a worker process
of the server (:mod:`covalent.executor.legacy.worker`), which gives the
instance a :class:`TaskLink` for those two calls.
"""

from __future__ import annotations

import asyncio
import copy
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

__all__ = ["AsyncBaseExecutor", "BaseExecutor", "CovalentExecutor", "RemoteExecutor", "TaskLink"]


class TaskLink(Protocol):
    """How a running executor reaches the server: the cancel flag and the job handle."""

    def cancel_requested(self) -> bool: ...

    def save_handle(self, handle_json: str) -> None: ...


class CovalentExecutor(ABC):  # noqa: B024 - its subclasses are the abstract ones
    """What Covalent's two base classes share (Covalent's ``_AbstractBaseExecutor``)."""

    SUPPORTS_MANAGED_EXECUTION = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Record the module's ``_EXECUTOR_PLUGIN_DEFAULTS`` (already defined above the class, as plugins do)."""
        super().__init_subclass__(**kwargs)
        import sys

        module = sys.modules.get(cls.__module__)
        defaults = getattr(module, "_EXECUTOR_PLUGIN_DEFAULTS", None)
        if isinstance(defaults, dict) and module is not None:
            from covalent import config

            config.add_executor_defaults(module.__name__.split("/")[-1].split(".")[-1], defaults)

    def __init__(
        self,
        log_stdout: str = "",
        log_stderr: str = "",
        cache_dir: str = "",
        time_limit: int = -1,
        retries: int = 0,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.log_stdout = log_stdout
        self.log_stderr = log_stderr
        self.cache_dir = cache_dir
        self.time_limit = time_limit
        self.retries = retries

    def short_name(self) -> str:
        """The executor's name: its module's last component (``covalent_ssh_plugin.ssh`` is "ssh")."""
        return type(self).__module__.split("/")[-1].split(".")[-1]

    def to_dict(self) -> dict[str, Any]:
        return {"type": str(type(self)), "short_name": self.short_name(), "attributes": self.__dict__.copy()}

    def from_dict(self, object_dict: dict[str, Any]) -> CovalentExecutor:
        """Replace this instance's attributes with those of a ``to_dict()``; returns self."""
        if object_dict:
            self.__dict__ = copy.deepcopy(object_dict["attributes"])
        return self

    @property
    def task_stdout(self) -> Any:
        return self.__dict__.get("_task_stdout")

    @property
    def task_stderr(self) -> Any:
        return self.__dict__.get("_task_stderr")

    # -- what the worker gives the instance -------------------------------------
    def _link(self) -> TaskLink | None:
        return self.__dict__.get("_covalent_link")

    def _cancel_requested(self) -> bool:
        link = self._link()
        return bool(link and link.cancel_requested())

    def _save_handle(self, handle: Any) -> bool:
        text = json.dumps(handle)
        link = self._link()
        if link is not None:
            link.save_handle(text)
        self.__dict__["_covalent_handle"] = text
        return True

    def _write_streams(
        self, stream_strings: Iterable[str], filepaths: Iterable[str], dispatch_id: str, results_dir: str
    ) -> None:
        for text, filepath in zip(stream_strings, filepaths, strict=False):
            if not filepath:
                continue
            path = Path(filepath).expanduser()
            if not path.is_absolute():
                path = Path(results_dir, dispatch_id, filepath)
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a") as f:
                f.write(text)


class BaseExecutor(CovalentExecutor):
    """Covalent's synchronous executor: override ``run`` (a blocking method)."""

    def setup(self, task_metadata: dict[str, Any]) -> Any:
        """Executor-specific preparation, before each task."""

    @abstractmethod
    def run(
        self, function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any], task_metadata: dict[str, Any]
    ) -> Any:
        """Run ``function(*args, **kwargs)`` somewhere and return its result."""

    def cancel(self, task_metadata: dict[str, Any], job_handle: Any) -> bool:
        """Stop the task identified by ``job_handle``; True if it was stopped."""
        return False

    def teardown(self, task_metadata: dict[str, Any]) -> Any:
        """Executor-specific clean-up, after each task."""

    def get_cancel_requested(self) -> bool:
        """Whether the user asked to cancel the task."""
        return self._cancel_requested()

    def set_job_handle(self, handle: Any) -> Any:
        """Save the backend's JSON-able handle of the task (for ``cancel``)."""
        return self._save_handle(handle)

    def get_version_info(self) -> dict[str, str]:
        import platform

        from covalent._version import __version__

        return {"python": platform.python_version(), "covalent": __version__}

    def write_streams_to_file(
        self, stream_strings: Iterable[str], filepaths: Iterable[str], dispatch_id: str, results_dir: str
    ) -> None:
        """Append the task's stdout and stderr to ``log_stdout``/``log_stderr`` (relative: under ``results_dir``)."""
        self._write_streams(stream_strings, filepaths, dispatch_id, results_dir)


class AsyncBaseExecutor(CovalentExecutor):
    """Covalent's asynchronous executor: ``run`` (and ``setup``, ``teardown``, ``cancel``) are coroutines."""

    async def setup(self, task_metadata: dict[str, Any]) -> Any:
        """Executor-specific preparation, before each task."""

    @abstractmethod
    async def run(
        self, function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any], task_metadata: dict[str, Any]
    ) -> Any:
        """Run ``function(*args, **kwargs)`` somewhere and return its result."""

    async def cancel(self, task_metadata: dict[str, Any], job_handle: Any) -> bool:
        """Stop the task identified by ``job_handle``; True if it was stopped."""
        return False

    async def teardown(self, task_metadata: dict[str, Any]) -> Any:
        """Executor-specific clean-up, after each task."""

    async def get_cancel_requested(self) -> bool:
        return await asyncio.to_thread(self._cancel_requested)

    async def set_job_handle(self, handle: Any) -> Any:
        return await asyncio.to_thread(self._save_handle, handle)

    async def get_version_info(self) -> dict[str, str]:
        import platform

        from covalent._version import __version__

        return {"python": platform.python_version(), "covalent": __version__}

    async def write_streams_to_file(
        self, stream_strings: Iterable[str], filepaths: Iterable[str], dispatch_id: str, results_dir: str
    ) -> None:
        await asyncio.to_thread(self._write_streams, list(stream_strings), list(filepaths), dispatch_id, results_dir)


class RemoteExecutor(AsyncBaseExecutor):
    """Covalent's base for executors that reach a remote machine or service (its abstract methods)."""

    def __init__(
        self,
        poll_freq: int = 15,
        remote_cache: str = "",
        credentials_file: str = "",
        covalent_version: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.poll_freq = poll_freq
        self.remote_cache = remote_cache
        self.credentials_file = credentials_file
        self.covalent_version = covalent_version

    @abstractmethod
    async def _validate_credentials(self) -> bool: ...

    @abstractmethod
    async def _upload_task(self) -> None: ...

    @abstractmethod
    async def submit_task(self, task_metadata: dict[str, Any]) -> Any: ...

    @abstractmethod
    async def get_status(self) -> Any: ...

    @abstractmethod
    async def _poll_task(self) -> Any: ...

    @abstractmethod
    async def query_result(self) -> Any: ...

    @abstractmethod
    async def cancel(self) -> bool:  # type: ignore[override]
        ...

    @staticmethod
    async def run_async_subprocess(cmd: str) -> tuple[Any, bytes, bytes]:
        """Run a shell command; ``(process, stdout, stderr)``."""
        proc = await asyncio.create_subprocess_shell(
            cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, stderr = await proc.communicate()
        return proc, stdout, stderr
