"""Content-addressed blobs: inline in the database when small, files when large.

Small values (under ``inline_limit``, 64 KiB by default) live in the
``blobs`` table, so a node with a small output leaves no file on disk.
Larger ones are written to ``objects/<2 hex>/<key>`` (atomically, mode 0600,
in folders of mode 0700) before the row that names them is committed.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import Connection, Engine, select

from covalent.limits import LIMITS
from covalent.server.db.tables import blobs
from covalent.server.store.sql import insert_ignore

__all__ = ["BlobNotFoundError", "BlobStore", "shown", "small_blob"]


class BlobNotFoundError(KeyError):
    """No blob has this key."""


def small_blob(conn: Connection, key: str) -> bytes | None:
    """The blob if it is stored inline (small), else None; never reads a file."""
    return conn.execute(select(blobs.c.data).where(blobs.c.key == key)).scalar_one_or_none()


class BlobStore:
    def __init__(self, engine: Engine, root: Path, inline_limit: int = LIMITS.inline_value_bytes) -> None:
        self.engine = engine
        self.root = Path(root)
        self.inline_limit = inline_limit

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def _write_file(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def put_many(self, conn: Connection, items: Mapping[str, bytes], previews: Mapping[str, str] | None = None) -> None:
        """Store blobs inside the caller's transaction (files first, then rows).

        ``previews``: the text previews made where the values were, by key.
        """
        if not items:
            return
        now = time.time()
        previews = previews or {}
        rows = []
        for key, data in items.items():
            inline = len(data) <= self.inline_limit
            if not inline:
                self._write_file(key, data)
            preview = previews.get(key)
            rows.append(
                {
                    "key": key,
                    "size": len(data),
                    "data": data if inline else None,
                    "created_at": now,
                    "preview": preview.replace("\x00", "\ufffd") if preview else None,
                }
            )
        insert_ignore(conn, blobs, rows)

    def previews(self, conn: Connection, keys: Iterable[str]) -> dict[str, tuple[int, str | None]]:
        """``key -> (size, preview)`` of the stored ones of ``keys`` (never reads a value)."""
        keys = list(set(keys))
        found: dict[str, tuple[int, str | None]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            query = select(blobs.c.key, blobs.c.size, blobs.c.preview).where(blobs.c.key.in_(chunk))
            found.update((key, (size, preview)) for key, size, preview in conn.execute(query))
        return found

    def describe(self, conn: Connection, keys: Iterable[str]) -> dict[str, str]:
        """What to show for each value: its preview (made where the value was), else its size."""
        keys = list(keys)
        found = self.previews(conn, keys)
        return {key: shown(found.get(key)) for key in keys}

    def existing(self, conn: Connection | None, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are stored (``conn=None``: on a connection of its own)."""
        keys = list(set(keys))
        if conn is None:
            with self.engine.connect() as own:
                return self.existing(own, keys)
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            found.update(conn.execute(select(blobs.c.key).where(blobs.c.key.in_(chunk))).scalars())
        return found

    def get_many(self, keys: Iterable[str], conn: Connection | None = None) -> dict[str, bytes]:
        keys = list(dict.fromkeys(keys))
        result: dict[str, bytes] = {}
        if not keys:
            return result
        if conn is None:
            with self.engine.connect() as own:
                return self.get_many(keys, own)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            for key, data in conn.execute(select(blobs.c.key, blobs.c.data).where(blobs.c.key.in_(chunk))):
                result[key] = data if data is not None else self._path(key).read_bytes()
        missing = [k for k in keys if k not in result]
        if missing:
            raise BlobNotFoundError(
                f"no blob {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            )
        return result

    def get(self, key: str) -> bytes:
        return self.get_many([key])[key]

    def file_count(self) -> int:
        if not self.root.exists():
            return 0
        return sum(1 for p in self.root.rglob("*") if p.is_file())


def shown(found: tuple[int, str | None] | None) -> str:
    """A value's preview, else its size (``found``: what :meth:`BlobStore.previews` has for it)."""
    if found is None:
        return "<missing>"
    size, preview = found
    return preview if preview is not None else f"<{size} bytes; no preview>"
