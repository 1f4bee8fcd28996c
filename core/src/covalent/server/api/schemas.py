"""Request schemas (pydantic): every body and query is validated against one."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BlobKeys",
    "CancelRequest",
    "DispatchListQuery",
    "DispatchOptions",
    "RedispatchRequest",
    "StopTriggers",
    "TriggerModel",
    "TriggerRegistration",
]

_KEY = r"^[0-9a-f]{64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_ID = r"^[0-9A-Za-z._-]{1,64}$"
#: A value in a trigger's configuration: JSON scalars, or a short list of them (nothing deeper).
_Scalar = Annotated[str, Field(max_length=4096)] | int | float | bool | None
_ConfigValue = _Scalar | Annotated[list[_Scalar], Field(max_length=100)]


class TriggerPolicy(_Strict):
    max_concurrent: int | None = Field(default=None, ge=1, le=10_000)
    when_busy: Literal["queue", "skip"] = "queue"
    reuse_previous_results: bool = False


class TriggerModel(_Strict):
    """A trigger as ``BaseTrigger.to_spec()`` sends it: JSON only, built as a kind the server knows."""

    kind: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    config: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")], _ConfigValue] = Field(
        default_factory=dict, max_length=32
    )
    policy: TriggerPolicy = Field(default_factory=TriggerPolicy)


class DispatchOptions(_Strict):
    start: bool = True
    reuse_from: str | None = Field(default=None, pattern=_ID)
    #: A node naming an executor the server lacks: refuse the dispatch (422), or
    #: record it and fail that node when it would run (Covalent's way; the SDK asks for it).
    unknown_executors: Literal["reject", "fail_nodes"] = "reject"
    #: Registered with the dispatch, which is then recorded without running.
    triggers: list[TriggerModel] | None = Field(default=None, max_length=16)
    #: Seconds the answer may wait for the dispatch to end: one that ends by then is
    #: answered with its end (status, summary, small output), and nothing more need be asked.
    linger: float = Field(default=0.0, ge=0.0, le=1.0)


class TriggerRegistration(_Strict):
    dispatch_id: str = Field(pattern=_ID)
    triggers: list[TriggerModel] = Field(min_length=1, max_length=16)
    #: The server that holds the dispatch, when it is not this one.
    dispatcher_addr: str | None = Field(default=None, max_length=512, pattern=r"^https?://[^\s]+$|^[^\s/]+:[0-9]+$")


class StopTriggers(_Strict):
    dispatch_ids: list[Annotated[str, Field(pattern=_ID)]] | None = Field(default=None, max_length=10_000)
    trigger_ids: list[Annotated[str, Field(pattern=_ID)]] | None = Field(default=None, max_length=10_000)


class CancelRequest(_Strict):
    task_ids: list[Annotated[int, Field(ge=0, lt=2**31)]] | None = Field(default=None, max_length=1_000_000)


class RedispatchRequest(_Strict):
    reuse_previous_results: bool = False


class BlobKeys(_Strict):
    keys: list[str] = Field(max_length=200_000)


class DispatchListQuery(_Strict):
    status: list[Literal["NEW_OBJECT", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]] | None = None
    search: str = Field(default="", max_length=256, pattern=r"^[^\x00]*$")
    sort: Literal["created", "started", "ended", "name", "status", "duration"] = "created"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(default=50, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, lt=2**62)
    include_children: bool = False
    name: str = Field(default="", max_length=256, pattern=r"^[^\x00]*$")
    created_after: float | None = Field(default=None, ge=0, lt=1e11)
    created_before: float | None = Field(default=None, ge=0, lt=1e11)
