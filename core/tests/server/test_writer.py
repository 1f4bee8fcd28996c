"""The single writer: small writes commit on the event loop, never waiting there for a lock."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time

from sqlalchemy import text

from covalent.server.db.engine import migrate, open_engine
from covalent.server.events import EventBus
from covalent.server.store.writer import Writer


def _engine(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'covalent.db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE marks (name TEXT, thread TEXT)"))
    return engine


def _mark(name: str):
    def op(conn):
        conn.execute(
            text("INSERT INTO marks VALUES (:name, :thread)"), {"name": name, "thread": threading.current_thread().name}
        )

    return op


def test_small_writes_commit_on_the_loop_and_others_on_the_writer_thread(tmp_path):
    engine = _engine(tmp_path)

    async def main():
        writer = Writer(engine, EventBus())
        writer.start()
        await writer.write(_mark("small"), small=True)
        await writer.write(_mark("large"))
        await writer.close()

    asyncio.run(main())
    with engine.connect() as conn:
        threads = dict(conn.execute(text("SELECT name, thread FROM marks")).all())
    assert threads["small"] == threading.current_thread().name
    assert threads["large"].startswith("covalent-db-writer")


def test_a_small_write_to_a_locked_database_waits_on_the_thread_not_the_loop(tmp_path):
    engine = _engine(tmp_path)
    holder = sqlite3.connect(tmp_path / "covalent.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write lock
    ticks = []

    async def main():
        writer = Writer(engine, EventBus())
        writer.start()
        pending = writer.write(_mark("small"), small=True)

        async def tick():
            while not pending.done():
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        ticker = asyncio.ensure_future(tick())
        await asyncio.sleep(0.5)
        assert not pending.done()  # still waiting for the lock ...
        holder.execute("COMMIT")
        await asyncio.wait_for(pending, 15)  # ... and committed once it is free
        await ticker
        await writer.close()

    asyncio.run(main())
    holder.close()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 20 and max(gaps) < 1.0  # the loop kept running while the write waited
    with engine.connect() as conn:
        threads = dict(conn.execute(text("SELECT name, thread FROM marks")).all())
    assert threads["small"].startswith("covalent-db-writer")


def test_the_backlog_counts_rows_until_they_are_committed_or_rejected(tmp_path):
    engine = _engine(tmp_path)
    holder = sqlite3.connect(tmp_path / "covalent.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # nothing commits until it is released

    def bad(conn):
        raise ValueError("not a row")  # not a passing failure: rejected, not retried

    async def main():
        writer = Writer(engine, EventBus())
        writer.start()
        first = writer.write(_mark("a"), rows=3)
        second = writer.write(_mark("b"), small=True, rows=2)
        await asyncio.sleep(0.3)
        assert writer.backlog == 5 and not first.done()
        holder.execute("COMMIT")
        await writer.committed(timeout=15)
        await asyncio.wait_for(asyncio.gather(first, second), 15)
        assert writer.backlog == 0
        rejected = writer.write(bad, rows=4)
        assert writer.backlog == 4
        try:
            await rejected
        except Exception:
            pass
        assert rejected.exception() is not None and writer.backlog == 0
        await writer.close()

    asyncio.run(main())
    holder.close()


def test_commits_on_the_loop_keep_one_connection_that_never_waits_and_never_goes_back_to_the_pool(tmp_path):
    from covalent.server.db.engine import BUSY_TIMEOUT_MS

    engine = _engine(tmp_path)

    def fails(conn):
        conn.execute(text("INSERT INTO marks VALUES ('bad', 'x')"))
        raise ValueError("a rejected operation")

    async def main():
        writer = Writer(engine, EventBus())
        writer.start()
        await writer.write(_mark("one"), small=True)
        kept = writer._here
        await writer.write(_mark("two"), small=True)
        assert kept is not None and writer._here is kept  # the same connection for each commit on the loop
        assert kept.connection.dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0] == 0
        # Readers (and the writer's thread) get pooled connections that wait for a lock as configured.
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
        try:
            await writer.write(fails, small=True)
        except ValueError:
            pass
        assert writer._here is None  # dropped after a failure, rolled back
        await writer.write(_mark("three"), small=True)  # on a new one
        assert writer._here is not None and writer._here is not kept
        await writer.close()
        assert writer._here is None

    asyncio.run(main())
    with engine.connect() as conn:
        names = [row[0] for row in conn.execute(text("SELECT name FROM marks ORDER BY rowid"))]
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
    assert names == ["one", "two", "three"]
