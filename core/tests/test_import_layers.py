"""The import graph of ``covalent`` has no cycles and follows the layer order.

The graph is built from the code with :mod:`ast`: every ``import`` and
``from ... import`` counts, those inside functions too (they run sooner or
later); only imports under ``if TYPE_CHECKING:`` do not (they never run).
``docs/architecture.md`` explains the layers; :data:`LAYERS` is the order
this test enforces, from the top (may import everything below it) to the
bottom (imports no other part of covalent).

The dashboard (``covalent_ui``) is a client of the server's public read
interface: it may import :data:`DASHBOARD_SERVER_API` from ``covalent.server``
and nothing else there.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "core" / "src"
UI = REPO / "ui" / "src"

#: Top first.  A module may import modules of its own layer (without a cycle)
#: and of any layer below it, never one above.  A module belongs to the layer
#: with the longest prefix that names it; ``=name`` names one module exactly
#: (a package's face, above the modules it is made of).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("command line", ("covalent.cli",)),
    ("testing aids", ("covalent.testing",)),
    ("server wiring", ("covalent.server",)),
    ("server API", ("covalent.server.api", "covalent.server.view")),
    ("server state", ("covalent.server.state",)),
    ("trigger service", ("covalent.server.triggers",)),
    ("intake", ("covalent.server.registration", "covalent.server.redispatch", "covalent.server.sublattices")),
    ("dispatcher", ("covalent.server.dispatcher",)),
    ("events", ("covalent.server.events",)),
    ("store", ("covalent.server.store",)),
    ("database", ("covalent.server.db",)),
    ("package face", ("=covalent",)),
    (
        "Covalent's import paths",
        (
            "covalent._results_manager",
            "covalent._file_transfer",
            "covalent._workflow",
            "covalent._shared_files",
            "covalent._dispatcher_plugins",
            "covalent.executor.base",
            "covalent.executor.executor_plugins",
        ),
    ),
    ("triggers", ("covalent.triggers",)),
    ("client", ("covalent.client",)),
    ("SDK", ("covalent._sdk", "covalent.leptons")),
    ("executor namespace", ("=covalent.executor",)),
    ("plugin loading", ("covalent.plugins", "covalent.executor.registry")),
    ("executors", ("covalent.executor",)),
    ("graph", ("covalent.graph",)),
    ("runtime", ("covalent.runtime",)),
    ("contracts", ("covalent.plugins.hookspecs",)),
    (
        "foundation",
        (
            "covalent.config",
            "covalent.config_keys",
            "covalent.log",
            "covalent.errors",
            "covalent.status",
            "covalent._version",
            "covalent.coinstall",
            "covalent.config_keys",
            "covalent.log",
            "covalent.logtail",
            "covalent.limits",
            "covalent.lazy",
        ),
    ),
]

#: Edges that break the rules today, each removed by the change that fixes it:
#: this list only ever shrinks, to empty.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()

#: What the dashboard may import from ``covalent.server``: its public read interface.
DASHBOARD_SERVER_API: set[str] = {"covalent.server.view"}


def module_files(src: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``src``, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the import nodes under ``if TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
        if name == "TYPE_CHECKING":
            for stmt in node.body:
                skipped.update(id(inner) for inner in ast.walk(stmt))
    return skipped


def imported_names(module: str, path: Path, *, type_checking: bool = False) -> Iterator[str]:
    """Dotted names ``module`` imports (``from a import b`` gives ``a.b``, which may be a module).

    Imports under ``if TYPE_CHECKING:`` count only with ``type_checking``.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = set() if type_checking else _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield f"{base}.{alias.name}"


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module a dotted import name lands in: itself, else its closest enclosing module."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph(src: Path = CORE, package: str = "covalent") -> nx.DiGraph:
    modules = module_files(src, package)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        for name in imported_names(module, path):
            target = resolve(name, modules)
            if target is not None and target != module:
                graph.add_edge(module, target)
    return graph


def layer_of(module: str) -> int:
    best, depth = len(LAYERS), -1
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            if name.startswith("="):
                if module == name[1:]:
                    return index
            elif (module == name or module.startswith(name + ".")) and name.count(".") > depth:
                best, depth = index, name.count(".")
    return best


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in import_graph() if layer_of(m) == len(LAYERS)]
    assert unplaced == []


def test_no_import_cycles() -> None:
    graph = import_graph()
    graph.remove_edges_from(KNOWN_EXCEPTIONS)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_imports_follow_the_layer_order() -> None:
    graph = import_graph()
    upward = sorted(
        f"{a} ({LAYERS[layer_of(a)][0]}) -> {b} ({LAYERS[layer_of(b)][0]})"
        for a, b in graph.edges
        if layer_of(b) < layer_of(a) and (a, b) not in KNOWN_EXCEPTIONS
    )
    assert upward == []


def test_known_exceptions_still_exist() -> None:
    """A fixed exception leaves the list, so the list only shrinks."""
    graph = import_graph()
    assert sorted(e for e in KNOWN_EXCEPTIONS if not graph.has_edge(*e)) == []


def _dashboard_server_imports() -> set[str]:
    found: set[str] = set()
    for module, path in module_files(UI, "covalent_ui").items():
        for name in imported_names(module, path, type_checking=True):
            if name == "covalent.server" or name.startswith("covalent.server."):
                found.add(name)
    return found


def test_dashboard_uses_only_the_public_server_interface() -> None:
    modules = module_files(CORE, "covalent")
    internal = {resolve(name, modules) or name for name in _dashboard_server_imports()} - DASHBOARD_SERVER_API
    assert sorted(internal) == []


def test_the_layer_order_is_documented() -> None:
    """docs/architecture.md's table lists the layers this test enforces, in order."""
    text = (REPO / "docs" / "architecture.md").read_text()
    table = text[text.index("| layer | modules |") :].split("\n\n")[0].splitlines()[2:]
    documented = [row.split("|")[1].strip() for row in table]
    assert documented == [name for name, _ in LAYERS]


#: Where SQL is written: the store and the database layer (and the trigger that watches a user's own database).
SQL_MODULES = ("covalent.server.store", "covalent.server.db", "covalent.server.migrations", "covalent.triggers")
#: What other modules may take from SQLAlchemy: handles to pass on, and its errors.
SQL_HANDLES = {"sqlalchemy.Connection", "sqlalchemy.Engine"}


def test_sql_only_in_the_store() -> None:
    offences = []
    for module, path in module_files(CORE, "covalent").items():
        if any(module == m or module.startswith(m + ".") for m in SQL_MODULES):
            continue
        for name in imported_names(module, path, type_checking=True):
            if name.startswith("sqlalchemy") and name not in SQL_HANDLES and not name.startswith("sqlalchemy.exc"):
                offences.append(f"{module}: {name}")
    assert offences == []
