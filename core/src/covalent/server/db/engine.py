"""Opening the database: SQLite in WAL mode by default, any SQLAlchemy URL by config."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    text,
)

from covalent.server.db.sqlite_file import prepare_sqlite_file, sqlite_path

__all__ = ["BUSY_TIMEOUT_MS", "HEAD_REVISION", "WAL_KEPT_BYTES", "migrate", "open_engine"]

log = logging.getLogger(__name__)

#: The newest migration; start-up skips alembic entirely when the database has it.
HEAD_REVISION = "0010"
#: Milliseconds an SQLite connection waits for a lock another process holds.
BUSY_TIMEOUT_MS = 10000
#: Bytes of its write-ahead log SQLite keeps on disk once the log is checkpointed and begun again.
#: Without a limit the file stays as large as the largest transaction made it: a big map's node
#: rows are written in one transaction (200,000 electrons: a log of 130 MiB beside 252 MiB of database).
WAL_KEPT_BYTES = 64 << 20
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
    cursor.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            prepare_sqlite_file(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def _current_revision(engine: Engine) -> str | None:
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


_VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _create_fresh(engine: Engine) -> bool:
    """Create the newest schema in an empty database and stamp it; False if it is not empty.

    What alembic's upgrade would build, without importing alembic: a third of
    a first ``covalent start``.  ``tables.metadata`` must match the migrations
    (a test compares the two schemas).
    """
    from covalent.server.db.tables import metadata

    with engine.begin() as conn:
        if inspect(conn).get_table_names():
            return False
        # Found empty just now, in this transaction: no per-table existence check (a
        # reflection query per table and index, ~4 ms of a first start here).
        metadata.create_all(conn, checkfirst=False)
        _VERSION_TABLE.create(conn, checkfirst=False)
        conn.execute(_VERSION_TABLE.insert().values(version_num=HEAD_REVISION))
    log.info("database created at revision %s", HEAD_REVISION)
    return True


def migrate(engine: Engine, *, fresh_from_tables: bool = True) -> None:
    """Bring the schema to the newest revision (alembic), if it is not there yet.

    An empty database is created from the table definitions and stamped
    (unless ``fresh_from_tables`` is False); any other goes through alembic.
    """
    if _current_revision(engine) == HEAD_REVISION:
        return
    if fresh_from_tables and _create_fresh(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    log.info("database migrated to %s", HEAD_REVISION)
