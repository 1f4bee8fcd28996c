"""Agnostiq's ``covalent`` 0.240.0 (from the registry, ``--no-deps``) and our wheel in one environment.

Both provide the import package ``covalent``; the one installed last wins the
files they share and the ``covalent`` command.  Ours installed last: import
and ``covalent status`` say what is active and how to repair.  Agnostiq's
installed last: its code runs and none of ours does (so no message of ours can
appear).  In both orders the repair command of the message gives a working
environment back.  The registry has only an sdist of 0.240.0: uv builds it
once and keeps the wheel in its cache.
"""

from __future__ import annotations

import pytest
from wheel_envs import LATTICE, WheelEnv, wheel

AGNOSTIQ = "covalent==0.240.0"
WARNING = "CoinstalledCovalentWarning"


def _repair(env: WheelEnv, core: str) -> None:
    """The message's command, with the wheel in place of the name not published yet."""
    env.run("python", "-m", "pip", "uninstall", "-y", "covalent")
    env.run("python", "-m", "pip", "install", "--force-reinstall", "--no-deps", core)


def _works_again(env: WheelEnv) -> None:
    imported = env.python("import covalent; print(covalent.__version__)")
    assert imported.stdout.strip() == "1.0.0.dev0" and WARNING not in imported.stderr
    assert "covalent_dispatcher" not in (env.bin / "covalent").read_text()
    env.start()
    try:
        assert env.run("python", "lattice.py").stdout.split("\n")[0] == "COMPLETED 30"
        assert env.covalent_json("status")["coinstalled"] is None
    finally:
        env.stop()


@pytest.fixture
def env(tmp_path):
    made = WheelEnv(tmp_path, seed=True)  # with pip, to run the repair command as printed
    (made.root / "lattice.py").write_text(LATTICE)
    return made


def test_ours_installed_after_agnostiq_warns_at_import_and_in_status(env, dist):
    core = str(wheel(dist, "bondflow"))
    env.install("--no-deps", AGNOSTIQ)
    env.install(core)
    imported = env.python("import covalent; print(covalent.__version__)")
    assert imported.stdout.strip() == "1.0.0.dev0"
    assert imported.stderr.count(WARNING) == 1
    assert "Agnostiq's Covalent 0.240.0 (distribution `covalent`) is installed in" in imported.stderr
    assert "Active: bondflow" in imported.stderr
    assert "pip uninstall -y covalent && pip install --force-reinstall --no-deps bondflow" in imported.stderr
    env.start()
    try:
        status = env.covalent_json("status")
        assert "Active: bondflow" in status["coinstalled"] and "0.240.0" in status["coinstalled"]
        shown = " ".join(env.run("covalent", "status").stdout.split())
        assert "Conflict" in shown and "Agnostiq's Covalent 0.240.0" in shown and "pip uninstall -y covalent" in shown
    finally:
        env.stop()
    _repair(env, core)
    _works_again(env)


def test_agnostiq_installed_after_ours_replaces_our_files_and_the_same_repair_works(env, dist):
    core = str(wheel(dist, "bondflow"))
    env.install(core)
    env.install("--no-deps", AGNOSTIQ)
    assert "covalent_dispatcher" in (env.bin / "covalent").read_text()  # its command, too
    imported = env.python("import covalent", check=False)
    assert imported.returncode != 0 and "furl" in imported.stderr  # Agnostiq's code, without its dependencies
    assert "site-packages/covalent/_file_transfer/" in imported.stderr and WARNING not in imported.stderr
    _repair(env, core)
    _works_again(env)
