"""A shared library built from C source with the system's C compiler, for lepton tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["build_shared_library"]


def build_shared_library(source: str, folder: Path, name: str = "demo") -> Path:
    """Compile ``source`` into ``folder/lib<name>.so`` (``cc -shared -fPIC``) and return its path."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError("no C compiler (cc or gcc) on PATH; scripts/test.sh installs gcc")
    folder.mkdir(parents=True, exist_ok=True)
    c_file = folder / f"{name}.c"
    c_file.write_text(source)
    library = folder / f"lib{name}.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(library), str(c_file)], check=True, capture_output=True)
    return library
