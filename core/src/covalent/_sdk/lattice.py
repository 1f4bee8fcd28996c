"""``@ct.lattice``: a workflow whose body, run with stand-ins, yields the graph."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from covalent._sdk.building import GraphBuilder, Inherited
from covalent._sdk.collector import collector_paused
from covalent._sdk.context import building
from covalent._sdk.deps import DepsBash, DepsCall, DepsPip, as_deps_list
from covalent._sdk.executors import executor_spec
from covalent._sdk.metadata import executor_metadata, hooks_metadata
from covalent._sdk.source import cached_source
from covalent.errors import CovalentError, GraphBuildError
from covalent.graph.manifest import Manifest
from covalent.graph.serialize import dumps
from covalent.graph.transport_graph import TransportGraph
from covalent.graph.transportable import TransportableObject
from covalent.runtime.preview import preview_text

__all__ = ["Lattice", "lattice"]


class Lattice:
    """A workflow: a function whose electron calls form a transport graph."""

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        executor: Any = None,
        workflow_executor: Any = None,
        deps_bash: Any = None,
        deps_pip: Any = None,
        call_before: Any = None,
        call_after: Any = None,
        triggers: Any = None,
        task_packing: bool = True,
        name: str | None = None,
    ) -> None:
        if not callable(function):
            raise TypeError(f"@lattice needs a callable, got {function!r}")
        executor_spec(executor)
        #: Registered with the dispatch (not part of the stored workflow): see covalent.triggers.
        self.triggers: list[Any] = _as_triggers(triggers)
        self._function = function
        self.executor = executor
        # Covalent ran post-processing on this executor; here the server assembles
        # the result itself, so it is recorded only (existing code keeps working).
        self.workflow_executor = workflow_executor
        self.deps_bash = as_deps_list(deps_bash, DepsBash)
        self.deps_pip = as_deps_list(deps_pip, DepsPip)
        self.call_before = as_deps_list(call_before, DepsCall)
        self.call_after = as_deps_list(call_after, DepsCall)
        self.task_packing = bool(task_packing)
        self.name: str = str(name or getattr(function, "__name__", "workflow"))
        self.transport_graph: TransportGraph | None = None
        self._inputs: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        # Name, docstring and __wrapped__ of the function, not its attributes: a
        # wrapped electron's executor must not become this lattice's.
        functools.update_wrapper(self, function, updated=())  # type: ignore[arg-type]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._function(*args, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        # The last graph built, and its inputs, are a convenience of this process, not part of the workflow.
        state = self.__dict__.copy()
        state["transport_graph"] = None
        state["triggers"] = []  # registered on the server with the dispatch, never run again from here
        state["_inputs"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "_function" not in state and "workflow_function" in state:  # pickled before workflow_function was a view
            state["_function"] = state.pop("workflow_function")
        state.setdefault("_inputs", None)
        self.__dict__.update(state)

    # -- Covalent's view ---------------------------------------------------------
    @property
    def workflow_function(self) -> TransportableObject:
        """The workflow's function; callable, and ``.get_deserialized()`` gives it as Covalent's did."""
        return TransportableObject(self._function)

    @property
    def metadata(self) -> dict[str, Any]:
        """Covalent's view: ``executor``, ``workflow_executor`` (with their ``_data``) and ``hooks``."""
        return {
            **executor_metadata(self.executor),
            **executor_metadata(self.workflow_executor, "workflow_executor"),
            "hooks": hooks_metadata(self.deps_bash, self.deps_pip, self.call_before, self.call_after),
            "triggers": list(self.triggers) or None,
        }

    @property
    def inputs(self) -> TransportableObject | None:
        """``{"args": (...), "kwargs": {...}}`` of the last graph built (None before one is)."""
        if self._inputs is None:
            return None
        args, kwargs = self._inputs
        return TransportableObject({"args": args, "kwargs": kwargs})

    def get_metadata(self, name: str) -> Any:
        return self.metadata.get(name)

    def __repr__(self) -> str:
        return f"<lattice {self.name}>"

    @property
    def source(self) -> str:
        try:
            return cached_source(self._function)
        except (OSError, TypeError):
            return ""

    def _run_body(self, builder: GraphBuilder, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            inspect.signature(self._function).bind(*args, **kwargs)
        except TypeError as exc:
            raise GraphBuildError(f"lattice {self.name!r} called with wrong arguments: {exc}") from None
        except ValueError:
            pass
        with building(builder):
            try:
                return self._function(*args, **kwargs)
            except CovalentError:
                raise
            except Exception as exc:
                raise GraphBuildError(
                    f"lattice {self.name!r} raised while its graph was being built: {type(exc).__name__}: {exc}"
                ) from exc

    def build_graph(self, *args: Any, **kwargs: Any) -> TransportGraph:
        """Build (and keep as ``self.transport_graph``) the graph for these inputs."""
        manifest = self.build_manifest(*args, **kwargs)
        return manifest.graph

    def build_manifest(self, *args: Any, replace_electrons: dict[str, Any] | None = None, **kwargs: Any) -> Manifest:
        """The graph for these inputs with every blob it needs, ready to dispatch."""
        return self._build(GraphBuilder(self, replace_electrons), args, kwargs)

    def build_manifest_inheriting(
        self, inherited: Inherited | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Manifest:
        """As :meth:`build_manifest`, for a sublattice: electrons setting nothing take ``inherited``."""
        return self._build(GraphBuilder(self, inherited=inherited), args, kwargs)

    def _build(self, builder: GraphBuilder, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Manifest:
        with collector_paused():  # a large graph's objects all stay alive: no full collection walks them
            return self._built(builder, args, kwargs)

    def _built(self, builder: GraphBuilder, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Manifest:
        returned = self._run_body(builder, args, kwargs)
        output: dict[str, Any] = {"node": builder.add_postprocess(returned, self.name)}
        self.transport_graph = builder.graph
        self._inputs = (tuple(args), dict(kwargs))
        lattice_info = {
            "function": builder.add_blob(dumps(self, what=f"lattice {self.name!r}")),
            "inputs": builder.add_blob(
                dumps({"args": tuple(args), "kwargs": kwargs}, what=f"inputs of lattice {self.name!r}")
            ),
            "source": self.source,
            "doc": inspect.getdoc(self._function) or "",
            "executor": executor_spec(self.executor),
            "workflow_executor": executor_spec(self.workflow_executor),
            "parameters": _describe_inputs(self._function, args, kwargs),
            "task_packing": self.task_packing,
        }
        return Manifest(
            name=self.name,
            graph=builder.graph,
            blobs=builder.blobs,
            lattice=lattice_info,
            output=output,
            sources=builder.sources,
        )

    def draw(self, *args: Any, **kwargs: Any) -> Any:
        """Preview this workflow's graph (inline SVG in a notebook)."""
        from covalent.graph.draw import GraphPreview

        return GraphPreview(self.build_manifest(*args, **kwargs))


def _as_triggers(triggers: Any) -> list[Any]:
    """``None``, one trigger or a list of them, as a list (triggers are ``covalent.triggers`` objects)."""
    if triggers is None:
        return []
    items = list(triggers) if isinstance(triggers, list | tuple) else [triggers]
    for item in items:
        if not callable(getattr(item, "to_spec", None)):
            raise TypeError(f"triggers must be covalent.triggers objects (such as TimeTrigger(60)), got {item!r}")
    return items


def _describe_inputs(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, str]:
    """A short, human-readable form of each input, for the dashboard."""
    items: list[tuple[str, Any]]
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
        items = list(bound.arguments.items())
    except (TypeError, ValueError):
        items = [*((f"arg[{i}]", a) for i, a in enumerate(args)), *kwargs.items()]
    return {name: preview_text(value, 200) for name, value in items}


def lattice(_func: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Make ``_func`` a workflow; usable as ``@lattice`` or ``@lattice(executor=...)``."""
    if _func is not None:
        return Lattice(_func, **options)
    return lambda func: Lattice(func, **options)
