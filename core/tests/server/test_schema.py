"""The schema a new database is created with equals the one the migrations build."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text

from covalent.server.db.engine import HEAD_REVISION, migrate, open_engine


def _schema(url: str) -> dict[str, Any]:
    engine = open_engine(url)
    try:
        found = inspect(engine)
        schema: dict[str, Any] = {}
        for table in sorted(found.get_table_names()):
            schema[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in found.get_columns(table)
                ],
                "primary_key": found.get_pk_constraint(table)["constrained_columns"],
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table)
                ),
            }
        with engine.connect() as conn:
            schema["revision"] = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        return schema
    finally:
        engine.dispose()


def test_new_database_from_tables_matches_the_migrations(tmp_path):
    created, migrated = f"sqlite:///{tmp_path / 'created.db'}", f"sqlite:///{tmp_path / 'migrated.db'}"
    migrate(open_engine(created))
    migrate(open_engine(migrated), fresh_from_tables=False)
    schema = _schema(created)
    assert schema == _schema(migrated)
    assert schema["revision"] == HEAD_REVISION
    assert {"dispatches", "nodes", "blobs", "alembic_version"} <= set(schema)


def test_database_with_tables_but_no_revision_goes_through_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE unrelated (x INTEGER)"))
    migrate(engine)  # not empty: alembic builds the schema beside the foreign table
    schema = _schema(url)
    assert schema["revision"] == HEAD_REVISION and "nodes" in schema and "unrelated" in schema


def _alembic(engine: Any, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from covalent.server.db.engine import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def _add_dispatch(conn: Any, dispatch_id: str, manifest: str | None, reuse_from: str | None = None) -> None:
    conn.execute(
        text(
            "INSERT INTO dispatches (dispatch_id, root_dispatch_id, name, status, created_at, manifest, lattice, "
            "reuse_from, node_count) VALUES (:id, :id, 'wf', 'COMPLETED', 0, :manifest, '{}', :source, 1)"
        ),
        {"id": dispatch_id, "manifest": manifest, "source": reuse_from},
    )
    conn.execute(
        text("INSERT INTO nodes (dispatch_id, node_id, name, kind, status) VALUES (:id, 0, 'f', 'electron', 'NEW')"),
        {"id": dispatch_id},
    )


def _database_at(tmp_path: Any, revision: str) -> tuple[str, Any]:
    """A new SQLite database migrated to ``revision`` only: its URL and engine."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = open_engine(url)
    _alembic(engine, "upgrade", revision)
    return url, engine


def test_shared_manifests_migrate_up_keeping_data_and_down_giving_copies_their_own(tmp_path):
    url, engine = _database_at(tmp_path, "0001")
    with engine.begin() as conn:
        _add_dispatch(conn, "original", '{"name": "wf"}')
    _alembic(engine, "upgrade", "0009")  # the last revision with the manifest in the dispatch's row
    schema = _schema(url)
    assert schema["revision"] == "0009"
    assert ("manifest", "TEXT", True, "None") in schema["dispatches"]["columns"]
    assert "ix_nodes_dispatch_status" not in {index[0] for index in schema["nodes"]["indexes"]}
    with engine.begin() as conn:
        assert conn.execute(text("SELECT manifest FROM dispatches")).scalar_one() == '{"name": "wf"}'
        _add_dispatch(conn, "copy", None, reuse_from="original")
        _add_dispatch(conn, "copy-of-copy", None, reuse_from="copy")
    _alembic(engine, "downgrade", "0001")
    with engine.connect() as conn:
        manifests = dict(conn.execute(text("SELECT dispatch_id, manifest FROM dispatches")).all())
    assert manifests == {"original": '{"name": "wf"}', "copy": '{"name": "wf"}', "copy-of-copy": '{"name": "wf"}'}
    assert "ix_nodes_dispatch_status" in {index[0] for index in _schema(url)["nodes"]["indexes"]}
    engine.dispose()


def test_shared_nodes_migrate_up_and_down_giving_copies_their_own_rows(tmp_path):
    url, engine = _database_at(tmp_path, "0002")
    with engine.begin() as conn:
        _add_dispatch(conn, "original", '{"name": "wf"}')
        conn.execute(text("UPDATE nodes SET status = 'COMPLETED', attempts = 3, error = 'retried', output_key = 'k'"))
    _alembic(engine, "upgrade", "head")
    schema = _schema(url)
    assert ("nodes_from", "VARCHAR(64)", True, "None") in schema["dispatches"]["columns"]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dispatches (dispatch_id, root_dispatch_id, name, status, created_at, lattice, "
                "reuse_from, nodes_from) VALUES ('copy', 'copy', 'wf', 'COMPLETED', 1, '{}', 'original', 'original')"
            )
        )
    _alembic(engine, "downgrade", "0002")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT dispatch_id, status, attempts, error, output_key FROM nodes")).all()
    assert sorted(rows) == [("copy", "COMPLETED", 0, None, "k"), ("original", "COMPLETED", 3, "retried", "k")]
    assert "nodes_from" not in {column[0] for column in _schema(url)["dispatches"]["columns"]}
    engine.dispose()


