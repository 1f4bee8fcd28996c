"""A large graph sent as JSON lines: encoded while it is sent, checked line by line, stored as one manifest."""

from __future__ import annotations

import collections
import json
import time
import tracemalloc

import httpx
import pytest

import covalent as ct
from covalent.client.upload import STREAMED_NODES, ChunkReader, upload_parts
from covalent.graph.bundle import write_bundle
from covalent.graph.manifest_schema import ManifestError
from covalent.limits import LIMITS
from covalent.server.api.dispatches import rows_written_after
from covalent.server.registration import GraphLines, prepare_dispatch
from covalent.testing import CLIENT_HEADERS


@ct.electron
def square(x):
    return x * x


@ct.electron
def total(values):
    return sum(values)


@ct.lattice
def squares(n):
    return total([square(i) for i in range(n)])


def api(server, path):
    return f"{server.address}/api/v1{path}"


def _read_all(reader: ChunkReader, size: int = 65536) -> list[bytes]:
    pieces = []
    while piece := reader.read(size):
        pieces.append(piece)
    return pieces


def test_a_large_graph_is_sent_as_lines_made_while_they_are_read():
    manifest = squares.build_manifest(STREAMED_NODES)
    parts = dict((name, body) for name, body in upload_parts(manifest, {}))
    head = json.loads(parts["manifest"][1])
    assert head["graph"] == {"nodes": [], "edges": []}
    assert "blobs" not in head  # each blob's size travels in the bundle, not in a map of every key
    nodes = parts["nodes"][1]
    assert isinstance(nodes, ChunkReader)
    first = nodes.read(65536)
    # Only what was asked for has been encoded: the rest of the lines are still to be made.
    assert next(manifest.node_lines(batch=10**9)).count(b"\n") == len(manifest.graph)
    rest = b"".join(_read_all(nodes))
    lines = (first + rest).splitlines()
    assert [json.loads(line) for line in lines] == list(manifest.graph.nodes())
    edges = b"".join(_read_all(parts["edges"][1])).splitlines()
    assert [json.loads(line) for line in edges] == [e.to_dict() for e in manifest.graph.edges()]
    assert b"".join(_read_all(parts["blobs"][1])) == write_bundle(manifest.blobs.items())
    small = dict((name, body) for name, body in upload_parts(squares.build_manifest(3), {}))
    assert "nodes" not in small and json.loads(small["manifest"][1])["graph"]["nodes"]


def test_chunk_reader_reads_any_sizes():
    reader = ChunkReader(iter([b"abc", b"", b"defgh", b"i"]))
    assert reader.read(2) == b"ab" and reader.read(4) == b"cdef" and reader.read(-1) == b"ghi" and reader.read(5) == b""


def test_a_streamed_dispatch_runs_and_stores_the_whole_manifest(server):
    n = STREAMED_NODES // 2 + 10
    dispatch_id = ct.dispatch(squares)(n)
    result = ct.get_result(dispatch_id, wait=True, progress=False)
    assert result.status == "COMPLETED" and result.result == sum(i * i for i in range(n))
    stored = httpx.get(api(server, f"/dispatches/{dispatch_id}/manifest")).json()
    built = squares.build_manifest(n).to_json()
    assert stored["graph"] == built["graph"] and stored["output"] == built["output"]
    if not server.env.get("COVALENT_DATABASE_URL"):  # SQLite: the text went into its value piece by piece
        import sqlite3

        with sqlite3.connect(server.data_dir / "covalent.db") as db:
            kind, value = db.execute(
                "SELECT typeof(manifest), manifest FROM manifests WHERE dispatch_id = ?", (dispatch_id,)
            ).fetchone()
        assert kind == "blob" and json.loads(value) == stored


def _send(manifest, head, nodes: bytes, edges: bytes):
    files = {
        "manifest": ("m.json", json.dumps(head).encode(), "application/json"),
        "nodes": ("n.jsonl", nodes, "application/x-ndjson"),
        "edges": ("e.jsonl", edges, "application/x-ndjson"),
        "blobs": ("b", write_bundle(manifest.blobs.items()), "application/octet-stream"),
    }
    return files


