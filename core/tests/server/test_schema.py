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
