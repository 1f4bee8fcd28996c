"""Covalent's ``covalent._file_transfer.enums``: when a transfer runs relative to its task."""

from __future__ import annotations

import enum

__all__ = ["Order"]


class Order(enum.StrEnum):
    BEFORE = "before"
    AFTER = "after"