def _lines(items) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


MALFORMED = {
    "kind-unknown": (lambda nodes, edges: nodes[3].update(kind="magic"), "graph.nodes[3].kind"),
    "id-twice": (lambda nodes, edges: nodes[4].update(id=nodes[2]["id"]), "graph.nodes[4].id"),
    "parameter-without-value": (lambda nodes, edges: nodes[1].pop("value"), "graph.nodes[1]"),
    "edge-to-nowhere": (lambda nodes, edges: edges[5].update(target=10**6), "graph.edges[5].target"),
    "edge-two-ways": (lambda nodes, edges: edges[0].update(key="k"), "graph.edges[0]"),
    "extra-field": (lambda nodes, edges: nodes[0].update(surprise=1), "graph.nodes[0].surprise"),
    "not-an-object": (lambda nodes, edges: nodes.__setitem__(2, [1, 2]), "graph.nodes[2]"),
}


@pytest.mark.parametrize("shape", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_lines_answer_422_naming_the_field_and_store_nothing(server, shape):
    change, field = MALFORMED[shape]
    manifest = squares.build_manifest(20)
    nodes = list(manifest.graph.nodes())
    edges = [e.to_dict() for e in manifest.graph.edges()]
    change(nodes, edges)
    before = httpx.get(api(server, "/dispatches?limit=1&include_children=true")).json()["total"]
    files = _send(manifest, manifest.head(), _lines(nodes), _lines(edges))
    answer = httpx.post(api(server, "/dispatches"), files=files, headers=CLIENT_HEADERS)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"], answer.json()["detail"]
    assert httpx.get(api(server, "/dispatches?limit=1&include_children=true")).json()["total"] == before


def test_lines_that_are_not_json_the_graph_twice_and_a_missing_part_answer_4xx(server):
    manifest = squares.build_manifest(5)
    nodes, edges = _lines(manifest.graph.nodes()), _lines(e.to_dict() for e in manifest.graph.edges())
    cases = [
        (_send(manifest, manifest.head(), nodes + b"{not json\n", edges), f"graph.nodes[{len(manifest.graph)}] is not"),
        (_send(manifest, manifest.to_json(), nodes, edges), "must be empty"),
        (_send(manifest, {**manifest.head(), "output": {"node": 999}}, nodes, edges), "output.node"),
        (_send(manifest, manifest.head(), b"[" * 100_000 + b"\n", edges), "nested too deeply"),
    ]
    without_edges = _send(manifest, manifest.head(), nodes, edges)
    del without_edges["edges"]
    cases.append((without_edges, "'nodes' and 'edges'"))
    for files, words in cases:
        answer = httpx.post(api(server, "/dispatches"), files=files, headers=CLIENT_HEADERS)
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["detail"], answer.json()["detail"]


class _Lines:
    """A file of JSON lines made while it is read (what the server reads the parts from, without the bytes)."""

    def __init__(self, make) -> None:
        self.make = make

    def seek(self, offset: int) -> None:
        pass

    def __iter__(self):
        return (line for chunk in self.make() for line in chunk.splitlines(keepends=True))


def test_registration_of_a_large_streamed_graph_holds_no_copy_of_every_node(tmp_path):
    """The graph is built as its lines are read: memory grows by far less than a parsed node list would take."""
    manifest = squares.build_manifest(20_000)
    head = manifest.head()
    nodes = _Lines(lambda: manifest.node_lines(batch=100))
    edges = _Lines(lambda: manifest.edge_lines(batch=100))

    class NoStore:
        def existing(self, conn, keys):
            return set()

    lines = GraphLines(nodes, edges)  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        new = prepare_dispatch(None, NoStore(), head, manifest.blobs, graph_lines=lines, check_executors=False)
        grown = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(new.graph) == 40_003 and len(new.node_rows) == 40_003
    # The same registration from the whole manifest's parsed JSON peaks at ~1,500 bytes a node (its parsed
    # nodes and edges alone ~900); from lines ~650: the graph, its order, fingerprints and previews.
    assert grown / 40_003 < 1000, grown / 40_003
    rows = list(new.node_rows)
    assert {r.status for r in rows if r.kind == "parameter"} == {"COMPLETED"}


class _File:
    """A part's file as the server reads it: its lines, with blank or padded lines around them."""

    def __init__(self, data: bytes, *, before=(), indent: bytes = b"", after=()) -> None:
        self.lines = [*before, *(indent + line for line in data.splitlines(keepends=True)), *after]

    def seek(self, offset: int) -> None:
        pass

    def __iter__(self):
        return iter(self.lines)


def _streamed_form(manifest):
    """The manifest's JSON as a streamed upload stores it: whole, but for the blobs' sizes."""
    data = manifest.to_json()
    del data["blobs"]
    return data


def test_the_stored_text_is_the_manifest_as_one_json():
    manifest = squares.build_manifest(7)

    lines = GraphLines(
        _File(b"".join(manifest.node_lines(batch=3)), after=[b"\n", b"  \n"]),  # type: ignore[arg-type]
        _File(b"".join(manifest.edge_lines(batch=3)), after=[b"\n", b"  \n"]),  # type: ignore[arg-type]
    )
    assert json.loads(lines.stored_text(manifest.head())) == _streamed_form(manifest)
    with pytest.raises(ManifestError, match="must be empty"):
        prepare_dispatch(None, None, manifest.to_json(), manifest.blobs, graph_lines=lines)  # type: ignore[arg-type]


def _database(server):
    """The server's database, as SQLAlchemy reaches it (SQLite file or the PostgreSQL of the test run)."""
    from sqlalchemy import create_engine

    return create_engine(server.env.get("COVALENT_DATABASE_URL") or f"sqlite:///{server.data_dir / 'covalent.db'}")


def _node_rows(server, dispatch_id):
    from sqlalchemy import text

    engine = _database(server)
    try:
        with engine.connect() as conn:
            query = "SELECT node_id, name, kind, executor, fingerprint, output_key FROM nodes WHERE dispatch_id = :d"
            return sorted(tuple(row) for row in conn.execute(text(query), {"d": dispatch_id}))
    finally:
        engine.dispose()


#: Squares maps large enough to be answered before their rows are written: sent as lines, and in one piece.
LARGE = pytest.mark.parametrize(
    "n", [STREAMED_NODES // 2 + 10, LIMITS.rows_after_nodes // 2 + 10], ids=["lines", "one piece"]
)


def test_a_large_graph_is_answered_before_its_rows_are_written_however_it_is_sent():
    one_piece = squares.build_manifest(LIMITS.rows_after_nodes // 2 + 10)
    assert LIMITS.rows_after_nodes <= len(one_piece.graph) < STREAMED_NODES
    assert "nodes" not in dict(upload_parts(one_piece, {}))  # not streamed
    assert rows_written_after(len(one_piece.graph), streamed=False, linger=None)
    assert rows_written_after(3, streamed=True, linger=None)
    assert not rows_written_after(LIMITS.rows_after_nodes - 1, streamed=False, linger=None)
    assert not rows_written_after(10**6, streamed=True, linger=0.03)  # its answer waits for its end


@LARGE
def test_a_dispatch_recorded_without_its_rows_gets_them_from_its_manifest_at_start(fresh_server, n):
    """A large upload is answered before its node rows are written: the next server writes what a stop left out.

    The state a kill -9 between the two commits leaves (the dispatch and its
    manifest recorded, no node row) is made here exactly, so the test does not
    depend on when the kill lands.
    """
    from sqlalchemy import text

    dispatch_id = ct.dispatch(squares, disable_run=True)(n)
    assert httpx.get(api(fresh_server, f"/dispatches/{dispatch_id}")).status_code == 200
    ct.get_result(dispatch_id)  # readable at once
    deadline = time.monotonic() + 60
    while len(rows := _node_rows(fresh_server, dispatch_id)) < 2 * n + 2:  # written after the answer
        assert time.monotonic() < deadline, len(rows)
        time.sleep(0.05)
    fresh_server.stop()
    engine = _database(fresh_server)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM nodes WHERE dispatch_id = :d"), {"d": dispatch_id})
    engine.dispose()
    fresh_server.start()
    deadline = time.monotonic() + 60
    while (again := _node_rows(fresh_server, dispatch_id)) != rows:
        assert time.monotonic() < deadline, f"{len(again)} of {len(rows)} rows written again"
        time.sleep(0.05)
    started = httpx.post(api(fresh_server, f"/dispatches/{dispatch_id}/start"), headers=CLIENT_HEADERS)
    assert started.status_code < 300, started.text
    result = ct.get_result(dispatch_id, wait=True, progress=False)
    assert result.status == "COMPLETED" and result.result == sum(i * i for i in range(n))


def _logged_squares(log: str):
    @ct.electron
    def logged_square(x, log):
        with open(log, "a") as f:
            f.write(f"{x}\n")
        return x * x

    @ct.lattice
    def many(n, log):
        return total([logged_square(i, log) for i in range(n)])

    return many


@pytest.mark.parametrize("n", [STREAMED_NODES // 3 + 10, LIMITS.rows_after_nodes // 3 + 10], ids=["lines", "one piece"])
def test_a_server_killed_while_a_large_dispatchs_rows_are_written_loses_nothing(fresh_server, tmp_path, n):
    """kill -9 right after the answer to a large upload: the next server writes its rows and runs it, once each."""
    log = tmp_path / "runs.log"
    lattice = _logged_squares(str(log))
    dispatch_id = ct.dispatch(lattice)(n, str(log))
    fresh_server.kill()
    nodes = len(lattice.build_manifest(n, str(log)).graph)
    at_kill = _node_rows(fresh_server, dispatch_id)
    assert len(at_kill) in (0, nodes)  # all or none: written in one transaction
    done_at_kill = {row[0] for row in _completed(fresh_server, dispatch_id)}
    fresh_server.start()
    result = ct.get_result(dispatch_id, wait=True, progress=False)
    assert result.status == "COMPLETED", result.error
    assert result.result == sum(i * i for i in range(n))
    assert len(_node_rows(fresh_server, dispatch_id)) == nodes
    ran = collections.Counter(log.read_text().split())
    assert set(ran) == {str(i) for i in range(n)}
    squares_of = {r["node_id"]: r["output"] for r in result.get_all_node_results() if r["node_name"] == "logged_square"}
    for node_id in done_at_kill & set(squares_of):
        x = str(round(squares_of[node_id] ** 0.5))
        assert ran[x] == 1, f"square of {x} was recorded complete before the kill, yet ran again"


def _completed(server, dispatch_id):
    from sqlalchemy import text

    engine = _database(server)
    try:
        with engine.connect() as conn:
            query = "SELECT node_id FROM nodes WHERE dispatch_id = :d AND kind = 'electron' AND status = 'COMPLETED'"
            return list(conn.execute(text(query), {"d": dispatch_id}))
    finally:
        engine.dispose()


def test_the_stored_texts_size_comes_from_the_check_and_matches_the_text():
    """Its size, measured while the lines were checked, is the length of the text written (blank lines too)."""
    manifest = squares.build_manifest(9)

    def padded(data: bytes) -> _File:
        return _File(data, before=[b"\n"], indent=b"  ", after=[b" \t\n"])

    lines = GraphLines(
        padded(b"".join(manifest.node_lines(batch=4))),  # type: ignore[arg-type]
        padded(b"".join(manifest.edge_lines(batch=4))),  # type: ignore[arg-type]
    )
    stored = lines.stored(manifest.head())
    unmeasured = stored.size()  # nothing read yet: made to be measured
    assert lines.measured.keys() == {"nodes", "edges"}  # ... and reading measured both parts
    text = b"".join(stored.pieces())
    assert stored.size() == unmeasured == len(text) and json.loads(text) == _streamed_form(manifest)
    empty = GraphLines(_File(b""), _File(b""))  # type: ignore[arg-type]
    for part in ("nodes", "edges"):
        list(empty.lines(part))
    assert empty.stored(manifest.head()).size() == len(b"".join(empty.stored(manifest.head()).pieces()))
