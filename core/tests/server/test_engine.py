"""Opening the database: the SQLite settings every connection gets."""

from __future__ import annotations

import os

from sqlalchemy import text

from covalent.server.db import engine as engine_module
from covalent.server.db.engine import open_engine


def test_the_write_ahead_log_is_cut_back_once_a_big_transaction_is_checkpointed(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_module, "WAL_KEPT_BYTES", 512 << 10)
    engine = open_engine(f"sqlite:///{tmp_path / 'covalent.db'}")
    wal = tmp_path / "covalent.db-wal"
    try:
        with engine.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_size_limit").scalar() == 512 << 10
            conn.execute(text("CREATE TABLE rows (data BLOB)"))
        # One transaction of 8 MiB (a big dispatch's node rows): the log holds all of it until it
        # commits, and SQLite checkpoints it then (its automatic checkpoint, past 1,000 pages).
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO rows VALUES (:data)"), [{"data": os.urandom(2048)} for _ in range(4096)])
        assert wal.stat().st_size > 8 << 20
        with engine.begin() as conn:  # the next write begins the log again, and cuts the file back
            conn.execute(text("INSERT INTO rows VALUES (x'00')"))
        assert wal.stat().st_size <= 512 << 10
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM rows").scalar() == 4097
    finally:
        engine.dispose()
