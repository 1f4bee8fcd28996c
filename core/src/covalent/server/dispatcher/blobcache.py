"""The blobs a dispatcher reads, from memory when it can: just produced, or recently read."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping

from covalent.graph.serialize import blob_key
from covalent.limits import LIMITS
from covalent.server.store.blobs import BlobStore

__all__ = ["ENTRY_BYTES", "BlobCache"]

#: What an entry costs besides its bytes (its key, the bytes object, the ordered dict's links): counted
#: against the limit, so a million 5-byte outputs are not a million entries.
ENTRY_BYTES = 250


class BlobCache:
    """Pinned blobs (written, not yet committed) and a bounded LRU of others, over the store."""

    def __init__(self, store: BlobStore, limit: int = LIMITS.blob_cache_bytes) -> None:
        """``limit``: bytes kept in memory besides pinned blobs (a blob over an eighth of it is not kept)."""
        self.store = store
        self._limit = limit
        self._pinned: dict[str, bytes] = {}
        self._pin_counts: dict[str, int] = {}
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_bytes = 0

    def pin(self, blobs: dict[str, bytes]) -> None:
        """Keep blobs readable from memory until their write is committed."""
        for key, data in blobs.items():
            self._pinned[key] = data
            self._pin_counts[key] = self._pin_counts.get(key, 0) + 1

    def unpin(self, keys: Iterable[str]) -> None:
        for key in keys:
            count = self._pin_counts.get(key, 0) - 1
            if count > 0:
                self._pin_counts[key] = count
                continue
            self._pin_counts.pop(key, None)
            data = self._pinned.pop(key, None)
            if data is not None:
                self._remember(key, data)

    def remember(self, blobs: Mapping[str, bytes]) -> None:
        """Keep blobs just committed (a small upload's) for the payloads that read them next.

        Only those named by their content's digest: a client names what it uploads,
        and a key the store already had keeps the bytes stored first (read from the
        store, as before, when they differ).
        """
        for key, data in blobs.items():
            if key not in self._cache and blob_key(data) == key:
                self._remember(key, data)

    def _remember(self, key: str, data: bytes) -> None:
        if len(data) > self._limit // 8 or key in self._cache:
            return
        self._cache[key] = data
        self._cache_bytes += len(data) + ENTRY_BYTES
        while self._cache_bytes > self._limit and self._cache:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= len(old) + ENTRY_BYTES

    def cached(self, key: str) -> bytes | None:
        """A blob if it is in memory; never reads the store."""
        data = self._pinned.get(key)
        return data if data is not None else self._cache.get(key)

    def get(self, key: str) -> bytes:
        """A blob, read from the store if it is not in memory (so: call it from a worker thread)."""
        data = self._pinned.get(key)
        if data is None:
            data = self._cache.get(key)
        if data is None:
            data = self.store.get(key)
            self._remember(key, data)
        return data

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Blobs by key: those in memory, the rest in one read of the store (so: from a worker thread)."""
        found: dict[str, bytes] = {}
        missing: list[str] = []
        for key in keys:
            data = self.cached(key)
            if data is None:
                missing.append(key)
            else:
                found[key] = data
        if missing:
            for key, data in self.store.get_many(missing).items():
                self._remember(key, data)
                found[key] = data
        return found
