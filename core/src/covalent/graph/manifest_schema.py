"""The manifest's JSON, checked whole before anything of it is stored or drawn.

Every field has a type and a bound (pydantic, on the parsed JSON: typed dicts,
not model instances, so a 10,000-node manifest checks in a few tens of
milliseconds); then one pass checks what types cannot say: each node has the
blob its kind needs, each edge is exactly one of positional, keyword or wait,
ids are unique, edges and the output name existing nodes.  So a manifest the
server accepts can never break a page that reads it later.  A new field of the
manifest needs its type here: until then the server refuses it, naming it.  A refusal is a
:class:`ManifestError` whose message names the field (``graph.nodes[3].executor``).

:func:`parse_manifest` turns uploaded text into JSON: nesting too deep for
the parser is a :class:`ManifestError` (``json.loads`` of 100,000 nested
brackets raises ``RecursionError``), and the free-form fields (executor
options, metadata) may nest at most :data:`MAX_DEPTH` levels.
"""

import json
import math
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal, NotRequired

__all__ = [
    "MAX_DEPTH",
    "MAX_ID",
    "GraphChecker",
    "ManifestError",
    "parse_manifest",
    "prepare",
    "validate_manifest",
    "validated_lines",
]

#: Deepest nesting of the free-form JSON (executor options, metadata).
MAX_DEPTH = 32
#: Node ids and argument indexes are below this (the databases' integer columns hold them).
MAX_ID = 2**31
_LONG_TEXT = 1 << 20  # sources and docs
_TEXT = 4096  # names, parameter names, keys
_PREVIEW = 2000


class ManifestError(ValueError):
    """The manifest is not acceptable; the message says which field and why (HTTP 422)."""


