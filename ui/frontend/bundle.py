"""Build the dashboard's JavaScript bundle when its sources changed (``python ui/frontend/bundle.py``).

The bundle (``covalent_ui/static/dist/``) is built, not committed: from the
npm packages pinned in ``package-lock.json`` (``npm ci``) by esbuild
(``build.mjs``).  A stamp beside it (``dist/INPUTS``) holds the SHA-256 of
everything it is made from, so an up-to-date bundle is never rebuilt, and a
wheel built from the sdist (which carries the bundle and its sources) needs
no Node.js.  Called by ``scripts/setup.sh`` and by the wheel and sdist builds
(``ui/hatch_build.py``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["DIST", "FRONTEND", "digest", "ensure_bundle", "is_current"]

FRONTEND = Path(__file__).resolve().parent
DIST = FRONTEND.parent / "src" / "covalent_ui" / "static" / "dist"
STAMP = DIST / "INPUTS"
_INPUTS = ("package.json", "package-lock.json", "build.mjs")


def digest() -> str:
    """SHA-256 over the bundle's inputs: the build script, the lockfile and every source file."""
    files = [FRONTEND / name for name in _INPUTS]
    files += sorted(p for p in (FRONTEND / "src").rglob("*") if p.is_file())
    h = hashlib.sha256()
    for path in files:
        h.update(path.relative_to(FRONTEND).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def is_current() -> bool:
    return STAMP.exists() and STAMP.read_text().strip() == digest()


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "building the dashboard's JavaScript needs Node.js 18+ and npm (apt-get install nodejs npm); "
            f"the bundle in {DIST} is missing or older than its sources in {FRONTEND}"
        )
    return npm


def ensure_bundle(*, quiet: bool = False) -> bool:
    """Build the bundle if it is missing or stale; True if it was built."""
    if is_current():
        return False
    npm = _npm()
    out = subprocess.DEVNULL if quiet else None
    lock = FRONTEND / "package-lock.json"
    installed = FRONTEND / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        ci = [npm, "ci", "--no-audit", "--no-fund", *(["--loglevel=error"] if quiet else [])]
        subprocess.run(ci, cwd=FRONTEND, check=True, stdout=out)
    subprocess.run([npm, "run", "--silent", "build"], cwd=FRONTEND, check=True, stdout=out)
    STAMP.write_text(digest() + "\n")
    return True


if __name__ == "__main__":
    built = ensure_bundle(quiet="-q" in sys.argv)
    print(f"dashboard bundle {'built' if built else 'up to date'}: {DIST}")
