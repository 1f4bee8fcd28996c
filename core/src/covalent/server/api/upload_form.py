"""Reading a dispatch upload's multipart body, its graph's lines checked while they arrive.

Starlette's form parser keeps each file part in a spooled file, and the
graph of a large upload (its ``nodes`` and ``edges`` parts, JSON lines) was
read from those files only once the whole body had arrived: for the
100,000-electron map, about two seconds of checking before the answer that
could have run while the client was still sending.  This parser is
Starlette's, with each chunk of those two parts also handed, in the order
the parser meets it, to an :class:`~covalent.server.registration.ArrivingLines`
whose thread reads and checks the lines meanwhile.  The files are kept as
before: the stored manifest is written from them.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from covalent.server.registration import ArrivingLines

__all__ = ["read_upload"]


class _GraphFormParser(MultiPartParser):
    """Starlette's multipart parser, feeding the ``nodes`` and ``edges`` file parts to ``arriving``."""

    def __init__(self, headers: Headers, stream: Any, **limits: Any) -> None:
        super().__init__(headers, stream, **limits)
        self.arriving: ArrivingLines | None = None
        self._feeding: str | None = None  # the graph part the parser is in, if any
        self._seen: set[str] = set()

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        self._feeding = None
        name = self._current_part.field_name
        if name not in ArrivingLines.PARTS or self._current_part.file is None:
            return
        if name in self._seen:
            raise HTTPException(422, f"multipart field {name!r} is sent twice")
        self._seen.add(name)
        if self.arriving is None:
            self.arriving = ArrivingLines()
            self.arriving.start()
        self._feeding = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        super().on_part_data(data, start, end)
        if self._feeding is not None and self.arriving is not None:
            self.arriving.put(self._feeding, data[start:end])

    def on_part_end(self) -> None:
        super().on_part_end()
        if self._feeding is not None and self.arriving is not None:
            self.arriving.end(self._feeding)
        self._feeding = None


async def read_upload(request: Request, *, max_parts: int) -> tuple[FormData, ArrivingLines | None]:
    """The upload's form, and the check of its graph's lines (started as they arrived), if it sent them.

    A malformed body answers 400 (as Starlette's ``request.form()`` does); the
    check's thread is always ended, whatever happens to the body.
    """
    parser = _GraphFormParser(request.headers, request.stream(), max_files=max_parts, max_fields=max_parts)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(400, exc.message) from None
    finally:
        if parser.arriving is not None:
            parser.arriving.close()
    return form, parser.arriving
