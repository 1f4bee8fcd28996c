"""Content-addressed blobs: inline in the database when small, files when large.

Small values (under ``inline_limit``, 64 KiB by default) live in the
``blobs`` table, so a node with a small output leaves no file on disk.
Larger ones are written to ``objects/<2 hex>/<key>`` (atomically, mode 0600,
in folders of mode 0700) before the row that names them is committed.

A value handed on by reference (:mod:`covalent.runtime.held`) is recorded
before its bytes are here: its row has no data and a ``location`` (where it
is held), and reading it raises :class:`BlobPendingError` until
:meth:`BlobStore.write_held` and :meth:`BlobStore.mark_persisted` have stored
it, or :class:`BlobLostError` when it was lost first.  Its key is not its
hash, so its row carries the ``digest`` of the bytes (BLAKE3, see
:mod:`covalent.runtime.digests`; SHA-256 for values stored before revision 0009).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import Connection, Engine, select, update

from covalent.limits import LIMITS
from covalent.runtime.digests import SHA256, Digest, blake3_hasher, digest_of
from covalent.server.db.tables import blobs
from covalent.server.store.models import HeldRow
from covalent.server.store.sql import insert_ignore

__all__ = ["BlobLostError", "BlobNotFoundError", "BlobPendingError", "BlobStore", "shown", "small_blob"]

#: Blob rows inserted per statement.
_ROWS_PER_INSERT = 5000


class BlobNotFoundError(KeyError):
    """No blob has this key."""


class BlobPendingError(BlobNotFoundError):
    """The value is recorded but still held where it was made; its bytes are not stored yet."""

    def __init__(self, key: str, location: dict[str, object]) -> None:
        super().__init__(key)
        self.key = key
        self.location = location

    def __str__(self) -> str:
        return f"value {self.key} is held by {self.location.get('holder')} and not stored yet"


class BlobLostError(BlobNotFoundError):
    """The value was held by reference and lost before it was stored (its worker went away)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(key)
        self.key = key
        self.reason = reason

    def __str__(self) -> str:
        return f"value {self.key} was lost before it was stored: {self.reason}; redispatch to compute it again"


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
        rows: list[dict[str, object]] = []
        for key, data in items.items():
            if len(rows) >= _ROWS_PER_INSERT:  # in chunks: a million blobs are not a million rows at once
                insert_ignore(conn, blobs, rows)
                rows = []
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

    # -- values handed on by reference ------------------------------------------------
    def put_held(self, conn: Connection, rows: Iterable[tuple[str, int, str, dict[str, object]]]) -> None:
        """Record values held elsewhere: ``(key, size, preview, location)`` each (no bytes yet)."""
        now = time.time()
        insert_ignore(
            conn,
            blobs,
            [
                {
                    "key": key,
                    "size": size,
                    "data": None,
                    "created_at": now,
                    "preview": preview.replace("\x00", "\ufffd") if preview else None,
                    "location": json.dumps(location),
                }
                for key, size, preview, location in rows
            ],
        )

    def file_path(self, key: str) -> Path:
        """Where a large value's file is (or goes)."""
        return self._path(key)

    def held_target(self, key: str) -> Path:
        """A fresh temporary path beside a held value's file, for an executor to write it to."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path.with_name(f".tmp-{key}-{os.urandom(4).hex()}")

    def adopt_held(self, key: str, written: Path) -> int:
        """Move the file an executor wrote (:meth:`held_target`) into place; its size."""
        size = written.stat().st_size
        os.chmod(written, 0o600)
        os.replace(written, self._path(key))
        return size

    def write_held(self, key: str, data: bytes) -> str:
        """Write a held value's bytes to its file (no transaction: call from a thread); their digest."""
        digest = digest_of(blake3_hasher(data))
        self._write_file(key, data)
        return digest

    def mark_persisted(self, conn: Connection, key: str, digest: str, size: int) -> None:
        """The held value's file (``size`` bytes) is written: its row now reads like any stored blob's.

        ``digest``: its text (:class:`~covalent.runtime.digests.Digest`); the row keeps the hex and the algorithm.
        """
        parsed = Digest.parse(digest)
        algorithm = None if parsed.algorithm == SHA256 else parsed.algorithm
        conn.execute(
            update(blobs)
            .where(blobs.c.key == key)
            .values(location=None, digest=parsed.value.hex(), digest_algorithm=algorithm, size=size)
        )

    def mark_lost(self, conn: Connection, key: str, reason: str) -> None:
        conn.execute(
            update(blobs)
            .where(blobs.c.key == key, blobs.c.location.is_not(None))
            .values(location=json.dumps({"lost": reason}))
        )

    def held_rows(self, conn: Connection) -> list[HeldRow]:
        """Every value recorded but not stored (held, or lost): key, size and location."""
        query = select(blobs.c.key, blobs.c.size, blobs.c.location).where(blobs.c.location.is_not(None))
        return [HeldRow(key, size, json.loads(location)) for key, size, location in conn.execute(query)]

    def get_many(self, keys: Iterable[str], conn: Connection | None = None) -> dict[str, bytes]:
        return self.read_many(keys, conn)[0]

    def read_many(self, keys: Iterable[str], conn: Connection | None = None) -> tuple[dict[str, bytes], dict[str, str]]:
        """The bytes of ``keys``, and the digest of those whose key is not their hash.

        Raises :class:`BlobNotFoundError` (or its :class:`BlobPendingError` and
        :class:`BlobLostError` forms for values handed on by reference).
        """
        keys = list(dict.fromkeys(keys))
        result: dict[str, bytes] = {}
        digests: dict[str, str] = {}
        if not keys:
            return result, digests
        if conn is None:
            with self.engine.connect() as own:
                return self.read_many(keys, own)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            columns = (blobs.c.key, blobs.c.data, blobs.c.location, blobs.c.digest, blobs.c.digest_algorithm)
            for key, data, location, digest, algorithm in conn.execute(select(*columns).where(blobs.c.key.in_(chunk))):
                if location is not None:
                    where = json.loads(location)
                    if "lost" in where:
                        raise BlobLostError(key, str(where["lost"]))
                    raise BlobPendingError(key, where)
                result[key] = data if data is not None else self._path(key).read_bytes()
                if digest is not None:
                    digests[key] = Digest(algorithm or SHA256, bytes.fromhex(digest)).text
        missing = [k for k in keys if k not in result]
        if missing:
            raise BlobNotFoundError(
                f"no blob {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            )
        return result, digests

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
