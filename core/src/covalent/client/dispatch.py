"""``ct.dispatch``, ``ct.dispatch_sync``, ``ct.get_result``, ``ct.redispatch``, ``ct.cancel``."""

from __future__ import annotations

import base64
import pickle
import sys
from collections.abc import Callable
from typing import Any

from covalent._sdk.lattice import Lattice
from covalent.client import finished
from covalent.client.connection import Connection, server_address
from covalent.client.result import Result, ResultOptions
from covalent.client.upload import framed_body, upload_parts
from covalent.errors import ServerError
from covalent.graph import dispatch_body
from covalent.graph.bundle import read_bundle
from covalent.graph.manifest import Manifest
from covalent.status import TERMINAL, Status

__all__ = ["cancel", "delete", "dispatch", "dispatch_sync", "get_result", "redispatch", "submit_manifest"]


#: How long the server may hold the answer to a dispatch for the dispatch's end: a short
#: workflow's result then comes with its id (one request instead of a dispatch and a wait);
#: a longer one's id comes at most this much later.
LINGER_SECONDS = 0.03
#: Only a graph this small is worth waiting for (a bigger one seldom ends within the linger).
LINGER_NODES = 64


def submit_manifest(
    manifest: Manifest,
    *,
    start: bool = True,
    reuse_from: str | None = None,
    dispatcher_addr: str | None = None,
    triggers: list[dict[str, Any]] | None = None,
) -> str:
    """Upload a manifest and its blobs in one request; return the dispatch id.

    ``triggers`` (their ``to_spec()`` forms) are registered with the dispatch,
    in the same request: then it is recorded without running.
    """
    # Unknown executor names fail their nodes when they would run, as in Covalent
    # (the API's default, for other clients, is to refuse the dispatch: HTTP 422).
    options: dict[str, Any] = {"start": start, "reuse_from": reuse_from, "unknown_executors": "fail_nodes"}
    if triggers:
        options["triggers"] = triggers
    elif start and len(manifest.graph) <= LINGER_NODES:
        options["linger"] = LINGER_SECONDS
    with Connection(dispatcher_addr, timeout=600) as conn:
        answer = _post_dispatch(conn, manifest, options)
        if "summary" in answer:  # it ended within the linger: get_result takes it from here
            finished.remember(conn.address, answer)
        return str(answer["dispatch_id"])


#: Servers that answered a framed dispatch body with 415 (older ones): sent multipart from then on.
_multipart_only: set[str] = set()


def _post_dispatch(conn: Connection, manifest: Manifest, options: dict[str, Any]) -> Any:
    """``POST /dispatches``: a small upload as one framed body, else (or to a server without it) multipart."""
    body = framed_body(manifest, options) if conn.address not in _multipart_only else None
    if body is not None:
        try:
            return conn.request(
                "POST", "/dispatches", content=body, headers={"Content-Type": dispatch_body.MEDIA_TYPE}
            ).json()
        except ServerError as exc:
            if exc.status_code != 415:
                raise
            _multipart_only.add(conn.address)
    return conn.request("POST", "/dispatches", files=upload_parts(manifest, options)).json()


def dispatch(
    orig_lattice: Lattice, dispatcher_addr: str | None = None, *, disable_run: bool = False
) -> Callable[..., str]:
    """``dispatch(lattice)(*args, **kwargs)`` sends the workflow; returns its dispatch id.

    With ``disable_run=True`` the dispatch is recorded but not started.  A
    lattice with ``triggers`` is recorded without running and its triggers
    registered: each of their events runs it (see :mod:`covalent.triggers`).
    """
    if not isinstance(orig_lattice, Lattice):
        raise TypeError(f"dispatch() needs a @ct.lattice, got {orig_lattice!r}")

    def wrapper(*args: Any, **kwargs: Any) -> str:
        manifest = orig_lattice.build_manifest(*args, **kwargs)
        triggers = list(getattr(orig_lattice, "triggers", []))  # a lattice pickled before triggers had none
        here = [t.to_spec() for t in triggers if not t.triggers_server_addr]
        dispatch_id = submit_manifest(
            manifest, start=not (disable_run or triggers), dispatcher_addr=dispatcher_addr, triggers=here
        )
        elsewhere = [t for t in triggers if t.triggers_server_addr]
        if elsewhere:
            from covalent.client.triggers import register_triggers

            holder = Connection(dispatcher_addr).address
            for trigger in elsewhere:
                register_triggers(
                    dispatch_id, [trigger.to_spec()], address=trigger.triggers_server_addr, dispatcher_addr=holder
                )
        return dispatch_id

    return wrapper


def dispatch_sync(orig_lattice: Lattice, dispatcher_addr: str | None = None) -> Callable[..., Result]:
    """``dispatch_sync(lattice)(*args, **kwargs)`` dispatches and waits for the :class:`Result`."""

    def wrapper(*args: Any, **kwargs: Any) -> Result:
        dispatch_id = dispatch(orig_lattice, dispatcher_addr)(*args, **kwargs)
        return get_result(dispatch_id, wait=True, dispatcher_addr=dispatcher_addr)

    return wrapper


