"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent.config_keys import get_config, reload_config, set_config

__all__ = ["get_config", "reload_config", "set_config"]