def _shallow(value: Any) -> Any:
    """``value`` if its JSON nesting stays within :data:`MAX_DEPTH` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return value


def _seconds(value: Any) -> Any:
    if type(value) is int:
        return float(value)
    if type(value) is float and not math.isfinite(value):
        raise ValueError("must be a finite number of seconds")
    return value


#: The kinds of node a manifest may hold (equal to ``NodeKind``: a test keeps them so).
Kind = Literal["electron", "parameter", "sublattice", "collection", "operation", "postprocess"]


def _build_adapter() -> Any:
    """The pydantic validator of a whole manifest (typed dicts of every field, with their bounds).

    Built on first use: importing pydantic is a fifth of a server's start-up.
    """
    from pydantic import ConfigDict, Field, JsonValue, TypeAdapter, with_config
    from pydantic.functional_validators import BeforeValidator
    from typing_extensions import TypedDict

    BlobKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    NodeId = Annotated[int, Field(ge=0, lt=MAX_ID)]
    Text = Annotated[str, Field(max_length=_TEXT)]
    LongText = Annotated[str, Field(max_length=_LONG_TEXT)]
    Preview = Annotated[str, Field(max_length=_PREVIEW)]
    FreeJson = Annotated[dict[str, JsonValue], BeforeValidator(_shallow)]
    Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0)]
    #: NodeKind's values (postprocess: the workflow's return value, see covalent._sdk.building.add_postprocess).

    _STRICT = ConfigDict(extra="forbid", strict=True)

    @with_config(_STRICT)
    class ExecutorSpec(TypedDict):
        name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
        kwargs: NotRequired[FreeJson]

    @with_config(_STRICT)
    class TransferModel(TypedDict):
        """One file transfer (``files=``): ``covalent.runtime.transfer.spec.TransferSpec.to_json()``."""

        source: Text
        destination: Text
        order: NotRequired[Literal["before", "after"]]
        strategy: NotRequired[Text]
        protocol: NotRequired[Text]
        options: NotRequired[FreeJson]
        is_dir: NotRequired[bool]
        include_folder: NotRequired[bool]
        remote_side: NotRequired[Text]
        touch: NotRequired[Annotated[list[Text], Field(max_length=1000)]]
        files_arg: NotRequired[Annotated[list[Text], Field(max_length=2)]]
        retries: NotRequired[Annotated[int, Field(ge=0, le=1000)]]
        private: NotRequired[BlobKey | None]
        label: NotRequired[Text]

    @with_config(_STRICT)
    class NodeModel(TypedDict):
        id: NodeId
        kind: Kind
        name: Text
        function: NotRequired[BlobKey]
        value: NotRequired[BlobKey]
        executor: NotRequired[ExecutorSpec | None]
        retries: NotRequired[Annotated[int, Field(ge=0, le=1000)]]
        time_limit: NotRequired[Seconds | None]
        code_hash: NotRequired[Annotated[str, Field(max_length=128)] | None]
        hooks: NotRequired[BlobKey | None]
        metadata: NotRequired[FreeJson | None]
        preview: NotRequired[Preview | None]
        files: NotRequired[Annotated[list[TransferModel], Field(max_length=10_000)]]
        files_keyword: NotRequired[bool]

    @with_config(_STRICT)
    class EdgeModel(TypedDict):
        source: NodeId
        target: NodeId
        param: NotRequired[Text]
        arg_index: NotRequired[Annotated[int, Field(ge=0, lt=MAX_ID)] | None]
        key: NotRequired[Text | None]
        wait: NotRequired[bool]

    @with_config(_STRICT)
    class GraphModel(TypedDict):
        nodes: list[NodeModel]
        edges: list[EdgeModel]

    @with_config(_STRICT)
    class OutputModel(TypedDict):
        node: NotRequired[NodeId]
        value: NotRequired[BlobKey]
        preview: NotRequired[Preview | None]

    @with_config(_STRICT)
    class LatticeModel(TypedDict):
        function: NotRequired[BlobKey | None]
        inputs: NotRequired[BlobKey | None]
        source: NotRequired[LongText | None]
        doc: NotRequired[LongText | None]
        executor: NotRequired[ExecutorSpec | None]
        workflow_executor: NotRequired[ExecutorSpec | None]
        parameters: NotRequired[dict[Text, Preview]]
        task_packing: NotRequired[bool]

    @with_config(_STRICT)
    class ManifestModel(TypedDict):
        schema: Literal[1]
        name: Annotated[str, Field(min_length=1, max_length=_TEXT)]
        lattice: NotRequired[LatticeModel]
        output: OutputModel
        graph: GraphModel
        blobs: NotRequired[dict[BlobKey, Annotated[int, Field(ge=0)]]]
        #: Each electron function's source by the blob key of its function (shown by the dashboard, never run).
        sources: NotRequired[Annotated[dict[BlobKey, LongText], Field(max_length=100_000)]]

    # The whole manifest, and the graph's nodes and edges sent apart as lines (validated_lines).
    return TypeAdapter(ManifestModel), TypeAdapter(list[NodeModel]), TypeAdapter(list[EdgeModel])


class GraphChecker:
    """What types cannot check, node by node and edge by edge: blobs per kind, edge forms, unique ids, edge ends.

    Fed the nodes first, then the edges (a graph read as a stream is checked
    as it is read); :attr:`problems` holds (field, problem) pairs, at most five.
    """

    def __init__(self) -> None:
        self.ids: set[int] = set()  # of the nodes that take inputs
        self.parameters: set[int] = set()
        self.problems: list[tuple[str, str]] = []

    @property
    def full(self) -> bool:
        return len(self.problems) >= 5

    def node(self, index: int, node: dict[str, Any]) -> None:
        where = f"graph.nodes[{index}]"
        if node["id"] in self.ids or node["id"] in self.parameters:
            self.problems.append((f"{where}.id", f"id {node['id']} is used twice"))
        (self.parameters if node["kind"] == "parameter" else self.ids).add(node["id"])
        if node["kind"] == "parameter":
            if "value" not in node:
                self.problems.append((where, "a parameter node needs 'value' (the blob key of its value)"))
        elif "function" not in node:
            self.problems.append((where, f"a {node['kind']} node needs 'function' (the blob key of its function)"))

    def edge(self, index: int, edge: dict[str, Any]) -> None:
        where = f"graph.edges[{index}]"
        ways = (edge.get("arg_index") is not None) + (edge.get("key") is not None) + bool(edge.get("wait"))
        if ways != 1:
            self.problems.append((where, "an edge is exactly one of: positional (arg_index), keyword (key) or wait"))
        if edge["source"] not in self.ids and edge["source"] not in self.parameters:
            self.problems.append((f"{where}.source", f"no node has id {edge['source']}"))
        if edge["target"] in self.parameters:
            problem = f"node {edge['target']} is a parameter: a parameter takes no inputs"
            self.problems.append((f"{where}.target", problem))
        elif edge["target"] not in self.ids:
            self.problems.append((f"{where}.target", f"no node has id {edge['target']}"))


def _graph_references(graph: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, problem) for what types cannot check (see :class:`GraphChecker`)."""
    checker = GraphChecker()
    for index, node in enumerate(graph["nodes"]):
        checker.node(index, node)
    for index, edge in enumerate(graph["edges"]):
        checker.edge(index, edge)
        if checker.full:
            break
    return checker.problems