#: Seconds one ``GET /dispatches/{id}/wait`` may be held by the server before it is asked again.
WAIT_SECONDS = 30


def _wait(conn: Connection, dispatch_id: str, progress: bool) -> dict[str, Any] | None:
    """Block until the dispatch ends.

    Returns the final event when it carries the dispatch's summary (then no
    further request is needed), else None.  Without a progress bar one plain
    request waits for the end (``/wait``); with one, the event stream brings
    the progress too.
    """
    if not progress:
        return _wait_plain(conn, dispatch_id)
    return _wait_streaming(conn, dispatch_id)


def _wait_plain(conn: Connection, dispatch_id: str) -> dict[str, Any] | None:
    """Ask the server to answer when the dispatch has ended, as many times as it takes.

    A plain JSON answer leaves the connection open for the next request; an
    event stream left before its end is closed (a new connection for every
    dispatch waited for, and the stream's set-up on the server).
    """
    while True:
        try:
            event = conn.get_json(f"/dispatches/{dispatch_id}/wait", params={"timeout": WAIT_SECONDS})
        except ServerError:
            raise
        except Exception:
            event = None  # the request broke (server restart?): check, then wait again
        if event is not None:
            if event.get("status") in TERMINAL:
                return event if "summary" in event else None
            continue  # still running when the server's wait ended
        summary = conn.get_json(f"/dispatches/{dispatch_id}")
        if summary["status"] in TERMINAL:
            return None


