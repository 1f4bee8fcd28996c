"""Load: 20 concurrent clients, each dispatching 50 workflows of 20 electrons."""

from __future__ import annotations

import statistics
import threading
import time

import pytest

import covalent as ct

CLIENTS = 20
WORKFLOWS = 50
ELECTRONS = 20


@ct.electron
def work(i):
    return i * 2


@ct.electron
def gather(values):
    return sum(values)


@ct.lattice
def twenty(offset):
    return gather([work(offset + i) for i in range(ELECTRONS - 1)])


@pytest.mark.slow
def test_concurrent_clients_all_complete_without_errors(fresh_server):
    latencies: list[float] = []
    dispatched: list[tuple[str, int]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        for k in range(WORKFLOWS):
            offset = number * 1000 + k
            start = time.perf_counter()
            try:
                dispatch_id = ct.dispatch(twenty)(offset)
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - start)
                dispatched.append((dispatch_id, offset))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors[:5]
    assert len(dispatched) == CLIENTS * WORKFLOWS
    for dispatch_id, offset in dispatched:
        result = ct.get_result(dispatch_id, wait=True, progress=False)
        assert result.status == "COMPLETED", result.error
        assert result.result == sum((offset + i) * 2 for i in range(ELECTRONS - 1))
    elapsed = time.perf_counter() - began
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"\n{len(dispatched)} dispatches of {ELECTRONS} electrons from {CLIENTS} clients: all completed in "
        f"{elapsed:.1f} s; dispatch latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; errors {len(errors)}"
    )
