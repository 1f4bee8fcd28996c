"""The cyclic collector rests while a graph is built, and is as it was after (also when the body raises)."""

from __future__ import annotations

import gc

import pytest

import covalent as ct
from covalent._sdk.collector import collector_paused
from covalent.errors import GraphBuildError


@ct.electron
def one(x):
    return x


def test_the_collector_is_off_while_the_body_runs_and_back_after():
    seen = []

    @ct.lattice
    def wf(n):
        seen.append(gc.isenabled())
        return [one(i) for i in range(n)]

    assert gc.isenabled()
    wf.build_manifest(3)
    assert seen == [False] and gc.isenabled()

    @ct.lattice
    def broken(n):
        raise RuntimeError("no graph")

    with pytest.raises(GraphBuildError, match="no graph"):
        broken.build_manifest(1)
    assert gc.isenabled()


def test_a_nested_pause_leaves_the_collector_to_the_outer_one():
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_cycles_made_while_building_are_collected_after():
    class Loop:
        pass

    @ct.lattice
    def wf(n):
        for _ in range(100):
            a, b = Loop(), Loop()
            a.other, b.other = b, a  # garbage cycles the body leaves behind
        return one(n)

    gc.collect()
    wf.build_manifest(1)
    assert sum(isinstance(o, Loop) for o in gc.get_objects()) == 200  # not collected while building
    gc.collect()
    assert not any(isinstance(o, Loop) for o in gc.get_objects())
