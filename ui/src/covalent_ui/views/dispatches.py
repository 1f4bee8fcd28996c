"""The dispatch list: search, status filter, sort and pagination (server-side)."""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from covalent.server.view import DISPATCH_SORTS, Snapshot
from covalent_ui.context import server_view
from covalent_ui.formatting import STATUSES
from covalent_ui.templating import page

__all__ = ["PAGE_SIZES", "ListQuery", "dispatch_list"]

PAGE_SIZES = (25, 50, 100, 200)


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return min(max(value, low), high)


class ListQuery:
    """The list's query parameters, parsed leniently (a bad value falls back to its default)."""

    def __init__(self, request: Request) -> None:
        q = request.query_params
        self.statuses = [s for s in q.getlist("status") if s in STATUSES]
        self.search = q.get("search", "").strip()[:256]
        self.sort = q.get("sort", "created") if q.get("sort") in DISPATCH_SORTS else "created"
        self.order = "asc" if q.get("order") == "asc" else "desc"
        self.limit = _int(q.get("limit"), 50, 1, max(PAGE_SIZES))
        self.page = _int(q.get("page"), 1, 1, 10**9)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def read(self, snapshot: Snapshot) -> tuple[list[dict[str, Any]], int]:
        items, total = snapshot.dispatches(
            status=self.statuses or None,
            search=self.search,
            sort=self.sort,
            order=self.order,
            limit=self.limit,
            offset=self.offset,
        )
        links = snapshot.trigger_links([d["dispatch_id"] for d in items])
        for item in items:
            item["triggers"] = links.get(item["dispatch_id"], {})
        return items, total


async def dispatch_list(request: Request) -> Response:
    """``GET /``: one page of dispatches (sublattice dispatches are reached from their parent)."""
    query = ListQuery(request)
    items, total = await server_view(request).read(query.read)
    pages = max(1, math.ceil(total / query.limit))
    return page(
        request,
        "dispatches.html",
        {
            "items": items,
            "total": total,
            "query": query,
            "pages": pages,
            "sorts": list(DISPATCH_SORTS),
            "page_sizes": PAGE_SIZES,
        },
    )
