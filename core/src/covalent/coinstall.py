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

#: Our distributions whose import packages (``covalent``, ``covalent_ui``)
#: Agnostiq's wheel also installs.
_SHARING = (DISTRIBUTION, f"{DISTRIBUTION}-ui")


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


def find_coinstalled(location: str | None = None) -> Coinstalled | None:
    """The foreign ``covalent`` distribution in ``location`` (default: where this package is), if any."""
    where = location or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        names = os.listdir(where)
    except OSError:
        return None
    foreign = ""
    present: set[str] = set()
    for name in names:
        parsed = _dist_info(name)
        if parsed is None:
            continue
        project, version = parsed
        if project == "covalent":
            foreign = version or "?"
        present.add(project)
    if not foreign:
        return None
    ours = tuple(dist for dist in _SHARING if dist.replace("-", "_") in present)
    return Coinstalled(version=foreign, location=where, ours=ours or (DISTRIBUTION,))


def warn_if_coinstalled() -> None:
    """Warn (once, at ``import covalent``) when another ``covalent`` shares this package."""
    found = find_coinstalled()
    if found is not None:
        warnings.warn(found.message, CoinstalledCovalentWarning, stacklevel=2)
