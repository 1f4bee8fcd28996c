"""The dispatcher's blob cache: pinned and recent blobs from memory, the rest in one read of the store."""

from __future__ import annotations

import pickle

import pytest
from sqlalchemy import event

from covalent.graph.serialize import blob_key
from covalent.server.db.engine import migrate, open_engine
from covalent.server.dispatcher.blobcache import BlobCache
from covalent.server.store.blobs import BlobNotFoundError, BlobStore


@pytest.fixture
def store(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'covalent.db'}")
    migrate(engine)
    yield BlobStore(engine, tmp_path / "objects")
    engine.dispose()


def _count_selects(store: BlobStore) -> list[str]:
    statements: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    return statements


def test_get_many_answers_from_memory_and_reads_the_rest_in_one_query(store):
    stored = {blob_key(data): data for data in (pickle.dumps(i) for i in range(300))}
    with store.engine.begin() as conn:
        store.put_many(conn, stored)
    cache = BlobCache(store)
    pinned = {blob_key(b"pinned"): b"pinned"}
    cache.pin(pinned)  # written, not yet committed: only in memory
    selects = _count_selects(store)
    keys = [*pinned, *stored]
    assert cache.get_many(keys) == {**pinned, **stored}
    assert len(selects) == 1
    assert cache.get_many(keys) == {**pinned, **stored}  # now all in memory
    assert len(selects) == 1


def test_get_many_names_a_missing_blob(store):
    with pytest.raises(BlobNotFoundError, match="no blob " + "f" * 64):
        BlobCache(store).get_many(["f" * 64])


def test_remember_keeps_an_uploads_blobs_named_by_their_digest(store):
    upload = {blob_key(data): data for data in (pickle.dumps(f"input {i}") for i in range(3))}
    with store.engine.begin() as conn:
        store.put_many(conn, upload)
    cache = BlobCache(store)
    cache.remember(upload)
    selects = _count_selects(store)
    assert cache.get_many(list(upload)) == upload
    assert all(cache.cached(key) == data for key, data in upload.items())
    assert selects == []  # the payload of a dispatch just uploaded reads nothing


def test_remember_skips_bytes_not_named_by_their_digest(store):
    # A client names what it uploads: a key the store already had keeps its stored bytes.
    stored = pickle.dumps("stored first")
    key = blob_key(stored)
    with store.engine.begin() as conn:
        store.put_many(conn, {key: stored})
        store.put_many(conn, {key: b"other bytes"})  # ignored: the key is taken
    cache = BlobCache(store)
    cache.remember({key: b"other bytes"})
    assert cache.cached(key) is None
    assert cache.get_many([key]) == {key: stored}
