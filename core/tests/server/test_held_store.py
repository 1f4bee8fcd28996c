"""Values handed on by reference in the store: recorded before their bytes, then stored or lost."""

from __future__ import annotations

import hashlib
import pickle

import blake3
import pytest
from sqlalchemy import select

from covalent.server.db.engine import migrate, open_engine
from covalent.server.db.tables import blobs, dispatches, nodes
from covalent.server.registration import reusable_outputs
from covalent.server.store.blobs import BlobLostError, BlobNotFoundError, BlobPendingError, BlobStore

KEY, OTHER = "a" * 64, "b" * 64
WHERE = {"executor": {"name": "dask", "kwargs": {}}, "holder": "tcp://127.0.0.1:4711"}


@pytest.fixture
def store(tmp_path, postgres):
    url = postgres.create_database() if postgres is not None else f"sqlite:///{tmp_path / 'covalent.db'}"
    engine = open_engine(url)
    migrate(engine)
    yield BlobStore(engine, tmp_path / "objects")
    engine.dispose()


def test_a_held_value_reads_as_pending_until_stored_then_like_any_blob_with_its_digest(store):
    data = pickle.dumps(b"\x01" * 200_000)
    with store.engine.begin() as conn:
        store.put_held(conn, [(KEY, 200_000, "b'\\x01\\x01...'", WHERE)])
    with pytest.raises(BlobPendingError, match=r"held by tcp://127\.0\.0\.1:4711") as info:
        store.get(KEY)
    assert info.value.location == WHERE
    with store.engine.connect() as conn:
        assert store.held_rows(conn) == [(KEY, 200_000, WHERE)]
        assert store.describe(conn, [KEY]) == {KEY: "b'\\x01\\x01...'"}  # its preview shows at once
    digest = store.write_held(KEY, data)
    assert digest == "blake3:" + blake3.blake3(data).hexdigest()
    with store.engine.begin() as conn:
        store.mark_persisted(conn, KEY, digest, len(data))
    assert store.read_many([KEY]) == ({KEY: data}, {KEY: digest})
    with store.engine.connect() as conn:  # the row keeps the hex and names the algorithm
        row = conn.execute(select(blobs.c.digest, blobs.c.digest_algorithm).where(blobs.c.key == KEY)).one()
    assert tuple(row) == (blake3.blake3(data).hexdigest(), "blake3")
    assert (store.root / KEY[:2] / KEY).stat().st_mode & 0o777 == 0o600
    with store.engine.connect() as conn:
        assert store.held_rows(conn) == []
        assert store.previews(conn, [KEY]) == {KEY: (len(data), "b'\\x01\\x01...'")}


def test_a_digest_stored_before_blake3_reads_as_sha256_and_its_bundle_still_checks(store):
    from covalent.graph.bundle import BundleError, read_bundle, write_bundle

    data = pickle.dumps(b"\x02" * 100_000)
    sha = hashlib.sha256(data).hexdigest()
    with store.engine.begin() as conn:
        store.put_held(conn, [(KEY, len(data), "", WHERE)])
    store.write_held(KEY, data)
    with store.engine.begin() as conn:  # as revision 0008 stored it: the hex alone
        store.mark_persisted(conn, KEY, sha, len(data))
        assert conn.execute(select(blobs.c.digest_algorithm).where(blobs.c.key == KEY)).scalar_one() is None
    values, digests = store.read_many([KEY])
    assert digests == {KEY: sha}
    assert read_bundle(write_bundle(values.items(), digests), aliases=True) == {KEY: data}
    with pytest.raises(BundleError, match="does not match its content"):  # read as BLAKE3, it would not match
        read_bundle(write_bundle(values.items(), {KEY: "blake3:" + sha}), aliases=True)


def test_a_value_lost_before_it_was_stored_says_so_and_is_never_reused(store):
    with store.engine.begin() as conn:
        store.put_held(conn, [(KEY, 10, "", WHERE), (OTHER, 10, "", WHERE)])
        store.mark_lost(conn, KEY, "worker tcp://127.0.0.1:4711 died")
        conn.execute(
            dispatches.insert(),
            [{"dispatch_id": "d", "root_dispatch_id": "d", "name": "wf", "status": "COMPLETED",
              "created_at": 1.0, "lattice": "{}", "node_count": 2}],
        )  # fmt: skip
        base = {"dispatch_id": "d", "status": "COMPLETED", "kind": "electron", "name": "f", "attempts": 1}
        conn.execute(
            nodes.insert(),
            [
                {**base, "node_id": 1, "output_key": KEY, "fingerprint": "lost"},
                {**base, "node_id": 2, "output_key": OTHER, "fingerprint": "held"},
            ],
        )
    with pytest.raises(BlobLostError, match=r"lost before it was stored: worker tcp://127\.0\.0\.1:4711 died"):
        store.get(KEY)
    with store.engine.connect() as conn:
        assert set(reusable_outputs(conn, "d")) == {"held"}  # a held value may still be stored; a lost one never
        # the lost mark stays: the row is not held any more but tells why
        assert dict((k, w) for k, _, w in store.held_rows(conn))[KEY] == {"lost": "worker tcp://127.0.0.1:4711 died"}
    with pytest.raises(BlobNotFoundError, match="no blob"):
        store.get("c" * 64)
