"""The SDK's side of triggers: register them, stop them, list them, and run a dispatch as a trigger does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from covalent.client.connection import Connection
from covalent.status import Status

__all__ = ["list_triggers", "register_triggers", "start_or_redispatch", "stop_triggers"]


def register_triggers(
    dispatch_id: str,
    specs: Sequence[dict[str, Any]],
    *,
    address: str | None = None,
    dispatcher_addr: str | None = None,
) -> list[dict[str, Any]]:
    """Register triggers (their ``to_spec()`` forms) for ``dispatch_id`` on the server at ``address``.

    ``dispatcher_addr``: the server that holds the dispatch, when it is not
    the one observing the triggers (a ``covalent start --triggers-only`` server).
    """
    body = {"dispatch_id": dispatch_id, "triggers": list(specs), "dispatcher_addr": dispatcher_addr}
    with Connection(address) as conn:
        return list(conn.post_json("/triggers", body)["triggers"])


def stop_triggers(dispatch_ids: str | Sequence[str], triggers_server_addr: str | None = None) -> int:
    """Stop observing every trigger of the given dispatch id(s); how many were stopped.

    Runs already started go on.  (Covalent's ``ct.stop_triggers``.)
    """
    ids = [dispatch_ids] if isinstance(dispatch_ids, str) else list(dispatch_ids)
    with Connection(triggers_server_addr) as conn:
        return int(conn.post_json("/triggers/stop", {"dispatch_ids": ids})["stopped"])


def list_triggers(dispatch_id: str | None = None, address: str | None = None) -> list[dict[str, Any]]:
    """The server's triggers (of one dispatch), with their state, failure reason and counts."""
    params = {"dispatch_id": dispatch_id} if dispatch_id else {}
    with Connection(address) as conn:
        return list(conn.get_json("/triggers", params=params)["items"])


def start_or_redispatch(
    dispatch_id: str, dispatcher_addr: str | None = None, *, reuse_previous_results: bool = False
) -> str:
    """What a trigger event does: start the dispatch if it never ran, else run a copy; the run's id."""
    with Connection(dispatcher_addr) as conn:
        if conn.get_json(f"/dispatches/{dispatch_id}")["status"] == Status.NEW_OBJECT:
            conn.post_json(f"/dispatches/{dispatch_id}/start")
            return dispatch_id
        body = {"reuse_previous_results": reuse_previous_results}
        return str(conn.post_json(f"/dispatches/{dispatch_id}/redispatch", body)["dispatch_id"])
