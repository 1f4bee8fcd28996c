"""Entry point of the ``covalent`` plugin group: mounts the dashboard at the server's root.

Kept cheap to import; the dashboard's modules load only when the server
asks for routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from covalent.plugins import hookimpl

__all__ = ["register_routes"]


@hookimpl
def register_routes(register: Callable[[str, Any], None]) -> None:
    """Mount the dashboard at ``/`` (the server mounts it after ``/api/v1``)."""
    from covalent_ui.app import create_dashboard

    register("/", create_dashboard())
