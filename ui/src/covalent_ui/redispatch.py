"""Run a stored workflow again, with the same inputs: core's server-side redispatch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from covalent.server.redispatch import DispatchNotFound, redispatch_stored
from covalent.server.registration import ManifestError

if TYPE_CHECKING:
    from covalent.server.state import ServerState

__all__ = ["DispatchNotFound", "ManifestError", "redispatch_same_inputs"]


async def redispatch_same_inputs(state: ServerState, dispatch_id: str) -> str:
    """Register and start a copy of ``dispatch_id``; return the new dispatch id."""
    return await redispatch_stored(state, dispatch_id)
