"""The dispatch list: overview counts, filters (status, name, dates, search), sort, pages; kept live.

``GET /`` is the page.  Its script keeps it current from the event stream
without reloading: ``GET /rows?ids=...`` (with the page's own filters)
answers the rows of those dispatches that match them, and
``GET /?fragment=1`` the table's body and the overview, to resync after the
stream reconnects.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.server.view import DISPATCH_SORTS, DispatchRecord, Overview, Snapshot, TriggerLinks
from covalent_ui.context import server_view
from covalent_ui.formatting import STATUSES
from covalent_ui.templating import page, render

__all__ = ["PAGE_SIZES", "ListQuery", "dispatch_list", "dispatch_rows", "start_of_today"]

PAGE_SIZES = (25, 50, 100, 200)
#: Rows one ``/rows`` request may ask for.
MAX_ROWS = 200


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return min(max(value, low), high)


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _seconds(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def start_of_today(now: float | None = None) -> float:
    """Midnight UTC of today, in UNIX seconds (what "today" means in the overview)."""
    today = datetime.fromtimestamp(time.time() if now is None else now, UTC).date()
    return _seconds(today)


class ListQuery:
    """The list's query parameters, parsed leniently (a bad value falls back to its default).

    ``from`` and ``to`` are days (``YYYY-MM-DD``, UTC), both included.
    """

    def __init__(self, request: Request) -> None:
        q = request.query_params
        self.statuses = [s for s in q.getlist("status") if s in STATUSES]
        self.search = q.get("search", "").strip()[:256]
        self.name = q.get("name", "").strip()[:256]
        self.day_from = _day(q.get("from"))
        self.day_to = _day(q.get("to"))
        self.sort = q.get("sort", "created") if q.get("sort") in DISPATCH_SORTS else "created"
        self.order = "asc" if q.get("order") == "asc" else "desc"
        self.limit = _int(q.get("limit"), 50, 1, max(PAGE_SIZES))
        self.page = _int(q.get("page"), 1, 1, 10**9)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.statuses or self.name or self.day_from or self.day_to)

    @property
    def newest_first(self) -> bool:
        """New dispatches belong at the top of this page (so the script may put them there)."""
        return self.sort == "created" and self.order == "desc" and self.page == 1

    def _filters(self) -> dict[str, Any]:
        return {
            "status": self.statuses or None,
            "search": self.search,
            "name": self.name,
            "created_after": _seconds(self.day_from) if self.day_from else None,
            "created_before": _seconds(self.day_to + timedelta(days=1)) if self.day_to else None,
        }

    def read(self, snapshot: Snapshot) -> tuple[Rows, int]:
        items, total = snapshot.dispatches(
            **self._filters(), sort=self.sort, order=self.order, limit=self.limit, offset=self.offset
        )
        return _with_triggers(snapshot, items), total

    def read_ids(self, snapshot: Snapshot, ids: list[str]) -> Rows:
        """Those of ``ids`` that match the filters (any page, any order)."""
        items, _ = snapshot.dispatches(**self._filters(), ids=ids, limit=len(ids) or 1)
        return _with_triggers(snapshot, items)


@dataclass(frozen=True, slots=True)
class Rows:
    """Dispatches of the list, and which of them have triggers or are a trigger's runs (by id)."""

    items: list[DispatchRecord]
    links: dict[str, TriggerLinks]


def _with_triggers(snapshot: Snapshot, items: list[DispatchRecord]) -> Rows:
    return Rows(items, snapshot.trigger_links([d.dispatch_id for d in items]))


def _overview(snapshot: Snapshot) -> Overview:
    return snapshot.overview(start_of_today())


async def dispatch_list(request: Request) -> Response:
    """``GET /``: one page of dispatches (sublattice dispatches are reached from their parent).

    ``?fragment=1``: the table's rows, the total and the overview as JSON (the script's resync).
    """
    query = ListQuery(request)

    def read(snapshot: Snapshot) -> tuple[Rows, int, Overview, list[str]]:
        rows, total = query.read(snapshot)
        return rows, total, _overview(snapshot), snapshot.lattice_names()

    rows, total, overview, names = await server_view(request).read(read)
    pages = max(1, math.ceil(total / query.limit))
    context = {
        "items": rows.items,
        "links": rows.links,
        "total": total,
        "query": query,
        "pages": pages,
        "sorts": list(DISPATCH_SORTS),
        "page_sizes": PAGE_SIZES,
        "overview": overview,
        "names": names,
    }
    if request.query_params.get("fragment") == "1":
        return JSONResponse(
            {
                "rows": render(request, "_rows.html", context),
                "overview": render(request, "_overview.html", context),
                "total": total,
            }
        )
    return page(request, "dispatches.html", context)


async def dispatch_rows(request: Request) -> Response:
    """``GET /rows?ids=a,b&<the list's filters>``: ``{rows: {id: html or null}, created, total}``.

    A dispatch that no longer matches the filters (or was deleted) answers null.
    ``overview=1`` adds the overview's HTML (the script asks for it at most once a second).
    """
    query = ListQuery(request)
    ids = [i for i in request.query_params.get("ids", "").split(",") if i][:MAX_ROWS]
    with_overview = request.query_params.get("overview") == "1"

    def read(snapshot: Snapshot) -> tuple[Rows, Overview | None, int]:
        _, total = snapshot.dispatches(**query._filters(), limit=1)
        found = query.read_ids(snapshot, ids) if ids else Rows([], {})
        return found, _overview(snapshot) if with_overview else None, total

    items, overview, total = await server_view(request).read(read)
    found = {d.dispatch_id: d for d in items.items}
    rows: dict[str, str | None] = {}
    for dispatch_id in ids:
        d = found.get(dispatch_id)
        shown = {"d": d, "links": items.links}
        rows[dispatch_id] = render(request, "_row.html", shown) if d is not None else None
    order = sorted(found.values(), key=lambda d: d.created_at)
    answer: dict[str, Any] = {"rows": rows, "created": [d.dispatch_id for d in order], "total": total}
    if overview is not None:
        answer["overview"] = render(request, "_overview.html", {"overview": overview})
    return JSONResponse(answer)
