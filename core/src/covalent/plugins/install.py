"""``covalent plugins install``: a plugin written for Covalent, installed beside this project's core.

Covalent's plugins require ``covalent>=0.2xx,<1``, the distribution name of
Agnostiq's Covalent; installing covalent-ssh-plugin with plain pip would fetch
Covalent 0.240, whose files overwrite this project's ``covalent`` package.
So, first, this installs a *face distribution* named ``covalent``, version
:data:`FACE_VERSION` (``0.240.0+bondflow``): metadata only, no files, it
requires ``bondflow`` and says "Covalent 0.240's API is provided here" (by
the faces of docs/compatibility.md and the executor contract of
docs/covalent-plugins.md).  Then the plugin is installed with the
environment's own installer (``python -m pip``, or ``uv pip`` where pip is
missing), with the constraint ``covalent==0.240.0+bondflow``: its other
requirements come from the registry as usual, and a plugin that wants
another Covalent fails to resolve instead of replacing the core.  Later
plain ``pip install`` commands keep the face (it satisfies ``covalent<1``).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from covalent._version import DISTRIBUTION

__all__ = ["FACE_VERSION", "face_installed", "face_wheel", "install", "installer"]

#: The version of the ``covalent`` face distribution: Covalent's last release, marked as this project's.
FACE_VERSION = "0.240.0+bondflow"
#: Small dependencies of Covalent 0.240 that its plugins use without requiring them.
COVALENT_RUNTIME_EXTRAS = ("filelock>=3.12", "aiofiles>=23.1")


def installer(python: str = sys.executable) -> list[str]:
    """The command that installs into this environment: ``python -m pip install`` or ``uv pip install --python``."""
    if importlib.util.find_spec("pip") is not None:
        return [python, "-m", "pip", "install"]
    uv = shutil.which("uv") or str(Path(python).with_name("uv"))
    if Path(uv).exists():
        return [uv, "pip", "install", "--python", python]
    raise RuntimeError("this environment has neither pip nor uv to install with: `python -m ensurepip` adds pip")


def face_installed() -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("covalent") == FACE_VERSION
    except PackageNotFoundError:
        return False


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def face_wheel(folder: Path) -> Path:
    """Write the face distribution's wheel (metadata only) into ``folder``."""
    from covalent._version import __version__

    info = f"covalent-{FACE_VERSION}.dist-info"
    files = {
        f"{info}/METADATA": (
            "Metadata-Version: 2.1\n"
            "Name: covalent\n"
            f"Version: {FACE_VERSION}\n"
            f"Summary: Covalent 0.240's API, provided by {DISTRIBUTION} (metadata only: it installs no files)\n"
            f"Requires-Dist: {DISTRIBUTION}>={__version__}\n"
            # what Covalent 0.240 brought that its plugins import without declaring it
            # (covalent-slurm-plugin's job script imports filelock)
            + "".join(f"Requires-Dist: {name}\n" for name in COVALENT_RUNTIME_EXTRAS)
        ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bondflow\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [_record_line(name, data) for name, data in files.items()] + [f"{info}/RECORD,,"]
    path = folder / f"covalent-{FACE_VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def install(requirements: list[str], *, python: str = sys.executable, extra: list[str] | None = None) -> None:
    """Install the face (if needed) and then ``requirements``; raise ``RuntimeError`` with the installer's output."""
    command = installer(python)
    with tempfile.TemporaryDirectory(prefix="covalent-face-") as tmp:
        folder = Path(tmp)
        if not face_installed():
            _run([*command, str(face_wheel(folder))])
        constraints = folder / "constraints.txt"
        constraints.write_text(f"covalent=={FACE_VERSION}\n")
        _run([*command, "-c", str(constraints), *(extra or []), *requirements])


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}".strip())
