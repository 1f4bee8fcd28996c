"""What a worker process of the server runs for a job of a Covalent-contract executor.

Covalent ran an executor's ``run`` in its dispatcher process and unpickled
what came back there.  Here the server never unpickles user bytes, so that
part of Covalent's dispatcher runs in a worker process the server owns
(:mod:`covalent.executor.pool`): it unpacks the job's payload into
``function, args, kwargs`` (``function`` is
:func:`covalent.runtime.taskcall.run_task` bound to the node), builds the
executor from its recorded attributes (or, for ``executor="<name>"``, from
its defaults and config section, as Covalent did), runs ``setup``, ``run``
and ``teardown`` as Covalent did, and returns the node's outcome bytes.
What the executor itself prints (and writes to ``task_stdout`` /
``task_stderr``) is added to the node's stdout and stderr.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import os
import pickle
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from covalent.executor.legacy.channel import JobChannel
from covalent.executor.legacy.classes import CovalentExecutor
from covalent.executor.legacy.discovery import LegacyPlugin, build
from covalent.runtime.outcome import JobOutcome, NodeOutcome
from covalent.runtime.spec import JobSpec
from covalent.runtime.taskcall import TaskCall, make_function
from covalent.status import Status

__all__ = ["cancel_task", "run_job"]


def _instance(plugin: LegacyPlugin, config: dict[str, Any]) -> CovalentExecutor:
    cls = plugin.load_class()
    attributes = config.get("attributes")
    if attributes is None:
        instance = build(plugin, cls, **(config.get("init_kwargs") or {}))
    else:
        instance = cls.__new__(cls)
        instance.from_dict({"attributes": attributes})
    cache = getattr(instance, "cache_dir", "")
    if cache and isinstance(cache, str | os.PathLike):  # Covalent made its cache folder; executors write there
        Path(cache).expanduser().mkdir(parents=True, exist_ok=True)
    return instance


def _call(instance: CovalentExecutor, name: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(instance, name)(*args, **kwargs)
    if inspect.isawaitable(result):
        return asyncio.run(_await(result))
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _lifecycle(instance: Any, function: Any, args: list[Any], kwargs: dict[str, Any], metadata: dict[str, Any]) -> Any:
    """Covalent's ``execute``: setup, run, teardown (teardown even if run raised)."""
    if inspect.iscoroutinefunction(instance.run):

        async def go() -> Any:
            await instance.setup(task_metadata=metadata)
            try:
                return await instance.run(function, args, kwargs, metadata)
            finally:
                await instance.teardown(task_metadata=metadata)

        return asyncio.run(go())
    instance.setup(task_metadata=metadata)
    try:
        return instance.run(function, args, kwargs, metadata)
    finally:
        instance.teardown(task_metadata=metadata)


def _inputs(spec: JobSpec) -> tuple[list[Any], dict[str, Any]]:
    (node,) = spec.nodes

    def value(ref: Any) -> Any:
        if ref.blob is None:
            raise RuntimeError(f"node {node.node_id} takes the output of node {ref.node} of the same job")
        return pickle.loads(spec.values[ref.blob])

    return [value(r) for r in node.args], {k: value(r) for k, r in node.kwargs.items()}


def _outcome(node_id: int, result: Any) -> JobOutcome:
    """The outcome ``run_task`` returned, or, for an executor that returned a value of its own, that value."""
    if isinstance(result, bytes):
        try:
            outcome = JobOutcome.from_bytes(result)
        except Exception:
            outcome = None
        if outcome is not None and [n.node_id for n in outcome.nodes] == [node_id]:
            return outcome
    import cloudpickle

    from covalent.runtime.preview import preview_text

    node = NodeOutcome(node_id, Status.COMPLETED, output=cloudpickle.dumps(result), preview=preview_text(result))
    return JobOutcome([node])


def run_job(payload: bytes, config: dict[str, Any]) -> bytes:
    """Run one job (one node) through the executor; the outcome's bytes.  Raises if the executor failed."""
    channel = JobChannel(config["channel"])
    channel.save_pid()
    plugin = LegacyPlugin.from_json(config["plugin"])
    spec = pickle.loads(payload)
    if not isinstance(spec, JobSpec) or len(spec.nodes) != 1:
        raise RuntimeError("a Covalent-contract executor runs jobs of exactly one node")
    node = spec.nodes[0]
    args, kwargs = _inputs(spec)
    function = make_function(TaskCall(spec.dispatch_id, node, dict(spec.functions), dict(spec.versions)))
    metadata = {"dispatch_id": spec.dispatch_id, "node_id": node.node_id, "results_dir": channel.results_dir}
    Path(channel.results_dir, spec.dispatch_id).mkdir(parents=True, exist_ok=True)
    out, err = io.StringIO(), io.StringIO()
    try:
        instance = _instance(plugin, config)
        instance.__dict__.update(_covalent_link=channel, _task_stdout=io.StringIO(), _task_stderr=io.StringIO())
        with redirect_stdout(out), redirect_stderr(err):
            result = _lifecycle(instance, function, args, kwargs, metadata)
    except BaseException as exc:  # the executor failed the task as a whole
        said = (out.getvalue() + err.getvalue()).strip()
        raise RuntimeError(
            f"{plugin.executor_name} ({plugin.class_name}) raised {type(exc).__name__}: {exc}\n\n"
            + "".join(traceback.format_exception(exc))
            + (f"\n--- what the executor printed ---\n{said[-20000:]}" if said else "")
        ) from None
    outcome = _outcome(node.node_id, result)
    extra_out = instance.task_stdout.getvalue() + out.getvalue()
    extra_err = instance.task_stderr.getvalue() + err.getvalue()
    for done in outcome.nodes:
        done.stdout += extra_out
        done.stderr += extra_err
        try:
            _call(
                instance,
                "write_streams_to_file",
                (done.stdout, done.stderr),
                (instance.log_stdout, instance.log_stderr),
                spec.dispatch_id,
                channel.results_dir,
            )
        except Exception:  # log files are a courtesy; the outcome matters
            pass
    return outcome.to_bytes()


def cancel_task(config: dict[str, Any], handle: Any) -> bool:
    """Covalent's ``_cancel``: the executor's ``cancel(task_metadata, job_handle)``, then ``teardown``."""
    plugin = LegacyPlugin.from_json(config["plugin"])
    instance = _instance(plugin, config)
    metadata = {
        "dispatch_id": config["dispatch_id"],
        "node_id": config["node_id"],
        "results_dir": config["results_dir"],
    }
    try:
        stopped = bool(_call(instance, "cancel", metadata, handle))
    except (TypeError, NotImplementedError):  # an executor that cannot cancel (covalent-ssh-plugin's cancel())
        return False
    try:
        _call(instance, "teardown", task_metadata=metadata)
    except Exception:
        pass
    return stopped
