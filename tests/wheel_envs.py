"""Virtual environments made from the built wheels, as a user installs them (not the workspace).

``uv`` (from the dev group) builds the wheels and creates and fills each
environment, from its cache; dependencies come from the package registry.
Each environment runs its own ``covalent`` command with its own config and
data folders and a free port.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from covalent.testing import free_port

__all__ = ["LATTICE", "ROOT", "WheelEnv", "build_all", "file_name", "uv", "wheel"]

ROOT = Path(__file__).resolve().parents[1]

#: Variables of the workspace environment that must not leak into another one (and every COVALENT_*).
_LEAKY = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT", "UV_PROJECT_ENVIRONMENT")


def _clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _LEAKY and not k.startswith("COVALENT_")}


#: A lattice script: five squares summed, on the executor named by its argument (default: the server's).
LATTICE = """
import sys
import covalent as ct

options = {"executor": sys.argv[1]} if len(sys.argv) > 1 else {}


@ct.electron(**options)
def square(x):
    return x * x


@ct.electron(**options)
def total(values):
    return sum(values)


@ct.lattice
def squares(n):
    return total([square(i) for i in range(n)])


result = ct.dispatch_sync(squares)(5)
print(result.status, result.result)
if result.status != "COMPLETED":  # the first failed task's error, and a failing exit
    errors = [node["error"] for node in result.get_all_node_results() if node["error"]]
    sys.exit(errors[0] if errors else result.error)
"""


def file_name(name: str) -> str:
    """A distribution name as its sdist and wheel file names spell it."""
    return name.replace("-", "_")


def wheel(dist: Path, name: str) -> Path:
    (found,) = dist.glob(f"{file_name(name)}-*.whl")
    return found


def uv(*args: str | os.PathLike[str], cwd: Path | None = None, timeout: float = 600) -> str:
    """Run uv (the one in the dev group, beside this interpreter), return its output; raise on failure."""
    exe = Path(sys.executable).with_name("uv")
    command = [str(exe) if exe.exists() else shutil.which("uv") or "uv", *map(str, args)]
    env = _clean_environ()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def build_all(out: Path) -> Path:
    """Every package's sdist and wheel, built from the repository into ``out``."""
    uv("build", "--all-packages", "--out-dir", out, cwd=ROOT)
    return out


class WheelEnv:
    """A fresh virtual environment in ``root`` with the given requirements installed."""

    def __init__(self, root: Path, *requirements: str, seed: bool = False) -> None:
        self.root = root
        self.venv = root / "venv"
        self.bin = self.venv / "bin"
        self.port = free_port()
        self.env = {
            **_clean_environ(),
            "COVALENT_CONFIG_DIR": str(root / "config"),
            "COVALENT_DATA_DIR": str(root / "data"),
            "COVALENT_DISPATCHER_ADDR": f"http://127.0.0.1:{self.port}",
        }
        uv("venv", "--quiet", "--python", sys.executable, *(["--seed"] if seed else []), self.venv, cwd=root)
        if requirements:
            self.install(*requirements)

    def install(self, *requirements: str) -> str:
        return uv("pip", "install", "--python", self.bin / "python", *requirements, cwd=self.root)

    def run(
        self, *args: str | os.PathLike[str], check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """A command of this environment (``python``, ``covalent``, ...), with its config and data folders."""
        command = [str(self.bin / str(args[0])), *map(str, args[1:])]
        done = subprocess.run(command, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode:
            raise AssertionError(f"{command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def python(self, code: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("python", "-c", code, *args, check=check)

    def covalent_json(self, *args: str) -> Any:
        return json.loads(self.run("covalent", *args, "--json").stdout)

    def start(self, *, cluster: bool = False) -> None:
        """``covalent start`` of this environment on its own port."""
        (self.root / "config").mkdir(exist_ok=True)
        self.run("covalent", "start", "--port", str(self.port), *([] if cluster else ["--no-cluster"]), timeout=120)

    def stop(self) -> None:
        self.run("covalent", "stop", check=False, timeout=120)
