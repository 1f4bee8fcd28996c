"""Full copies share their original's node rows: reads, counts and deletes see each copy whole."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from covalent.server.db.engine import migrate, open_engine
from covalent.server.db.tables import dispatches, manifests, nodes
from covalent.server.redispatch import copy_completed
from covalent.server.registration import reusable_outputs
from covalent.server.store.copies import insert_copy
from covalent.server.store.records import count_nodes, delete_dispatch, read_dispatch, read_node, read_nodes


@pytest.fixture
def engine(tmp_path, postgres):
    """A migrated database: SQLite, or PostgreSQL when the suite runs on it."""
    url = postgres.create_database() if postgres is not None else f"sqlite:///{tmp_path / 'covalent.db'}"
    engine = open_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            dispatches.insert(),
            [{"dispatch_id": "original", "root_dispatch_id": "original", "name": "wf", "status": "COMPLETED",
              "created_at": 1.0, "lattice": "{}", "node_count": 3}],
        )  # fmt: skip
        conn.execute(manifests.insert(), [{"dispatch_id": "original", "manifest": '{"name": "wf"}'}])
        base = {"dispatch_id": "original", "status": "COMPLETED", "output_key": "k", "executor": "dask",
                "fingerprint": None, "stdout": None, "attempts": 1, "error": None, "job_handle": None}  # fmt: skip
        conn.execute(
            nodes.insert(),
            [
                {**base, "node_id": 0, "name": "x", "kind": "parameter"},
                {**base, "node_id": 1, "name": "f", "kind": "electron", "fingerprint": "fp1", "stdout": "hi"},
                # retried before it completed: the copy ran nothing, so it has no attempts and no error
                {**base, "node_id": 2, "name": "g", "kind": "electron", "fingerprint": "fp2", "attempts": 2,
                 "error": "first try failed", "job_handle": "job-7"},
            ],
        )  # fmt: skip
    yield engine
    engine.dispose()


def _copy(engine, source: str, new_id: str, now: float) -> None:
    with engine.begin() as conn:
        assert copy_completed(conn, source, new_id, now) is not None


def _as_copy(row: dict, dispatch_id: str) -> dict:
    return {**row, "dispatch_id": dispatch_id, "attempts": 0, "error": None, "job_handle": None}


def _holders(engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(dispatches.c.dispatch_id, dispatches.c.nodes_from)).all())


def _rows_held(engine) -> dict[str, int]:
    with engine.connect() as conn:
        stmt = select(nodes.c.dispatch_id, func.count()).group_by(nodes.c.dispatch_id)
        return dict(conn.execute(stmt).all())


def test_copies_read_the_holders_rows_as_their_own_and_survive_each_holder_deleted(engine):
    with engine.connect() as conn:
        original = [r.as_json() for r in read_nodes(conn, "original")]
    assert (original[2]["attempts"], original[2]["error"]) == (2, "first try failed")
    _copy(engine, "original", "first", 2.0)
    _copy(engine, "first", "copy-of-copy", 3.0)
    _copy(engine, "original", "third", 4.0)
    # Only the dispatch rows were written, and every copy reads the holder directly (no chain).
    assert _rows_held(engine) == {"original": 3}
    assert _holders(engine) == {"original": None, "first": "original", "copy-of-copy": "original", "third": "original"}

    def check(copies: list[str]) -> None:
        with engine.connect() as conn:
            for copy in copies:
                assert [r.as_json() for r in read_nodes(conn, copy)] == [_as_copy(row, copy) for row in original]
                assert read_node(conn, copy, 2).as_json() == _as_copy(original[2], copy)
                assert read_node(conn, copy, 9) is None
                brief = read_nodes(conn, copy, brief=True)
                assert [set(b.as_json()) for b in brief] == [
                    set(r) - {"stdout", "stderr", "error", "job_handle", "transfers", "history"} for r in original
                ]
                assert reusable_outputs(conn, copy).keys() == {"fp1", "fp2"}
            assert count_nodes(conn, copies) == {c: {"COMPLETED": 2} for c in copies}

    check(["first", "copy-of-copy", "third"])
    with engine.begin() as conn:
        assert delete_dispatch(conn, "original") == ["original"]
        # its manifest went to the copies that shared it
        assert read_dispatch(conn, "copy-of-copy", with_manifest=True).manifest == {"name": "wf"}
    # The oldest remaining copy took the rows; the others now read from it.
    assert _rows_held(engine) == {"first": 3}
    assert _holders(engine) == {"first": None, "copy-of-copy": "first", "third": "first"}
    check(["first", "copy-of-copy", "third"])
    with engine.begin() as conn:
        delete_dispatch(conn, "first")
        delete_dispatch(conn, "third")  # a copy that holds nothing goes without touching the rows
    assert _rows_held(engine) == {"copy-of-copy": 3}
    assert _holders(engine) == {"copy-of-copy": None}
    check(["copy-of-copy"])
    with engine.begin() as conn:
        delete_dispatch(conn, "copy-of-copy")
    assert _rows_held(engine) == {} and _holders(engine) == {}


def test_a_copy_of_an_incomplete_or_missing_dispatch_writes_nothing(engine):
    with engine.begin() as conn:
        conn.execute(nodes.update().where(nodes.c.node_id == 2).values(status="FAILED"))
        assert copy_completed(conn, "original", "copy", 2.0) is None
        assert copy_completed(conn, "missing", "copy", 2.0) is None
    assert _holders(engine) == {"original": None}


def test_a_copys_row_is_the_originals_with_its_own_ids_and_times(engine):
    with engine.begin() as conn:
        conn.execute(dispatches.update().values(output_key="out", started_at=1.5, ended_at=1.75, lattice='{"a": 1}'))
        assert insert_copy(conn, "original", "copy", 2.0)
        assert not insert_copy(conn, "missing", "other", 2.0)  # the original is gone: no row
    with engine.connect() as conn:
        rows = {r.dispatch_id: r._asdict() for r in conn.execute(select(dispatches))}
    assert set(rows) == {"original", "copy"}
    copied = {"dispatch_id": "copy", "root_dispatch_id": "copy", "parent_dispatch_id": None, "parent_node_id": None,
              "created_at": 2.0, "started_at": 2.0, "ended_at": 2.0, "error": None, "reuse_from": "original",
              "nodes_from": "original"}  # fmt: skip
    assert rows["copy"] == {**rows["original"], **copied}
