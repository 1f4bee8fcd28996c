"""wait_until: the one bounded wait of the test suites."""

from __future__ import annotations

import itertools

import pytest

from covalent.testing import WaitTimeout, wait_until


def test_returns_the_first_true_value():
    counter = itertools.count()
    assert wait_until(lambda: next(counter) >= 3 and "done", 5, interval=0.001) == "done"


def test_times_out_naming_what_it_waited_for_or_returns_the_last_value():
    with pytest.raises(WaitTimeout, match="waiting for the moon"):
        wait_until(lambda: False, 0.05, interval=0.01, what="the moon")
    assert wait_until(lambda: 0, 0.05, interval=0.01, what=None) == 0
    assert issubclass(WaitTimeout, AssertionError) and issubclass(WaitTimeout, TimeoutError)
