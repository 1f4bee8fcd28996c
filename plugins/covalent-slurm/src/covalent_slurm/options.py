"""Slurm job options shared by both executors: directives and time (environment set-up is :mod:`covalent_ssh.shell`)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["extra_directives", "format_time", "seconds_to_slurm_time"]

_SLURM_TIME = re.compile(r"^(\d+-)?\d+(:\d+){0,2}$|^\d+-\d+$|^(UNLIMITED|INFINITE)$", re.IGNORECASE)
_OPTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def seconds_to_slurm_time(seconds: float) -> str:
    """``--time`` for a limit in seconds, rounded up to whole minutes (Slurm's unit)."""
    if seconds <= 0:
        raise ValueError("a time limit must be positive")
    minutes = max(1, math.ceil(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    clock = f"{hours:02d}:{mins:02d}:00"
    return f"{days}-{clock}" if days else clock


def format_time(value: float | int | str) -> str:
    """A time limit given in seconds (number) or in Slurm's own format (string)."""
    if isinstance(value, bool):
        raise TypeError("a time limit is a number of seconds or a Slurm time string")
    if isinstance(value, int | float):
        return seconds_to_slurm_time(float(value))
    text = str(value).strip()
    if not _SLURM_TIME.match(text):
        raise ValueError(
            f"time limit {value!r} is neither seconds nor a Slurm time (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS)"
        )
    return text


def _check_value(name: str, value: Any) -> str:
    text = str(value)
    if "\n" in text or "\r" in text:
        raise ValueError(f"Slurm option {name!r} must not contain a line break")
    return text


def extra_directives(options: Mapping[str, Any] | None) -> list[str]:
    """``--name=value`` for each option; ``True`` gives a bare flag, ``None``/``False`` nothing.

    Names may be given with or without leading dashes; one-letter names
    become short options (``{"N": 2}`` gives ``-N 2``).
    """
    result: list[str] = []
    for raw_name, value in (options or {}).items():
        name = str(raw_name).lstrip("-")
        if not _OPTION_NAME.match(name):
            raise ValueError(f"not a Slurm option name: {raw_name!r}")
        if value is None or value is False:
            continue
        if len(name) == 1:
            result.append(f"-{name}" if value is True else f"-{name} {_check_value(name, value)}")
        else:
            result.append(f"--{name}" if value is True else f"--{name}={_check_value(name, value)}")
    return result
