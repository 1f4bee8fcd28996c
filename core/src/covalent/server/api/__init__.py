"""The versioned JSON API, mounted at ``/api/v1``."""

from covalent.server.api.routes import api_routes

__all__ = ["api_routes"]
