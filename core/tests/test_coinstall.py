"""Agnostiq's ``covalent`` beside ours: found from the metadata folders, reported at import.

tests/test_wheels.py does the same with the real wheels (ours built, Agnostiq's
0.240.0 from the registry) installed into one virtual environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import covalent
from covalent.coinstall import find_coinstalled

AGNOSTIQ_RECORD = (
    "covalent/__init__.py,sha256=x,2300\n"
    "covalent_ui/app.py,sha256=x,1500\n"
    "covalent_dispatcher/__init__.py,sha256=x,10\n"
    "covalent-0.240.0.dist-info/RECORD,,\n"
    "../../../bin/covalent,sha256=x,230\n"
)


def _site(tmp_path: Path, *dist_infos: str, record: str = AGNOSTIQ_RECORD) -> Path:
    """A site-packages folder holding these metadata folders; the covalent one with ``record`` as RECORD."""
    site = tmp_path / "site-packages"
    site.mkdir()
    for name in dist_infos:
        (site / name).mkdir()
        if name.startswith("covalent-") and name.endswith(".dist-info"):
            (site / name / "RECORD").write_text(record)
    return site


def test_nothing_is_found_without_another_covalent(tmp_path):
    site = _site(tmp_path, "bondflow-1.0.0.dev0.dist-info", "covalent_dask_plugin-0.1.dist-info")
    assert find_coinstalled(str(site)) is None
    assert find_coinstalled(str(tmp_path / "missing")) is None


def test_agnostiq_covalent_beside_core_and_dashboard(tmp_path):
    site = _site(
        tmp_path,
        "covalent-0.240.0.dist-info",
        "bondflow-1.0.0.dev0.dist-info",
        "bondflow_ui-1.0.0.dev0.dist-info",
        "bondflow_dask-1.0.0.dev0.dist-info",
    )
    found = find_coinstalled(str(site))
    assert found is not None and found.agnostiq and found.version == "0.240.0"
    assert found.ours == ("bondflow", "bondflow-ui")  # the two whose files Agnostiq's wheel shares
    assert found.repair_command == (
        "pip uninstall -y covalent && pip install --force-reinstall --no-deps bondflow bondflow-ui"
    )
    assert "Agnostiq's Covalent 0.240.0" in found.message and "Active: bondflow" in found.message
    assert str(site) in found.message


def test_only_the_packages_it_installs_count(tmp_path):
    site = _site(
        tmp_path,
        "covalent-0.240.0.dist-info",
        "bondflow-1.0.0.dev0.dist-info",
        "bondflow_ui-1.0.0.dev0.dist-info",
        record="covalent/__init__.py,sha256=x,2300\n",
    )
    found = find_coinstalled(str(site))
    assert found is not None and found.ours == ("bondflow",)  # our dashboard's files are untouched


def test_a_covalent_that_installs_nothing_of_ours_is_no_conflict(tmp_path):
    """E.g. metadata that only satisfies other packages' requirement on ``covalent``."""
    record = "covalent-0.240.0.dist-info/METADATA,sha256=x,100\ncovalent-0.240.0.dist-info/RECORD,,\n"
    site = _site(tmp_path, "covalent-0.240.0.dist-info", "bondflow-1.0.0.dev0.dist-info", record=record)
    assert find_coinstalled(str(site)) is None


def test_an_egg_info_and_a_later_covalent_are_found_too(tmp_path):
    site = _site(tmp_path, "covalent-1.2.0-py3.11.egg-info", "bondflow-1.0.0.dev0.dist-info")
    (site / "covalent-1.2.0-py3.11.egg-info" / "top_level.txt").write_text("covalent\n")
    found = find_coinstalled(str(site))
    assert found is not None and not found.agnostiq and found.version == "1.2.0"
    assert found.ours == ("bondflow",)


def test_import_covalent_warns_once_naming_the_fix(tmp_path):
    """Our package, seen from a folder that also holds Agnostiq's metadata (as after both installs)."""
    site = _site(tmp_path, "covalent-0.240.0.dist-info", "bondflow-1.0.0.dev0.dist-info")
    (site / "covalent").symlink_to(Path(covalent.__file__).parent)
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    code = "import covalent, importlib; importlib.reload(covalent); print(covalent.__file__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == str(site / "covalent" / "__init__.py")
    assert out.stderr.count("CoinstalledCovalentWarning") == 1
    assert "pip uninstall -y covalent && pip install --force-reinstall --no-deps bondflow" in out.stderr
