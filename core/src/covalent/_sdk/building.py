"""Turning a lattice body into a transport graph.

While a lattice body runs under :func:`covalent._sdk.context.building`, each
electron call adds a node and returns a :class:`NodeOutput` standing for the
value the task will produce.  Outputs can be indexed, unpacked, attribute-
accessed, combined arithmetically and nested in lists, tuples and dicts; each
such use adds a small built-in node, so the graph carries the whole data flow.
"""

from __future__ import annotations

import dis
import inspect
import operator
import sys
import textwrap
import typing
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from covalent._sdk.executors import executor_spec
from covalent._sdk.source import cached_source
from covalent.errors import GraphBuildError, GraphBuildWarning, SerializationError
from covalent.graph.serialize import blob_key, code_fingerprint, dumps
from covalent.graph.transport_graph import Edge, NodeKind, TransportGraph
from covalent.runtime import ops
from covalent.runtime.preview import preview_text

if TYPE_CHECKING:
    from covalent._sdk.electron import Electron
    from covalent._sdk.lattice import Lattice

__all__ = ["ElectronCallError", "GraphBuilder", "Inherited", "NodeOutput", "UnknownLengthError"]

#: The name of the node that holds a workflow's return value (Covalent's postprocessing node).
POSTPROCESS_NAME = ":postprocess:"


class ElectronCallError(GraphBuildError, TypeError):
    """An electron was called with arguments its signature does not accept."""


class UnknownLengthError(GraphBuildError, TypeError):
    """The length of an electron's output is asked while the graph is built (a TypeError, as ``len`` raises)."""


@dataclass
class Inherited:
    """What the electrons of a sublattice take from the workflow around it when they set nothing."""

    executor: Any = None
    deps_bash: list[Any] = field(default_factory=list)
    deps_pip: list[Any] = field(default_factory=list)
    call_before: list[Any] = field(default_factory=list)
    call_after: list[Any] = field(default_factory=list)