def _output_reference(data: dict[str, Any], node_ids: set[int]) -> list[tuple[str, str]]:
    output = data["output"]
    if ("node" in output) == ("value" in output):
        return [("output", "output is either {'node': id} or {'value': blob key}")]
    if "node" in output and output["node"] not in node_ids:
        return [("output.node", f"no node has id {output['node']}")]
    return []


_ADAPTERS: Any = None


def _adapters() -> Any:
    global _ADAPTERS
    if _ADAPTERS is None:  # built on first use: the SDK and the server start without it
        _ADAPTERS = _build_adapter()
    return _ADAPTERS


def _adapter() -> Any:
    return _adapters()[0]


def prepare() -> None:
    """Build the validator now (a tenth of a second), e.g. in the background once a server is up."""
    _adapter()


def _refusal(what: str, problems: list[tuple[str, str]], total: int | None = None) -> ManifestError:
    shown = "; ".join(f"{where}: {problem}" for where, problem in problems[:5])
    more = (total or len(problems)) - min(len(problems), 5)
    return ManifestError(f"{what} is not valid: {shown}" + (f" (and {more} more)" if more > 0 else ""))


def validate_manifest(data: Any, what: str = "manifest", *, graph_apart: bool = False) -> dict[str, Any]:
    """Check a manifest's JSON whole and return it; raises :class:`ManifestError` naming the first problems.

    ``graph_apart``: the graph's nodes and edges are sent apart (:func:`validated_lines`), so
    the output's node is not looked for here.
    """
    if not isinstance(data, dict):
        raise ManifestError(f"{what} must be a JSON object, not {type(data).__name__}")
    from pydantic import ValidationError

    try:
        _adapter().validate_python(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False)[:5]:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
            problems.append((where or what, error["msg"].removeprefix("Value error, ")))
        raise _refusal(what, problems, exc.error_count()) from None
    problems = _graph_references(data["graph"])
    if not problems and not graph_apart:
        problems = _output_reference(data, {node["id"] for node in data["graph"]["nodes"]})
    if problems:
        raise _refusal(what, problems)
    return data


def _items_adapter(part: str) -> Any:
    """The validator of a list of the graph's nodes or edges."""
    return _adapters()[1 if part == "nodes" else 2]


def validated_lines(lines: Iterable[bytes], part: str, *, batch: int = 2000) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) of the graph's ``part`` ("nodes" or "edges") sent as JSON lines, each checked as it is read.

    Blank lines are skipped.  Raises :class:`ManifestError` naming the first
    problems (``graph.nodes[12].kind``), as :func:`validate_manifest` does.
    A batch of lines is parsed and checked in one call to pydantic's JSON
    validator; a batch it refuses is read again line by line, to name the line.
    """
    where = f"graph.{part}"
    adapter = _items_adapter(part)
    chunk: list[bytes] = []
    start = 0
    for line in lines:
        if not line.strip():
            continue
        if start + len(chunk) >= MAX_ID:
            raise ManifestError(f"manifest is not valid: {where}: more than {MAX_ID} items")
        chunk.append(line)
        if len(chunk) >= batch:
            yield from enumerate(_checked(adapter, chunk, start, where), start)
            start += len(chunk)
            chunk = []
    if chunk:
        yield from enumerate(_checked(adapter, chunk, start, where), start)


def _checked(adapter: Any, chunk: list[bytes], start: int, where: str) -> list[Any]:
    """The items of ``chunk`` (one JSON value a line), checked; :class:`ManifestError` names a bad line."""
    from pydantic import ValidationError

    try:
        items: list[Any] = adapter.validate_json(b"[" + b",".join(chunk) + b"]")
        if len(items) == len(chunk):  # each line held exactly one value
            return items
    except ValidationError:
        pass
    parsed = [parse_manifest(line, f"{where}[{start + offset}]") for offset, line in enumerate(chunk)]
    try:
        return list(adapter.validate_python(parsed))
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False)[:5]:
            loc = list(error["loc"])
            loc[0] = start + int(loc[0])
            at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
            problems.append((where + at, error["msg"].removeprefix("Value error, ")))
        raise _refusal("manifest", problems, exc.error_count()) from None


def parse_manifest(text: str | bytes, what: str = "manifest") -> Any:
    """The JSON of ``text``; :class:`ManifestError` if it is not JSON or nests too deeply to parse."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ManifestError(f"{what} is nested too deeply to read") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{what} is not valid JSON: {exc}") from None
