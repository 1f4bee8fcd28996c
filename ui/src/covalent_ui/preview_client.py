"""Client side of ``/preview``: send a workflow's graph to the dashboard and open it.

``lattice.draw(*args)`` shows the graph inline in a notebook; elsewhere::

    import covalent_ui
    covalent_ui.preview(my_workflow, 1, 2)          # a lattice and its inputs
    covalent_ui.preview(my_workflow.draw(1, 2))     # or what draw() returned

Only the manifest's JSON travels (no pickled functions or values), and
nothing is dispatched.
"""

from __future__ import annotations

import json
import webbrowser
from typing import Any

import httpx

__all__ = ["manifest_json", "preview"]


def manifest_json(workflow: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The manifest JSON of a lattice built for these inputs, a ``GraphPreview`` or a manifest."""
    from covalent.graph.draw import GraphPreview
    from covalent.graph.manifest import Manifest

    if isinstance(workflow, GraphPreview):
        return workflow.manifest.to_json()
    if isinstance(workflow, Manifest):
        return workflow.to_json()
    if isinstance(workflow, dict) and "graph" in workflow:
        return workflow
    build = getattr(workflow, "build_manifest", None)
    if build is None:
        raise TypeError(f"preview() needs a @ct.lattice, its draw() result or a manifest, got {workflow!r}")
    return build(*args, **kwargs).to_json()


def preview(
    workflow: Any,
    *args: Any,
    open_browser: bool = True,
    dispatcher_addr: str | None = None,
    **kwargs: Any,
) -> str:
    """POST the graph to the running server's ``/preview`` and open the browser at it.

    Returns the page's URL.  ``dispatcher_addr`` defaults to the SDK's server
    address (``COVALENT_DISPATCHER_ADDR`` or the config file).  When the
    server asks for a token, log in once at ``<server>/login`` in the browser.
    """
    from covalent import config
    from covalent.client.connection import read_token

    address = (dispatcher_addr or config.dispatcher_address()).rstrip("/")
    if "://" not in address:
        address = f"http://{address}"
    body = json.dumps(manifest_json(workflow, *args, **kwargs)).encode()
    headers = {"content-type": "application/json", config.CLIENT_HEADER: "covalent-ui-preview"}
    token = read_token()
    if token:
        headers["authorization"] = f"Bearer {token}"
    try:
        response = httpx.post(f"{address}/preview", content=body, headers=headers, timeout=60)
    except httpx.TransportError as exc:
        raise ConnectionError(
            f"no Covalent server answers at {address} ({type(exc).__name__}); start one with `covalent start`"
        ) from None
    if response.status_code == 404:
        raise RuntimeError(f"the server at {address} has no dashboard: install it there (pip install 'bondflow[ui]')")
    if response.status_code >= 400:
        raise RuntimeError(f"the server refused the preview ({response.status_code}): {response.text[:500]}")
    url = address + response.json()["url"]
    if open_browser:
        webbrowser.open(url)
    return url
