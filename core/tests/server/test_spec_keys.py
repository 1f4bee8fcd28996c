"""A run's executor keys: one per spec object, the same as spec_key's."""

from __future__ import annotations

import covalent as ct
from covalent.graph.compact import CompactGraph
from covalent.server.dispatcher import executors
from covalent.server.dispatcher.executors import SpecKeys, spec_key


def _double(x):
    return 2 * x


@ct.lattice
def doubled(n):
    # An electron and an executor object of its own per task: equal specs all the same.
    return [ct.electron(_double, executor=ct.executor.LocalExecutor())(i) for i in range(n)]


def test_each_spec_object_is_keyed_once_and_as_spec_key_keys_it(monkeypatch):
    asked: list[object] = []

    def counted(spec):
        asked.append(spec)
        return spec_key(spec)

    monkeypatch.setattr(executors, "spec_key", counted)
    keys = SpecKeys()
    spec = {"name": "dask", "kwargs": {"b": 2, "a": 1}}
    same = {"name": "dask", "kwargs": {"a": 1, "b": 2}}
    assert [keys(spec) for _ in range(1000)] == [spec_key(spec)] * 1000
    assert keys(same) == keys(spec)  # an equal spec: the same key (worked out once more, for the other object)
    assert keys(None) == spec_key(None) and keys("local") == spec_key("local") != keys(spec)
    assert asked == [spec, same, None, "local"]


def test_a_map_s_tasks_share_one_spec_object_in_the_run_s_graph():
    graph = CompactGraph.from_dict(doubled.build_manifest(50).graph.to_dict())
    tasks = [graph.view(n) for n in graph.node_ids() if graph.view(n).kind == "electron"]
    assert len(tasks) == 50 and isinstance(tasks[0].executor, dict)
    assert len({id(task.executor) for task in tasks}) == 1  # so the run keys them once, not once per task