def _wait_streaming(conn: Connection, dispatch_id: str) -> dict[str, Any] | None:
    """Follow the server's event stream until the dispatch ends, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True)
    bar.start()
    task = bar.add_task(dispatch_id[:8], total=None)
    try:
        while True:
            try:
                for event in conn.stream_events({"dispatch_id": dispatch_id}):
                    if "completed" in event:
                        bar.update(task, completed=event["completed"], total=event.get("total"))
                    ours = event.get("kind") == "dispatch" and event.get("dispatch_id") == dispatch_id
                    if ours and event.get("status") in TERMINAL:
                        return event if "summary" in event else None
            except ServerError:
                raise
            except Exception:
                pass  # the stream broke (server restart?): check, then listen again
            summary = conn.get_json(f"/dispatches/{dispatch_id}")
            if summary["status"] in TERMINAL:
                return None
    finally:
        bar.stop()


def _status_only(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": summary["dispatch_id"],
        "status": Status(summary["status"]),
        "start_time": summary.get("started_at"),
        "end_time": summary.get("ended_at"),
    }


def get_result(
    dispatch_id: str,
    wait: bool = False,
    dispatcher_addr: str | None = None,
    status_only: bool = False,
    *,
    progress: bool | None = None,
    results_dir: str | None = None,
    workflow_output: bool = True,
    intermediate_outputs: bool = True,
    sublattice_results: bool = True,
    options: ResultOptions | None = None,
) -> Any:
    """The :class:`Result` of a dispatch (partial while it runs).

    ``wait=True`` blocks until it ends, following the server's event stream
    (with a progress bar in a terminal).  ``status_only=True`` returns just
    ``{"id": ..., "status": ..., "start_time": ..., "end_time": ...}``.

    Covalent's options: ``workflow_output``, ``intermediate_outputs`` and
    ``sublattice_results`` (False: the result, the node outputs, the
    sublattices' results read as None), and ``results_dir`` (a copy of the
    result is written to ``results_dir/<dispatch_id>/``).
    An unknown ``dispatch_id`` raises :class:`~covalent.DispatchNotFoundError`
    (Covalent's ``MissingLatticeRecordError``).
    """
    options = options or ResultOptions(workflow_output, intermediate_outputs, sublattice_results)
    result = _get_result(dispatch_id, wait, dispatcher_addr, status_only, progress, options)
    if results_dir and isinstance(result, Result):
        from covalent.client.local_copy import save_result

        save_result(result, results_dir)
    return result


def _get_result(
    dispatch_id: str,
    wait: bool,
    dispatcher_addr: str | None,
    status_only: bool,
    progress: bool | None,
    options: ResultOptions,
) -> Any:
    kept = finished.take(dispatch_id, server_address(dispatcher_addr) if dispatcher_addr else None)
    if kept is not None:  # ended with the answer that started it: nothing to ask
        return _ended(kept[1], kept[0], status_only, options)
    with Connection(dispatcher_addr, timeout=600) as conn:
        final = None
        if wait:
            show = sys.stderr.isatty() if progress is None else progress
            final = _wait(conn, dispatch_id, show)
        if final is not None:
            return _ended(final, conn.address, status_only, options)
        if status_only:
            return _status_only(conn.get_json(f"/dispatches/{dispatch_id}"))
        return Result.read(conn, dispatch_id, options)


def _ended(final: dict[str, Any], address: str, status_only: bool, options: ResultOptions) -> Any:
    """The result (or status) of an ended dispatch from its final event (summary and small output)."""
    summary = final["summary"]
    if status_only:
        return _status_only(summary)
    blobs = {}
    if final.get("output") and summary.get("output_key"):
        blobs[summary["output_key"]] = base64.b64decode(final["output"])
    return Result(summary, None, blobs, address, options)


def cancel(dispatch_id: str, task_ids: list[int] | None = None, dispatcher_addr: str | None = None) -> str:
    """Cancel a dispatch, or only the given task node ids of it."""
    body = {"task_ids": list(task_ids) if task_ids is not None else None}
    with Connection(dispatcher_addr) as conn:
        answer = conn.post_json(f"/dispatches/{dispatch_id}/cancel", body)
    return str(answer.get("message", "cancel requested"))


def delete(dispatch_id: str, dispatcher_addr: str | None = None) -> list[str]:
    """Delete an ended dispatch and its sublattice dispatches from the server; the ids deleted."""
    with Connection(dispatcher_addr) as conn:
        return list(conn.request("DELETE", f"/dispatches/{dispatch_id}").json()["deleted"])


def redispatch(dispatch_id: str, *args: Any, **kwargs: Any) -> Callable[..., str]:
    """``redispatch(id, ...)(*new_args, **new_kwargs)`` runs a stored workflow again.

    ``redispatch(dispatch_id, replace_electrons=None, reuse_previous_results=False,
    dispatcher_addr=None)``; Covalent's positional order ``(dispatch_id,
    dispatcher_addr, replace_electrons, reuse_previous_results)`` is accepted too.

    ``replace_electrons`` maps electron names to new functions or electrons.
    With ``reuse_previous_results``, a node whose code, inputs and upstream
    are all unchanged takes its stored output instead of running.  With no
    new arguments, the original inputs are used.
    """
    replace_electrons, reuse_previous_results, dispatcher_addr = _redispatch_arguments(args, kwargs)

    def wrapper(*args: Any, **kwargs: Any) -> str:
        with Connection(dispatcher_addr) as conn:
            if not args and not kwargs and not replace_electrons:
                # Same workflow, same inputs: the server copies it without an upload (the
                # option in the query: a request without a body goes out in one write).
                flag = {"reuse_previous_results": "true" if reuse_previous_results else "false"}
                answer = conn.request("POST", f"/dispatches/{dispatch_id}/redispatch", params=flag).json()
                if "summary" in answer:  # every node was reused: it has already ended
                    finished.remember(conn.address, answer)
                return str(answer["dispatch_id"])
            summary = conn.get_json(f"/dispatches/{dispatch_id}")
            keys = [summary["lattice"]["function"], summary["lattice"]["inputs"]]
            blobs = read_bundle(conn.request("POST", "/blobs/fetch", json={"keys": keys}).content, aliases=True)
        lattice_obj = pickle.loads(blobs[keys[0]])
        if not args and not kwargs:
            inputs = pickle.loads(blobs[keys[1]])
            args, kwargs = tuple(inputs["args"]), dict(inputs["kwargs"])
        manifest = lattice_obj.build_manifest(*args, replace_electrons=replace_electrons, **kwargs)
        return submit_manifest(
            manifest,
            reuse_from=dispatch_id if reuse_previous_results else None,
            dispatcher_addr=dispatcher_addr,
        )

    return wrapper


_OURS = ("replace_electrons", "reuse_previous_results", "dispatcher_addr")
_COVALENTS = ("dispatcher_addr", "replace_electrons", "reuse_previous_results")


def _redispatch_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, bool, str | None]:
    """(replace_electrons, reuse_previous_results, dispatcher_addr) from either positional order.

    Covalent's order puts the address first: a string there, a dict second or
    a bool third can only be Covalent's order.
    """
    covalent_order = (
        (len(args) >= 1 and isinstance(args[0], str))
        or (len(args) >= 2 and isinstance(args[1], dict))
        or (len(args) >= 3 and isinstance(args[2], bool))
    )
    names = _COVALENTS if covalent_order else _OURS
    if len(args) > len(names):
        raise TypeError(f"redispatch() takes at most {len(names) + 1} positional arguments")
    bound = dict(zip(names, args, strict=False))
    for name, value in kwargs.items():
        if name not in _OURS:
            raise TypeError(f"redispatch() got an unexpected keyword argument {name!r}")
        if name in bound:
            raise TypeError(f"redispatch() got multiple values for argument {name!r}")
        bound[name] = value
    reuse = bool(bound.get("reuse_previous_results", False))
    return bound.get("replace_electrons"), reuse, bound.get("dispatcher_addr")