class GraphBuilder:
    """Collects nodes, edges and content-addressed blobs for one graph."""

    def __init__(
        self,
        lattice: Lattice | None = None,
        replacements: dict[str, Any] | None = None,
        inherited: Inherited | None = None,
    ) -> None:
        self.graph = TransportGraph()
        self.blobs: dict[str, bytes] = {}
        self.lattice = lattice
        self.replacements = dict(replacements or {})
        self.inherited = inherited or Inherited()
        self._functions: dict[int, tuple[Any, str]] = {}
        self._facts: dict[int, tuple[Any, _Facts]] = {}
        self._hooks: dict[int, tuple[Any, str | None]] = {}
        #: Each electron function's source by its blob key (what the dashboard shows; never run).
        self.sources: dict[str, str] = {}

    # -- blobs ------------------------------------------------------------
    def add_blob(self, data: bytes) -> str:
        key = blob_key(data)
        self.blobs.setdefault(key, data)
        return key

    def add_function(self, func: Any, what: str) -> str:
        cached = self._functions.get(id(func))
        if cached is not None and cached[0] is func:
            return cached[1]
        key = self.add_blob(dumps(func, what=what))
        self._functions[id(func)] = (func, key)
        return key

    def add_value(self, value: Any, what: str) -> str:
        return self.add_blob(dumps(value, what=what))

    def facts(self, func: Any) -> _Facts:
        """What the graph needs to know about a function, worked out once per build."""
        cached = self._facts.get(id(func))
        if cached is not None and cached[0] is func:
            return cached[1]
        facts = _Facts(func)
        self._facts[id(func)] = (func, facts)
        return facts

    # -- nodes ------------------------------------------------------------
    def add_call(
        self, electron: Electron, func: Any, is_sublattice: bool, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Add a node calling ``func`` (the electron's function or its replacement; a lattice: a sublattice)."""
        name = electron.name
        facts = self.facts(func)
        display = _bind(facts.signature, name, args, kwargs, facts.positional)
        executor = self.executor_for(electron)
        attrs: dict[str, Any] = {
            "function": self.add_function(
                _SublatticeBuilder(func, self.inherited_by(electron)) if is_sublattice else func,
                f"electron {name!r}",
            ),
        }
        # Unset settings are left out (readers take a missing one as unset): ~45 bytes less a node to
        # encode, send, check and store.
        spec = executor_spec(executor)
        if spec is not None:
            attrs["executor"] = spec
        if electron.retries:
            attrs["retries"] = electron.retries
        if electron.time_limit is not None:
            attrs["time_limit"] = electron.time_limit
        code_hash = None if is_sublattice else facts.code_hash
        if code_hash:
            attrs["code_hash"] = code_hash
        if facts.source:
            self.sources.setdefault(attrs["function"], facts.source)
        hooks = self.hooks_key(electron)
        if hooks:
            attrs["hooks"] = hooks
        if electron.files:
            attrs["files"] = [ft.to_spec(self.add_function).to_json() for ft in electron.files]
            if not electron.takes_files:
                attrs["files_keyword"] = False
        if electron.user_metadata:
            attrs["metadata"] = dict(electron.user_metadata)
        kind = NodeKind.SUBLATTICE if is_sublattice else NodeKind.ELECTRON
        node_id = self.graph.add_node(kind, name, **attrs)
        for index, value in enumerate(args):
            source = self.input_node(value, display[index], name)
            self.graph.add_edge(Edge(source, node_id, display[index], arg_index=index))
        for key, value in kwargs.items():
            source = self.input_node(value, key, name)
            self.graph.add_edge(Edge(source, node_id, key, key=key))
        return NodeOutput(self, node_id, name, facts.return_length)

    def hooks_key(self, electron: Electron) -> str | None:
        """The blob key of the electron's dependencies (None: it has none), pickled once per build."""
        cached = self._hooks.get(id(electron))
        if cached is not None and cached[0] is electron:
            return cached[1]
        hooks = electron.hooks(self.lattice, self.inherited)
        key = self.add_function(hooks, f"dependencies of electron {electron.name!r}") if hooks else None
        self._hooks[id(electron)] = (electron, key)
        return key

    def executor_for(self, electron: Electron) -> Any:
        """The electron's executor, else its workflow's, else the one the workflow inherited."""
        if electron.executor is not None:
            return electron.executor
        if self.lattice is not None and self.lattice.executor is not None:
            return self.lattice.executor
        return self.inherited.executor

    def inherited_by(self, electron: Electron) -> Inherited:
        """What a sublattice called through ``electron`` passes on to its own electrons."""
        lattice = self.lattice
        own = self.inherited
        return Inherited(
            executor=self.executor_for(electron),
            deps_bash=(lattice.deps_bash if lattice else []) or own.deps_bash,
            deps_pip=(lattice.deps_pip if lattice else []) or own.deps_pip,
            call_before=(lattice.call_before if lattice else []) or own.call_before,
            call_after=(lattice.call_after if lattice else []) or own.call_after,
        )

    def add_postprocess(self, returned: Any, lattice_name: str) -> int:
        """The node holding the workflow's return value, numbered after every task as Covalent numbers it.

        It runs nothing: the dispatcher gives it its one input's output (an
        electron's, a collection's, or the constant returned).
        """
        node_id = self.graph.add_node(
            NodeKind.POSTPROCESS, POSTPROCESS_NAME, function=self.add_function(ops.identity, POSTPROCESS_NAME)
        )
        source = self.input_node(returned, "return", lattice_name)
        self.graph.add_edge(Edge(source, node_id, "return", arg_index=0))
        return node_id

    def add_builtin(
        self,
        kind: NodeKind,
        name: str,
        func: Any,
        inputs: list[Any],
        executor: dict[str, Any] | None,
    ) -> NodeOutput:
        attrs: dict[str, Any] = {"function": self.add_function(func, name)}
        if executor is not None:
            attrs["executor"] = executor
        node_id = self.graph.add_node(kind, name, **attrs)
        for index, value in enumerate(inputs):
            source = self.input_node(value, f"[{index}]", name)
            self.graph.add_edge(Edge(source, node_id, f"[{index}]", arg_index=index))
        return NodeOutput(self, node_id, name, None)

    def input_node(self, value: Any, param: str, target: str) -> int:
        """The node that provides ``value`` (an output, a collection, or a parameter)."""
        if isinstance(value, NodeOutput):
            if value._builder is not self:
                raise GraphBuildError(
                    f"argument {param!r} of {target!r} is the output of an electron from another workflow"
                )
            return value._node_id
        if _holds_outputs(value) or (isinstance(value, dict) and any(_holds_outputs(k) for k in value)):
            return self._collection(value, param, target)._node_id
        try:
            key = self.add_value(value, what=f"argument {param!r} of {target!r}")
        except SerializationError:
            raise
        # The dashboard shows this text: the server never unpickles a value to describe it.
        return self.graph.add_node(NodeKind.PARAMETER, f":parameter:{param}", value=key, preview=preview_text(value))

    def _collection(self, value: Any, param: str, target: str) -> NodeOutput:
        executor = _first_executor(self, value)
        if isinstance(value, dict):
            keys = list(value.keys())
            if any(_holds_outputs(k) for k in keys):  # {out["name"]: ...}: the keys are inputs too
                items = [part for pair in value.items() for part in pair]
                return self.add_builtin(NodeKind.COLLECTION, ":dict:", ops.dict_from_items, items, executor)
            return self.add_builtin(NodeKind.COLLECTION, ":dict:", ops.build_dict(keys), list(value.values()), executor)
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # namedtuple: rebuild the same type
            make = getattr(type(value), "_make")  # noqa: B009 - namedtuple API
            return self.add_builtin(NodeKind.COLLECTION, ":tuple:", make, [list(value)], executor)
        # A tuple or set holding outputs arrives as a list, as Covalent rebuilds them (docs/compatibility.md);
        # a set's items in a fixed order (outputs by node, then the rest by repr), so ids stay deterministic.
        items = sorted(value, key=_set_order) if isinstance(value, set | frozenset) else list(value)
        return self.add_builtin(NodeKind.COLLECTION, ":list:", ops.build_list, items, executor)

    def wait_edge(self, child: NodeOutput, parent: NodeOutput) -> None:
        self.graph.add_edge(Edge(parent._node_id, child._node_id, ":wait:", wait=True))


def _set_order(item: Any) -> tuple[int, str]:
    return (item._node_id, "") if isinstance(item, NodeOutput) else (2**62, repr(item))


def _holds_outputs(value: Any) -> bool:
    if isinstance(value, NodeOutput):
        return True
    if isinstance(value, dict):
        return any(_holds_outputs(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_outputs(v) for v in value)
    return False


def _first_executor(builder: GraphBuilder, value: Any) -> dict[str, Any] | None:
    if isinstance(value, NodeOutput):
        return builder.graph.node(value._node_id).get("executor")
    items = [*value.values(), *value.keys()] if isinstance(value, dict) else value
    if isinstance(items, list | tuple) or isinstance(value, dict):
        for item in items:
            if _holds_outputs(item):
                return _first_executor(builder, item)
    return None


class _Facts:
    """A function's signature, code fingerprint and fixed return length."""

    def __init__(self, func: Any) -> None:
        target = getattr(func, "_function", func)  # a lattice's own function
        try:
            self.signature: inspect.Signature | None = inspect.signature(target)
        except (TypeError, ValueError):
            self.signature = None
        self.positional = _positional_names(self.signature)
        self.code_hash = code_fingerprint(func)
        self.return_length = _return_length(func)
        self.source = _source(target)


#: Longer sources are not sent (the manifest's limit for a text).
MAX_SOURCE_CHARS = 100_000


def _source(target: Any) -> str:
    """A function's source as written (dedented), or "" where Python cannot find it (a REPL, a C function)."""
    try:
        text = textwrap.dedent(cached_source(target))
    except (OSError, TypeError):
        return ""
    return text if len(text) <= MAX_SOURCE_CHARS else ""


def _positional_names(signature: inspect.Signature | None) -> tuple[tuple[str, ...], int] | None:
    """The names of a signature's leading positional parameters and how many must be given, when a call
    with positional arguments only is checked by counting them (no keyword-only parameter without a
    default); else None."""
    if signature is None:
        return None
    names: list[str] = []
    required = 0
    for param in signature.parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            names.append(param.name)
            required += param.default is param.empty
        elif param.kind is param.KEYWORD_ONLY and param.default is param.empty:
            return None
    return tuple(names), required


def _bind(
    signature: inspect.Signature | None,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    positional: tuple[tuple[str, ...], int] | None = None,
) -> list[str]:
    """Check the call against the signature; name each positional argument.

    ``positional`` (:func:`_positional_names`): a call of positional arguments
    only that fills the leading parameters is checked by counting them.
    """
    if positional is not None and not kwargs and positional[1] <= len(args) <= len(positional[0]):
        return list(positional[0][: len(args)])
    if signature is None:
        return [f"arg[{i}]" for i in range(len(args))]
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise ElectronCallError(f"electron {name!r} called with wrong arguments: {exc}") from None
    names: list[str] = []
    for param_name, param in signature.parameters.items():
        if param_name not in bound.arguments:
            continue
        if param.kind is param.VAR_POSITIONAL:
            names += [f"{param_name}[{i}]" for i in range(len(bound.arguments[param_name]))]
        elif param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD) and len(names) < len(args):
            names.append(param_name)
    names += [f"arg[{i}]" for i in range(len(names), len(args))]
    return names[: len(args)]


def _return_length(func: Any) -> int | None:
    """The length of a fixed-size tuple return annotation, if there is one."""
    target = getattr(func, "_function", func)
    try:
        hints = typing.get_type_hints(target)
    except Exception:
        hints = getattr(target, "__annotations__", {}) or {}
    annotation = hints.get("return")
    if annotation is None:
        return None
    origin = typing.get_origin(annotation)
    if origin in (tuple, typing.Tuple):  # noqa: UP006
        parts = typing.get_args(annotation)
        if parts and Ellipsis not in parts:
            return len(parts)
    return None


def _unpack_count(frame: Any) -> int | None:
    """How many names the caller unpacks into (``a, b = out``), from its bytecode.

    Only a fallback for outputs without a tuple return annotation, kept so
    that existing Covalent workflows unpack unchanged.
    """
    if frame is None:
        return None
    for instruction in dis.get_instructions(frame.f_code):
        if instruction.offset == frame.f_lasti:
            if instruction.opname == "UNPACK_SEQUENCE":
                return int(instruction.argval)
            return None
    return None


class _SublatticeBuilder:
    """The function of a sublattice node: builds the inner graph from real inputs.

    Its electrons that name no executor or dependencies take the ones of the
    workflow around it (``inherited``), as Covalent's do.
    """

    def __init__(self, lattice: Lattice, inherited: Inherited | None = None) -> None:
        self.lattice = lattice
        self.inherited = inherited

    def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        inherited = getattr(self, "inherited", None)  # absent from builders pickled before it existed
        manifest = self.lattice.build_manifest_inheriting(inherited, args, kwargs)
        return manifest.to_payload()


class NodeOutput:
    """Stands, while the graph is built, for the value a node will produce."""

    __slots__ = ("_builder", "_length", "_name", "_node_id")

    def __init__(self, builder: GraphBuilder, node_id: int, name: str, length: int | None) -> None:
        self._builder = builder
        self._node_id = node_id
        self._name = name
        self._length = length

    @property
    def node_id(self) -> int:
        return self._node_id

    def __repr__(self) -> str:
        return f"<output of node {self._node_id} ({self._name})>"

    def _executor(self) -> dict[str, Any] | None:
        return self._builder.graph.node(self._node_id).get("executor")

    def _op(self, name: str, func: Any, *others: Any) -> NodeOutput:
        return self._builder.add_builtin(NodeKind.OPERATION, name, func, [self, *others], self._executor())

    def __getitem__(self, key: Any) -> NodeOutput:
        if isinstance(key, NodeOutput) or _holds_outputs(key):
            return self._op(":getitem:", operator.getitem, key)
        return self._op(f":getitem:{key!r}"[:60], ops.get_item(key))

    def _unpacked_item(self, index: int) -> NodeOutput:
        """Item ``index`` as unpacking takes it: the index is a parameter node, as Covalent numbers it."""
        return self._op(f":getitem:{index}", operator.getitem, index)

    def __getattr__(self, name: str) -> NodeOutput:
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "keys":  # dict(out) must not take out.keys for a mapping's method (Covalent: the same)
            raise AttributeError("`keys` cannot be used as an attribute of an electron's output")
        return self._op(f":getattr:{name}", ops.get_attr(name))

    def wait_for(self, parents: Any) -> NodeOutput:
        """Run this node only after ``parents`` (an output or a list of them) ended: ``ct.wait`` as a method."""
        items = parents if isinstance(parents, list | tuple) else [parents]
        for parent in items:
            if not isinstance(parent, NodeOutput):
                raise GraphBuildError(f"wait_for(parents): every parent must be an electron's output, got {parent!r}")
            self._builder.wait_edge(self, parent)
        return self

    def __iter__(self) -> Any:
        length = self._length
        if length is None:
            length = _unpack_count(sys._getframe(1))
        if length is None:
            # Covalent yields nothing here (list(out), tuple(out), dict(out) are empty while
            # the graph is built); so do we, and say why.
            warnings.warn(
                f"iterating over the output of electron {self._name!r} while the graph is built "
                "yields nothing: its length is unknown. Annotate the electron's return type as a "
                "fixed-size tuple (-> tuple[int, int]), unpack it (a, b = task()) or index it (out[0]).",
                GraphBuildWarning,
                stacklevel=2,
            )
            return iter(())
        return iter([self._unpacked_item(i) for i in range(length)])

    def __len__(self) -> int:
        if self._length is None:
            raise UnknownLengthError(
                f"the length of electron {self._name!r}'s output is unknown while the graph "
                "is built; annotate its return type as a fixed-size tuple"
            )
        return self._length

    # int(out), float(out), complex(out): the type's zero while the graph is built, as in Covalent.
    def __int__(self) -> int:
        self._warn_conversion("int")
        return 0

    def __float__(self) -> float:
        self._warn_conversion("float")
        return 0.0

    def __complex__(self) -> complex:
        self._warn_conversion("complex")
        return 0j

    def _warn_conversion(self, kind: str) -> None:
        warnings.warn(
            f"{kind}() of electron {self._name!r}'s output while the graph is built gives {kind}()'s "
            "zero (as in Covalent), not the value the task will return; convert inside an electron",
            GraphBuildWarning,
            stacklevel=3,
        )

    def __bool__(self) -> bool:
        raise GraphBuildError(
            f"the truth value of electron {self._name!r}'s output is unknown while the graph "
            "is built; move the condition into an electron"
        )

    def __reduce__(self) -> Any:
        raise GraphBuildError(
            f"the output of electron {self._name!r} was captured inside an object that is not "
            "a list, tuple or dict; pass it to electrons directly"
        )


def _binary(name: str, reflected: bool = False) -> Any:
    label = f":{'r' if reflected else ''}{name}:"

    def method(self: NodeOutput, other: Any) -> NodeOutput:
        return self._op(label, ops.binary_op(name, reflected), other)

    method.__name__ = f"__{'r' if reflected else ''}{name}__"
    return method


def _unary(name: str) -> Any:
    def method(self: NodeOutput) -> NodeOutput:
        return self._op(f":{name}:", ops.unary_op(name))

    method.__name__ = f"__{name}__"
    return method


for _name in ops.BINARY_OPERATORS:
    _dunder = _name if _name not in ("and", "or") else f"{_name}_"
    dunder = {"and_": "and", "or_": "or"}.get(_dunder, _dunder)
    setattr(NodeOutput, f"__{dunder}__", _binary(_name))
    setattr(NodeOutput, f"__r{dunder}__", _binary(_name, reflected=True))
for _name in ops.UNARY_OPERATORS:
    setattr(NodeOutput, f"__{_name}__", _unary(_name))
