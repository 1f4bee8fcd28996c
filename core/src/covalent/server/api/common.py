"""Helpers shared by the API modules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection
from starlette.exceptions import HTTPException
from starlette.requests import Request

from covalent.server.state import ServerState

__all__ = ["committed", "parse_body", "read_db", "server_state", "stored_values"]

#: How long a request waits for its change to be committed before answering 503.
COMMIT_TIMEOUT = 30.0
#: More time a write is given for each row it inserts (see :func:`committed`).
COMMIT_SECONDS_PER_ROW = 250e-6

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

T = TypeVar("T")
M = TypeVar("M", bound="BaseModel")


def server_state(request: Request) -> ServerState:
    return request.app.state.covalent


async def read_db(request: Request, fn: Callable[[Connection], T]) -> T:
    """Run a read on a connection in a worker thread (SQLite readers never block writers)."""
    engine = server_state(request).engine

    def run() -> T:
        with engine.connect() as conn:
            return fn(conn)

    return await asyncio.to_thread(run)


async def committed(request: Request, future: asyncio.Future[None], *, rows: int = 0) -> None:
    """Wait for a queued write; 503 if the database cannot take it now (it is still retried).

    ``rows``: how many rows the write inserts; each adds :data:`COMMIT_SECONDS_PER_ROW` to the
    wait (a million-node dispatch takes longer than the timeout to insert on a busy machine).
    """
    try:
        timeout = float(server_state(request).settings["server"].get("commit_timeout", COMMIT_TIMEOUT))
        await asyncio.wait_for(asyncio.shield(future), timeout + rows * COMMIT_SECONDS_PER_ROW)
    except TimeoutError:
        error = server_state(request).writer.last_error or "the database is not answering"
        raise HTTPException(503, f"the database cannot record this now ({error}); try again later") from None


def _describe(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]


async def parse_body(request: Request, model: type[M], *, optional: bool = False) -> M:
    from pydantic import ValidationError

    body = await request.body()
    if not body.strip():
        if optional:
            return model()
        raise HTTPException(422, "request body is required")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise HTTPException(422, detail=_describe(exc)) from None  # type: ignore[arg-type]


def parse_query(request: Request, model: type[M]) -> M:
    from pydantic import ValidationError

    params: dict[str, Any] = {}
    for key in request.query_params:
        if key == "token":
            continue  # an access token (see TokenAuth), not a parameter of the route
        values = request.query_params.getlist(key)
        params[key] = values if len(values) > 1 or key == "status" else values[0]
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise HTTPException(422, detail=_describe(exc)) from None  # type: ignore[arg-type]


async def stored_values(request: Request, keys: list[str]) -> tuple[dict[str, bytes], dict[str, str]]:
    """The bytes of ``keys`` (and the digests of those not named by their hash).

    A value still held by reference is waited for until it is stored.

    404 for a key with no blob, 410 for a value lost before it was stored,
    503 when storing it takes longer than the commit timeout.
    """
    from covalent.executor.jobs import HeldValueLost
    from covalent.server.store.blobs import BlobLostError, BlobNotFoundError, BlobPendingError

    state = server_state(request)
    for _ in range(3):
        try:
            return await asyncio.to_thread(state.blobs.read_many, keys)
        except BlobLostError as exc:
            raise HTTPException(410, str(exc)) from None
        except BlobPendingError as exc:
            try:
                await asyncio.wait_for(state.dispatcher.services.held.stored(exc.key), COMMIT_TIMEOUT)
            except HeldValueLost as lost:
                raise HTTPException(410, f"value {exc.key} was lost before it was stored: {lost}") from None
            except TimeoutError:
                raise HTTPException(503, f"{exc}; try again later") from None
        except BlobNotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
    raise HTTPException(503, f"value {keys[0]} is not stored yet; try again later")
