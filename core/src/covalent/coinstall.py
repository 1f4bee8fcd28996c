"""Another distribution's ``covalent`` package installed where ours is.

Agnostiq's Covalent (distribution ``covalent``, 0.x) and this project
(distribution ``bondflow``) both install the import package ``covalent``, and
Agnostiq's wheel also ``covalent_ui``, as ``bondflow-ui`` does.  Installed into
one environment, whichever came last overwrote the other's files where their
paths coincide, and uninstalling either one deletes files the other still
lists.  This module runs only when our ``covalent/__init__.py`` is the one in
place, so bondflow is the active one; it finds the other distribution's
metadata directory beside ours and says how to repair the environment.

The check at ``import covalent`` is one directory listing of the folder that
holds the package, ~0.2 ms for 370 entries (no ``importlib.metadata``, a
fifth of the import, and no ``dataclasses``, which imports ``inspect``).
"""

from __future__ import annotations

import os
import warnings

from covalent._version import DISTRIBUTION, __version__

__all__ = ["CoinstalledCovalentWarning", "Coinstalled", "find_coinstalled", "warn_if_coinstalled"]

#: The import packages Agnostiq's wheel shares with ours, and which of our
#: distributions installs each.
_SHARED = {"covalent": DISTRIBUTION, "covalent_ui": f"{DISTRIBUTION}-ui"}


class CoinstalledCovalentWarning(UserWarning):
    """Another ``covalent`` distribution shares this environment's ``covalent`` package."""


class Coinstalled:
    """A foreign distribution named ``covalent``, installed in ``location`` beside ours.

    A plain class: a dataclass or NamedTuple would cost ``import covalent``
    more than the check itself.
    """

    __slots__ = ("location", "ours", "version")

    def __init__(self, version: str, location: str, ours: tuple[str, ...]) -> None:
        self.version = version
        self.location = location
        #: Our distributions in ``location`` whose files the foreign one overlaps.
        self.ours = ours

    def __repr__(self) -> str:
        return f"Coinstalled(version={self.version!r}, location={self.location!r}, ours={self.ours!r})"

    @property
    def agnostiq(self) -> bool:
        return self.version.startswith("0.")

    @property
    def repair_command(self) -> str:
        """Uninstall the other one, then put back the files of ours its uninstall deleted."""
        return f"pip uninstall -y covalent && pip install --force-reinstall --no-deps {' '.join(self.ours)}"

    @property
    def message(self) -> str:
        other = f"Agnostiq's Covalent {self.version}" if self.agnostiq else f"a `covalent` {self.version}"
        return (
            f"{other} (distribution `covalent`) is installed in {self.location} beside "
            f"{DISTRIBUTION} {__version__}; both provide the import package `covalent`. "
            f"Active: {DISTRIBUTION} (its files replaced the other's where they overlap, so `covalent` "
            f"{self.version} is broken here, and uninstalling it deletes files {DISTRIBUTION} needs). "
            f"Fix, keeping {DISTRIBUTION}: {self.repair_command} "
            "(uv: `uv pip uninstall covalent`, then `uv pip install --reinstall --no-deps` the same). "
            "Agnostiq's Covalent needs a virtual environment of its own."
        )


def _dist_info(name: str) -> tuple[str, str] | None:
    """``(project, version)`` of a ``*.dist-info`` / ``*.egg-info`` folder name, else ``None``."""
    for suffix in (".dist-info", ".egg-info"):
        if name.endswith(suffix):
            project, _, version = name[: -len(suffix)].partition("-")
            return project.lower().replace("-", "_").replace(".", "_"), version.split("-", 1)[0]
    return None


def _top_level(meta_dir: str) -> set[str] | None:
    """The top-level names a distribution installs, from its metadata folder (``None``: it does not say)."""
    try:  # a wheel install: every file it wrote, "covalent/__init__.py,sha256=...,123"
        with open(os.path.join(meta_dir, "RECORD"), encoding="utf-8", errors="replace") as record:
            return {line.split("/", 1)[0] for line in record if "/" in line.split(",", 1)[0]}
    except OSError:
        pass
    try:  # an egg-info install
        with open(os.path.join(meta_dir, "top_level.txt"), encoding="utf-8", errors="replace") as top:
            return {line.strip() for line in top if line.strip()}
    except OSError:
        return None


def find_coinstalled(location: str | None = None) -> Coinstalled | None:
    """The foreign ``covalent`` distribution in ``location`` (default: where this package is), if any.

    Only one that installs files into a package of ours counts: a metadata-only
    distribution named ``covalent`` (one that satisfies a requirement and
    installs nothing there) shares no files with us.
    """
    where = location or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        names = os.listdir(where)
    except OSError:
        return None
    foreign: tuple[str, str] | None = None
    present: set[str] = set()
    for name in names:
        parsed = _dist_info(name)
        if parsed is None:
            continue
        project, version = parsed
        if project == "covalent":
            foreign = (name, version or "?")
        present.add(project)
    if foreign is None:
        return None
    installs = _top_level(os.path.join(where, foreign[0]))
    shared = [package for package in _SHARED if installs is None or package in installs]
    if not shared:
        return None
    ours = tuple(_SHARED[p] for p in shared if _SHARED[p].replace("-", "_") in present)
    return Coinstalled(version=foreign[1], location=where, ours=ours or (DISTRIBUTION,))


def warn_if_coinstalled() -> None:
    """Warn (once, at ``import covalent``) when another ``covalent`` shares this package."""
    found = find_coinstalled()
    if found is not None:
        warnings.warn(found.message, CoinstalledCovalentWarning, stacklevel=2)
