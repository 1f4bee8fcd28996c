"""The dashboard's pages, one module per area."""

__all__: list[str] = []
