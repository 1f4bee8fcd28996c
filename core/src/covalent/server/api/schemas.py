"""Request schemas (pydantic): every body and query is validated against one."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BlobKeys", "CancelRequest", "DispatchListQuery", "DispatchOptions", "RedispatchRequest"]

_KEY = r"^[0-9a-f]{64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DispatchOptions(_Strict):
    start: bool = True
    reuse_from: str | None = Field(default=None, pattern=r"^[0-9A-Za-z._-]{1,64}$")


class CancelRequest(_Strict):
    task_ids: list[Annotated[int, Field(ge=0, lt=2**31)]] | None = Field(default=None, max_length=1_000_000)


class RedispatchRequest(_Strict):
    reuse_previous_results: bool = False


class BlobKeys(_Strict):
    keys: list[str] = Field(max_length=200_000)


class DispatchListQuery(_Strict):
    status: list[Literal["NEW_OBJECT", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]] | None = None
    search: str = Field(default="", max_length=256, pattern=r"^[^\x00]*$")
    sort: Literal["created", "started", "ended", "name", "status"] = "created"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(default=50, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, lt=2**62)
    include_children: bool = False