def test_triggers_migrate_up_and_down_keeping_dispatches(tmp_path):
    url, engine = _database_at(tmp_path, "0004")
    with engine.begin() as conn:
        _add_dispatch(conn, "origin", '{"name": "wf"}')
    _alembic(engine, "upgrade", "head")
    schema = _schema(url)
    assert {"triggers", "trigger_runs"} <= set(schema)
    assert ("ix_trigger_runs_origin", ("origin_dispatch_id", "fired_at"), False) in schema["trigger_runs"]["indexes"]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO triggers (trigger_id, dispatch_id, kind, config, policy, state, created_at, updated_at) "
                "VALUES ('t', 'origin', 'TimeTrigger', '{\"time_gap\": 1}', '{}', 'observing', 0, 0)"
            )
        )
        row = conn.execute(text("SELECT events, runs, skipped, queued FROM triggers")).one()
    assert tuple(row) == (0, 0, 0, 0)
    _alembic(engine, "downgrade", "0004")
    schema = _schema(url)
    assert "triggers" not in schema and "trigger_runs" not in schema
    with engine.connect() as conn:
        assert conn.execute(text("SELECT dispatch_id FROM dispatches")).scalar_one() == "origin"
    engine.dispose()


def test_held_values_migrate_up_and_down_forgetting_only_values_that_came_by_reference(tmp_path):
    url, engine = _database_at(tmp_path, "0007")
    insert = "INSERT INTO blobs (key, size, data, created_at) VALUES (:key, 1, :data, 0)"
    with engine.begin() as conn:
        conn.execute(text(insert), {"key": "a" * 64, "data": b"x"})
    _alembic(engine, "upgrade", "head")
    columns = {c[0] for c in _schema(url)["blobs"]["columns"]}
    assert {"location", "digest"} <= columns
    with engine.begin() as conn:
        conn.execute(
            text('INSERT INTO blobs (key, size, created_at, location) VALUES (:key, 5, 0, \'{"holder": "w"}\')'),
            {"key": "b" * 64},
        )
        conn.execute(text("INSERT INTO blobs (key, size, created_at, digest) VALUES (:key, 5, 0, :d)"),
                     {"key": "c" * 64, "d": "d" * 64})  # fmt: skip
    _alembic(engine, "downgrade", "0007")
    assert not {"location", "digest"} & {c[0] for c in _schema(url)["blobs"]["columns"]}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT key FROM blobs")).scalars().all() == ["a" * 64]
    engine.dispose()


def test_blake3_digests_migrate_up_keeping_sha256_ones_and_down_forgetting_only_blake3_values(tmp_path):
    url, engine = _database_at(tmp_path, "0008")
    insert = "INSERT INTO blobs (key, size, created_at, digest) VALUES (:key, 5, 0, :d)"
    with engine.begin() as conn:
        conn.execute(text(insert), {"key": "a" * 64, "d": "d" * 64})  # stored under 0008: a SHA-256
    _alembic(engine, "upgrade", "head")
    assert "digest_algorithm" in {c[0] for c in _schema(url)["blobs"]["columns"]}
    with engine.begin() as conn:
        assert conn.execute(text("SELECT digest_algorithm FROM blobs")).scalar_one() is None  # read as SHA-256
        conn.execute(
            text(
                "INSERT INTO blobs (key, size, created_at, digest, digest_algorithm) VALUES (:key, 5, 0, :d, 'blake3')"
            ),
            {"key": "b" * 64, "d": "e" * 64},
        )
    _alembic(engine, "downgrade", "0008")
    assert "digest_algorithm" not in {c[0] for c in _schema(url)["blobs"]["columns"]}
    with engine.connect() as conn:  # the older schema would check a BLAKE3 digest as SHA-256: that value goes
        assert conn.execute(text("SELECT key, digest FROM blobs")).all() == [("a" * 64, "d" * 64)]
    engine.dispose()


def test_manifests_move_out_of_the_dispatch_rows_and_back(tmp_path):
    url, engine = _database_at(tmp_path, "0009")
    with engine.begin() as conn:
        _add_dispatch(conn, "original", '{"name": "wf"}')
        _add_dispatch(conn, "copy", None, reuse_from="original")  # a full copy shares the original's
    _alembic(engine, "upgrade", "head")
    schema = _schema(url)
    assert "manifest" not in {c[0] for c in schema["dispatches"]["columns"]}
    assert {i[0] for i in schema["dispatches"]["indexes"]} >= {"ix_dispatches_status", "ix_dispatches_nodes_from"}
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT dispatch_id, manifest FROM manifests")).all()
        assert stored == [("original", '{"name": "wf"}')]
        assert conn.execute(text("SELECT count(*) FROM dispatches")).scalar_one() == 2

        from covalent.server.store.records import read_dispatch

        for dispatch_id in ("original", "copy"):
            record = read_dispatch(conn, dispatch_id, with_manifest=True)
            assert record is not None and record.manifest == {"name": "wf"}
    _alembic(engine, "downgrade", "0009")
    assert "manifests" not in _schema(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT dispatch_id, manifest FROM dispatches")).all())
    assert rows == {"original": '{"name": "wf"}', "copy": None}
    engine.dispose()
