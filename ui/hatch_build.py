"""Hatch build hook: the wheel and sdist carry the dashboard's JavaScript bundle, built if stale.

See ``frontend/bundle.py``.  Editable installs (``uv sync``) skip it:
``scripts/setup.sh`` builds the bundle in the source tree.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class DashboardBundle(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        path = Path(self.root) / "frontend" / "bundle.py"
        spec = importlib.util.spec_from_file_location("covalent_ui_frontend_bundle", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.ensure_bundle(quiet=True)
