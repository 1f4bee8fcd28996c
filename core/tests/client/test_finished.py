"""covalent.client.finished: a final state sent with another answer is read once, with no request."""

from __future__ import annotations

import pytest

import covalent as ct
from covalent.client import connection, finished

ADDRESS = "http://127.0.0.1:1"  # nothing listens there: any request would fail


def _answer(dispatch_id: str) -> dict:
    summary = {"dispatch_id": dispatch_id, "status": "COMPLETED", "started_at": 1.0, "ended_at": 2.0}
    return {"dispatch_id": dispatch_id, "status": "COMPLETED", "summary": summary}


@pytest.fixture
def no_connection(monkeypatch):
    """get_result must not set up a connection (its address, token and proxy settings) for a kept answer."""

    def refuse(*args, **kwargs):
        raise AssertionError("a connection was set up")

    monkeypatch.setattr(connection.Connection, "__init__", refuse)


def test_a_kept_answer_is_read_once_without_a_connection(no_connection, monkeypatch):
    monkeypatch.setenv("COVALENT_DISPATCHER_ADDR", "127.0.0.1:2")  # not where it came from: the id names it
    finished.remember(ADDRESS, _answer("kept-1"))
    assert ct.get_result("kept-1", status_only=True)["status"] == "COMPLETED"
    with pytest.raises(AssertionError, match="connection"):  # read once: the next one asks the server
        ct.get_result("kept-1", status_only=True)


def test_a_kept_answer_is_taken_only_for_its_own_server():
    finished.remember(ADDRESS, _answer("kept-2"))
    assert finished.take("kept-2", "http://127.0.0.1:2") is None
    assert ct.get_result("kept-2", wait=True, dispatcher_addr="127.0.0.1:1/").status == "COMPLETED"
    assert finished.take("kept-2") is None
