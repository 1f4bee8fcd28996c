"""Shell text for a remote job's environment: quoting, exports, modules, conda, venv, commands."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["as_lines", "environment_lines", "shell_path", "validate_env"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def as_lines(value: str | Iterable[str] | None) -> list[str]:
    """Shell commands given as one string (possibly multi-line) or a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [line for line in value.splitlines() if line.strip()]
    return [str(line) for line in value]


def shell_path(path: str) -> str:
    """Quote ``path`` for a shell, keeping a leading ``~/`` meaning the home folder."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + shlex.quote(path[2:])
    return shlex.quote(path)


def validate_env(env: Mapping[str, Any] | None) -> dict[str, str]:
    """Environment variables with names a shell accepts."""
    clean: dict[str, str] = {}
    for name, value in (env or {}).items():
        if not _ENV_NAME.match(str(name)):
            raise ValueError(f"not an environment variable name: {name!r}")
        clean[str(name)] = str(value)
    return clean


def environment_lines(
    *,
    env: Mapping[str, str] | None = None,
    modules: Iterable[str] | str | None = None,
    conda_env: str | None = None,
    venv: str | None = None,
    prerun: str | Iterable[str] | None = None,
) -> list[str]:
    """Shell lines that prepare a job's environment, in a fixed order.

    Exports first, then ``module load``, then the conda environment, then
    the virtualenv, then the user's own commands.
    """
    lines = [f"export {name}={shlex.quote(value)}" for name, value in validate_env(env).items()]
    for module in [modules] if isinstance(modules, str) else list(modules or []):
        lines.append(f"module load {shlex.quote(str(module))}")
    if conda_env:
        lines.append('eval "$(conda shell.bash hook)"')
        lines.append(f"conda activate {shlex.quote(conda_env)}")
    if venv:
        lines.append(f". {shell_path(venv.rstrip('/') + '/bin/activate')}")
    lines.extend(as_lines(prerun))
    return lines
