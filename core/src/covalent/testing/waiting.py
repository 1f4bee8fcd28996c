"""Waiting in tests for something to become true, bounded in time (one helper for every suite)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["WaitTimeout", "wait_until"]

T = TypeVar("T")


class WaitTimeout(AssertionError, TimeoutError):
    """The condition did not become true in time (a failed test, and a timeout)."""


def wait_until(
    condition: Callable[[], T], timeout: float = 60.0, *, interval: float = 0.05, what: str | None = "the condition"
) -> T:
    """Call ``condition`` until it returns a true value, and return that value.

    After ``timeout`` seconds: raise :class:`WaitTimeout` naming ``what``, or,
    with ``what=None``, return the last (false) value for the caller to judge.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            if what is None:
                return value
            raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
