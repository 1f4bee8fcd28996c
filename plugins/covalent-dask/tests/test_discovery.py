"""The plugin is found through its real entry point, in fresh interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _python(code: str, config_dir: Path) -> str:
    env = {**os.environ, "COVALENT_CONFIG_DIR": str(config_dir)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    return path


def test_executor_namespace_has_dask(config_dir: Path) -> None:
    out = _python("import covalent as ct; print(ct.executor.DaskExecutor)", config_dir)
    assert out == "<class 'covalent_dask.executor.DaskExecutor'>"


def test_registry_lists_dask_as_the_default(config_dir: Path) -> None:
    code = (
        "from covalent.executor import registry as r; import json; "
        "print(json.dumps([sorted(r.executor_classes()), r.default_executor_name()]))"
    )
    names, default = json.loads(_python(code, config_dir))
    assert "dask" in names and "local" in names
    assert default == "dask"


def test_loading_the_plugin_does_not_import_dask(config_dir: Path) -> None:
    code = (
        "import sys; from covalent.executor.registry import executor_classes; "
        "executor_classes(); print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    )
    assert _python(code, config_dir) == "[]"


def test_config_section_becomes_constructor_arguments(config_dir: Path) -> None:
    (config_dir / "covalent.conf").write_text(
        '[executors.dask]\nscheduler_address = "tcp://10.1.2.3:8786"\nn_workers = 3\nthreads_per_worker = 2\n'
    )
    code = (
        "from covalent.executor.registry import build_executor; import json; "
        "e = build_executor({'name': 'dask'}); "
        "print(json.dumps([type(e).__name__, e.config.scheduler_address, e.config.n_workers, "
        "e.config.threads_per_worker, build_executor({'name': 'dask', 'kwargs': "
        "{'n_workers': 1}}).config.n_workers]))"
    )
    assert json.loads(_python(code, config_dir)) == [
        "DaskExecutor",
        "tcp://10.1.2.3:8786",
        3,
        2,
        1,
    ]
