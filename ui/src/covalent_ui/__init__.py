"""bondflow-ui: the covalent dashboard, served by the covalent server at its root.

Installing this package is all it takes: the server finds it through the
``covalent`` entry-point group.  :func:`preview` shows a workflow's graph
in the dashboard before it is dispatched.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__", "preview"]

__version__ = "1.0.0.dev0"


def preview(
    workflow: Any,
    *args: Any,
    open_browser: bool = True,
    dispatcher_addr: str | None = None,
    **kwargs: Any,
) -> str:
    """Show ``workflow``'s graph for these inputs in the dashboard; return the page's URL.

    See :func:`covalent_ui.preview_client.preview`.
    """
    from covalent_ui.preview_client import preview as _preview

    return _preview(workflow, *args, open_browser=open_browser, dispatcher_addr=dispatcher_addr, **kwargs)
