"""Tables of the result manager (SQLAlchemy Core; the schema is owned by alembic).

They must describe exactly what the migrations build: a new, empty database
is created from them directly (see :func:`covalent.server.db.engine.migrate`),
and a test compares the two schemas.

Times are UNIX seconds (floats).  Small values live inline in ``blobs.data``;
large ones in the object store on disk, with ``data`` NULL.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["blobs", "dispatches", "manifests", "metadata", "nodes", "trigger_runs", "triggers"]

metadata = MetaData()

dispatches = Table(
    "dispatches",
    metadata,
    Column("dispatch_id", String(64), primary_key=True),
    Column("root_dispatch_id", String(64), nullable=False),
    Column("parent_dispatch_id", String(64), nullable=True),
    Column("parent_node_id", Integer, nullable=True),
    Column("name", String(256), nullable=False),
    Column("status", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float, nullable=True),
    Column("ended_at", Float, nullable=True),
    Column("lattice", Text, nullable=False),
    Column("output_key", String(64), nullable=True),
    Column("error", Text, nullable=True),
    Column("reuse_from", String(64), nullable=True),
    Column("node_count", Integer, nullable=False, default=0, server_default="0"),
    # NULL: the dispatch holds its own node rows.  Else a full copy, reading the
    # rows of this dispatch (always one that holds its own: never a chain).
    Column("nodes_from", String(64), nullable=True),
    Index("ix_dispatches_status", "status"),
    Index("ix_dispatches_created_at", "created_at"),
    Index("ix_dispatches_parent", "parent_dispatch_id"),
    Index("ix_dispatches_nodes_from", "nodes_from"),
)

# A dispatch's manifest, apart from its row: SQLite rewrites a whole row at every
# UPDATE, so each status change of a dispatch would copy its manifest (0.8 ms for
# 624 KB; 600 MB of memory for a million-node map).  A full copy has no row here: it
# shares the manifest of the dispatch in its ``reuse_from``.
manifests = Table(
    "manifests",
    metadata,
    Column("dispatch_id", String(64), primary_key=True),
    Column("manifest", Text, nullable=False),
)

nodes = Table(
    "nodes",
    metadata,
    Column("dispatch_id", String(64), primary_key=True),
    Column("node_id", Integer, primary_key=True),
    Column("name", String(256), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("executor", String(64), nullable=True),
    Column("start_time", Float, nullable=True),
    Column("end_time", Float, nullable=True),
    Column("output_key", String(64), nullable=True),
    Column("error", Text, nullable=True),
    Column("stdout", Text, nullable=True),
    Column("stderr", Text, nullable=True),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("job_handle", Text, nullable=True),
    Column("sublattice_dispatch_id", String(64), nullable=True),
    Column("fingerprint", String(64), nullable=True),
    # JSON: one record per file transfer of the node's last run (no credentials).
    Column("transfers", Text, nullable=True),
    # When its job was handed to the executor (start_time: when it started where it ran).
    Column("submitted_at", Float, nullable=True),
    # Where it ran (host:pid).
    Column("worker", String(256), nullable=True),
    # JSON: one record per earlier attempt of a retried node; the last one is the columns above.
    Column("history", Text, nullable=True),
)

blobs = Table(
    "blobs",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=True),
    Column("created_at", Float, nullable=False),
    # A short text form of the value, made where the value was (never by unpickling it here).
    Column("preview", Text, nullable=True),
    # A large value handed on by reference: where it is held until persisted (JSON: the executor and
    # the holder), or why it was lost; NULL once its file is written (and for every other blob).
    Column("location", Text, nullable=True),
    # The digest of the stored bytes (hex) when the key is not their hash (a value kept by reference
    # gets its key before anyone hashes it); NULL for content-addressed blobs.
    Column("digest", String(64), nullable=True),
    # Its algorithm: "blake3", or NULL for SHA-256 (values stored before revision 0009).
    Column("digest_algorithm", String(16), nullable=True),
)

# A trigger re-runs the dispatch ``dispatch_id`` on each event of its source.
# ``config`` and ``policy`` are JSON (never a pickle); ``state`` is observing,
# stopped or failed (with ``error``).  The counters say what its events did.
triggers = Table(
    "triggers",
    metadata,
    Column("trigger_id", String(64), primary_key=True),
    Column("dispatch_id", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("config", Text, nullable=False),
    Column("policy", Text, nullable=False),
    # The server that holds the dispatch, when it is not this one (a triggers-only server).
    Column("dispatcher_addr", String(512), nullable=True),
    Column("state", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("last_event_at", Float, nullable=True),
    Column("events", Integer, nullable=False, default=0, server_default="0"),
    Column("runs", Integer, nullable=False, default=0, server_default="0"),
    Column("skipped", Integer, nullable=False, default=0, server_default="0"),
    # Events waiting for a run to end (policy when_busy = "queue").
    Column("queued", Integer, nullable=False, default=0, server_default="0"),
    Index("ix_triggers_dispatch", "dispatch_id"),
    Index("ix_triggers_state", "state"),
)

# The runs a trigger started: the first may be its dispatch itself, the rest redispatches of it.
trigger_runs = Table(
    "trigger_runs",
    metadata,
    Column("trigger_id", String(64), primary_key=True),
    Column("run_dispatch_id", String(64), primary_key=True),
    Column("origin_dispatch_id", String(64), nullable=False),
    Column("fired_at", Float, nullable=False),
    Index("ix_trigger_runs_run", "run_dispatch_id"),
    Index("ix_trigger_runs_origin", "origin_dispatch_id", "fired_at"),
)
