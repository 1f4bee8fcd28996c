"""``LocalDispatcher``: Covalent's dispatcher class, its steps each available on their own.

Covalent code calls ``LocalDispatcher.dispatch(lattice)(*args)`` (the same as
``ct.dispatch``) or takes a dispatch apart: ``prepare_manifest`` (the built
graph, staged in a folder), ``register_manifest`` (sent, not started),
``start``.  Here registering sends the manifest and every blob in one upload
(the server never reads files from the client's disk, so ``push_assets=False``
sends them too), and ``upload_assets`` has nothing left to send.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from covalent._sdk.lattice import Lattice
from covalent.client.connection import Connection
from covalent.client.dispatch import dispatch, dispatch_sync, redispatch, submit_manifest
from covalent.errors import GraphBuildError
from covalent.graph.manifest import Manifest

__all__ = ["LocalDispatcher", "ManifestMetadata", "StagedManifest"]


@dataclass
class ManifestMetadata:
    """What Covalent's manifest says about its dispatch; ``dispatch_id`` is set once it is registered."""

    dispatch_id: str | None = None
    root_dispatch_id: str | None = None


@dataclass
class StagedManifest:
    """A built workflow ready to send: its manifest, the folder it was staged in, and its dispatch."""

    manifest: Manifest
    path: Path
    metadata: ManifestMetadata = field(default_factory=ManifestMetadata)


class LocalDispatcher:
    """Covalent's ``covalent._dispatcher_plugins.local.LocalDispatcher``."""

    dispatch = staticmethod(dispatch)
    dispatch_sync = staticmethod(dispatch_sync)
    #: Takes Covalent's positional order (dispatch_id, dispatcher_addr, replace_electrons, reuse_previous_results).
    redispatch = staticmethod(redispatch)

    @staticmethod
    def register(orig_lattice: Lattice, dispatcher_addr: str | None = None) -> Callable[..., str]:
        """``register(lattice)(*args, **kwargs)``: record the dispatch without starting it; returns its id."""
        return dispatch(orig_lattice, dispatcher_addr, disable_run=True)

    @staticmethod
    def start(dispatch_id: str, dispatcher_addr: str | None = None) -> str:
        """Start a registered dispatch; returns its id."""
        with Connection(dispatcher_addr) as conn:
            conn.post_json(f"/dispatches/{dispatch_id}/start")
        return dispatch_id

    @staticmethod
    def prepare_manifest(lattice: Lattice, storage_path: str | os.PathLike[str]) -> StagedManifest:
        """The manifest of the graph ``lattice.build_graph(...)`` last built, written to ``storage_path``."""
        built = getattr(lattice, "_inputs", None)
        if built is None:
            raise GraphBuildError(f"build the graph of lattice {lattice.name!r} first: lattice.build_graph(*args)")
        args, kwargs = built
        manifest = lattice.build_manifest(*args, **kwargs)
        return StagedManifest(manifest, manifest.save(storage_path))

    @staticmethod
    def register_manifest(
        manifest: StagedManifest, dispatcher_addr: str | None = None, push_assets: bool = True
    ) -> StagedManifest:
        """Send a staged manifest and its blobs (whatever ``push_assets`` says); the dispatch is not started."""
        dispatch_id = submit_manifest(manifest.manifest, start=False, dispatcher_addr=dispatcher_addr)
        manifest.metadata = ManifestMetadata(dispatch_id, dispatch_id)
        return manifest

    @staticmethod
    def upload_assets(manifest: StagedManifest) -> None:
        """Nothing to do: ``register_manifest`` sent every blob with the manifest."""

    @staticmethod
    def register_derived_manifest(
        manifest: StagedManifest,
        dispatch_id: str,
        reuse_previous_results: bool = False,
        dispatcher_addr: str | None = None,
    ) -> StagedManifest:
        """Send a staged manifest as a new run of ``dispatch_id`` (reusing its outputs if asked); not started."""
        new_id = submit_manifest(
            manifest.manifest,
            start=False,
            reuse_from=dispatch_id if reuse_previous_results else None,
            dispatcher_addr=dispatcher_addr,
        )
        manifest.metadata = ManifestMetadata(new_id, new_id)
        return manifest
