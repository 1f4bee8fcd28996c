"""The bulk SQL helpers: the same rows as SQLAlchemy's own statements would write."""

from __future__ import annotations

from sqlalchemy import select

from covalent.server.db.engine import migrate, open_engine
from covalent.server.db.tables import blobs, dispatches, nodes
from covalent.server.store.sql import insert_ignore, insert_rows, update_rows


def _node(node_id: int, **values):
    row = {"dispatch_id": "d", "node_id": node_id, "name": f"n{node_id}", "kind": "electron", "status": "NEW_OBJECT"}
    return {**row, "start_time": None, "output_key": None, **values}


def test_insert_update_and_insert_ignore_on_sqlite(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'covalent.db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            dispatches.insert(),
            [{"dispatch_id": "d", "root_dispatch_id": "d", "name": "wf", "status": "RUNNING", "created_at": 0.0,
              "lattice": "{}"}],
        )  # fmt: skip
        insert_rows(conn, nodes, [_node(0), _node(1, start_time=1.5, output_key='k"1')])
        assert update_rows(
            conn, nodes, ("status", "output_key"), ("dispatch_id", "node_id"), [("COMPLETED", "k0", "d", 0)]
        )
        insert_ignore(conn, blobs, [{"key": "a", "size": 1, "data": b"\x00", "created_at": 0.0}])
        insert_ignore(conn, blobs, [{"key": "a", "size": 9, "data": b"xx", "created_at": 1.0}])  # exists: skipped
    with engine.connect() as conn:
        rows = conn.execute(select(nodes.c.node_id, nodes.c.status, nodes.c.output_key, nodes.c.start_time)).all()
        stored = conn.execute(select(blobs.c.key, blobs.c.size, blobs.c.data)).all()
    assert sorted(rows) == [(0, "COMPLETED", "k0", None), (1, "NEW_OBJECT", 'k"1', 1.5)]
    assert stored == [("a", 1, b"\x00")]


def test_a_dispatch_is_recorded_and_ended_on_sqlite_without_compiling_a_statement(tmp_path):
    """Its row and manifest go to SQLite's driver as they are, as do its nodes' (SQLAlchemy's compile: none)."""
    from sqlalchemy import event

    from covalent.server.store.blobs import BlobStore
    from covalent.server.store.models import NodeRecord
    from covalent.server.store.records import NewDispatch, insert_dispatch, read_dispatch, set_dispatch

    engine = open_engine(f"sqlite:///{tmp_path / 'covalent.db'}")
    migrate(engine)
    compiled: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def seen(conn, cursor, statement, parameters, context, executemany):
        if context is not None and context.compiled is not None:
            compiled.append(statement)

    row = NodeRecord(**{**dict.fromkeys(NodeRecord._fields), **_node(0), "dispatch_id": "d1", "attempts": "[]"})
    new = NewDispatch("d1", "wf", {"lattice": {"a": 1}, "output": {"node": 0}}, [row], {}, manifest_text='{"m": 1}')
    with engine.begin() as conn:
        insert_dispatch(BlobStore(engine, tmp_path / "objects"), new.starting())(conn)
        set_dispatch(conn, "d1", status="COMPLETED", ended_at=2.5, output_key="k")
    assert compiled == []
    with engine.connect() as conn:
        record = read_dispatch(conn, "d1", with_manifest=True)
        stored = conn.execute(select(nodes.c.dispatch_id, nodes.c.node_id, nodes.c.status)).all()
    assert record is not None and (record.status, record.ended_at, record.output_key) == ("COMPLETED", 2.5, "k")
    assert record.lattice == {"a": 1, "output": {"node": 0}} and record.manifest == {"m": 1} and record.node_count == 1
    assert stored == [("d1", 0, "NEW_OBJECT")]
