"""Schemathesis against the server's own OpenAPI description: no 5xx, the server stays up."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

import covalent as ct
from covalent.testing import CLIENT_HEADERS

EXAMPLES_PER_OPERATION = int(__import__("os").environ.get("COVALENT_FUZZ_EXAMPLES", "30"))


def test_no_generated_request_makes_the_server_fail(server):
    @ct.electron
    def add(x, y):
        return x + y

    @ct.lattice
    def wf(a):
        return add(a, 1)

    ct.dispatch_sync(wf)(1)  # something for the read endpoints to find
    schema = schemathesis.openapi.from_url(f"{server.address}/api/v1/openapi.json")
    base_url = f"{server.address}/api/v1"
    tried: dict[str, int] = {}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/events":
            continue  # an endless stream by design
        _fuzz(operation, base_url, tried, failures)
    assert not failures
    assert len(tried) >= 15, tried
    assert httpx.get(f"{base_url}/health").status_code == 200
    print(f"fuzzed {sum(tried.values())} requests over {len(tried)} operations")


def _fuzz(operation, base_url: str, tried: dict[str, int], failures: list[str]) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case):
        tried[label] = tried.get(label, 0) + 1
        response = case.call(base_url=base_url, timeout=30, headers=CLIENT_HEADERS)
        if response.status_code >= 500:
            failures.append(f"{label} -> {response.status_code}: {response.text[:300]}")
        assert response.status_code < 500, failures[-1]

    check()
