"""Triggers on a real server: each kind starts runs, they survive a restart, stop when asked, fail with a reason."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import covalent as ct
from covalent.client.dispatch import delete
from covalent.client.triggers import list_triggers, register_triggers
from covalent.errors import ServerError
from covalent.status import TERMINAL
from covalent.testing import ServerProcess
from covalent.triggers import BaseTrigger, CronTrigger, DatabaseTrigger, DirTrigger, SQLiteTrigger, TimeTrigger


def until(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@ct.electron
def note(path: str, text: str = "run") -> str:
    with open(path, "a") as f:
        f.write(text + "\n")
    return text


def workflow(*triggers: object) -> ct.Lattice:
    @ct.lattice(triggers=list(triggers))
    def noted(path: str) -> str:
        return note(path)

    return noted


def the_trigger(dispatch_id: str) -> dict:
    (found,) = list_triggers(dispatch_id)
    return found


ENDED = {status.value for status in TERMINAL}


def trigger_runs(server: ServerProcess, dispatch_id: str) -> list[dict]:
    trigger_id = the_trigger(dispatch_id)["trigger_id"]
    return httpx.get(f"{server.address}/api/v1/triggers/{trigger_id}").json()["runs"]


def test_a_time_trigger_runs_its_dispatch_then_redispatches_until_stopped(server, tmp_path):
    out = tmp_path / "runs.txt"
    dispatch_id = ct.dispatch(workflow(TimeTrigger(0.3)))(str(out))
    # Registered, not run: it runs only once its trigger fires (0.3 s later, which a
    # loaded machine may already have passed by this read).
    assert ct.get_result(dispatch_id).status == "NEW_OBJECT" or the_trigger(dispatch_id)["events"] >= 1
    until(lambda: len(lines(out)) >= 3, "three runs")
    assert ct.stop_triggers(dispatch_id) == 1
    time.sleep(0.5)  # a run started just before the stop may still be writing
    settled = len(lines(out))
    time.sleep(1.0)
    assert len(lines(out)) == settled, "runs went on after the trigger was stopped"
    trigger = the_trigger(dispatch_id)
    assert trigger["state"] == "stopped" and trigger["runs"] == settled == trigger["events"]
    runs = httpx.get(f"{server.address}/api/v1/triggers/{trigger['trigger_id']}").json()["runs"]
    run_ids = [r["run_dispatch_id"] for r in runs]
    assert run_ids[-1] == dispatch_id, "the first event runs the registered dispatch itself"
    assert len(set(run_ids)) == settled and all(r["status"] == "COMPLETED" for r in runs)
    assert ct.get_result(run_ids[0], wait=True).result == "run"


def test_a_folder_trigger_runs_on_new_files_and_fails_when_the_folder_is_removed(server, tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "runs.txt"
    inbox.mkdir()
    dispatch_id = ct.dispatch(workflow(DirTrigger(str(inbox), event_names="created")))(str(out))
    (inbox / "a.csv").write_text("1")  # straight after dispatch returns: not missed
    until(lambda: len(lines(out)) == 1, "a run for the new file")
    (inbox / "b.csv").write_text("2")
    until(lambda: len(lines(out)) == 2, "a run for the second file")
    for name in ("a.csv", "b.csv"):
        (inbox / name).unlink()
    inbox.rmdir()
    until(lambda: the_trigger(dispatch_id)["state"] == "failed", "the trigger to fail")
    assert "was removed" in the_trigger(dispatch_id)["error"]
    assert ct.dispatch_sync(workflow())(str(tmp_path / "other.txt")).status == "COMPLETED", "the server went on"


def test_events_that_come_together_run_the_dispatch_then_redispatch_it(server, tmp_path):
    """Appending to a watched file is two events at once (the file and its folder are modified)."""
    inbox, out = tmp_path / "inbox", tmp_path / "runs.txt"
    inbox.mkdir()
    (inbox / "numbers.txt").write_text("0\n")
    dispatch_id = ct.dispatch(workflow(DirTrigger(str(inbox), event_names="modified")))(str(out))
    for step in (1, 2):
        with open(inbox / "numbers.txt", "a") as f:
            f.write(f"{step}\n")
        until(lambda step=step: the_trigger(dispatch_id)["runs"] >= 2 * step, f"the runs of append {step}")
    trigger = the_trigger(dispatch_id)
    assert trigger["state"] == "observing" and trigger["runs"] == trigger["events"]
    ct.stop_triggers(dispatch_id)
    runs = httpx.get(f"{server.address}/api/v1/triggers/{trigger['trigger_id']}").json()["runs"]
    assert len({r["run_dispatch_id"] for r in runs}) == len(runs) == trigger["runs"]


def test_a_folder_that_is_not_there_refuses_the_dispatch_and_stores_nothing(server, tmp_path):
    before = httpx.get(f"{server.address}/api/v1/dispatches").json()["total"]
    with pytest.raises(ServerError, match="does not exist") as caught:
        ct.dispatch(workflow(DirTrigger(str(tmp_path / "nowhere"), "created")))(str(tmp_path / "x"))
    assert caught.value.status_code == 422
    assert httpx.get(f"{server.address}/api/v1/dispatches").json()["total"] == before


def test_a_sqlite_trigger_runs_while_rows_match_and_fails_when_the_file_goes(server, tmp_path):
    db, out = tmp_path / "jobs.db", tmp_path / "runs.txt"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE jobs (id INTEGER, state TEXT)")
    trigger = SQLiteTrigger(str(db), "jobs", poll_interval=0.1, where_clauses=["state = 'new'"], trigger_after_n=2)
    dispatch_id = ct.dispatch(workflow(trigger))(str(out))
    time.sleep(0.5)
    assert lines(out) == [], "no matching row, no run"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO jobs VALUES (1, 'new')")
    until(lambda: len(lines(out)) >= 2, "runs while a row matches")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE jobs SET state = 'done'")
    time.sleep(0.6)
    settled = len(lines(out))
    time.sleep(0.6)
    assert len(lines(out)) == settled
    db.unlink()
    until(lambda: the_trigger(dispatch_id)["state"] == "failed", "the trigger to fail")
    assert "unable to open database file" in the_trigger(dispatch_id)["error"]
    assert not db.exists(), "the trigger's read-only poll created the database again"


def test_a_database_trigger_reads_a_sqlalchemy_url(server, tmp_path):
    db, out = tmp_path / "events.db", tmp_path / "runs.txt"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE events (id INTEGER)")
        conn.execute("INSERT INTO events VALUES (7)")
    dispatch_id = ct.dispatch(workflow(DatabaseTrigger(f"sqlite:///{db}", "events", poll_interval=0.1)))(str(out))
    until(lambda: len(lines(out)) >= 1, "a run")
    ct.stop_triggers([dispatch_id])


def test_triggers_are_observed_again_after_a_restart(fresh_server, tmp_path):
    out = tmp_path / "runs.txt"
    dispatch_id = ct.dispatch(workflow(TimeTrigger(0.3)))(str(out))
    until(lambda: len(lines(out)) >= 1, "a run")
    fresh_server.stop()
    stopped_at = len(lines(out))
    fresh_server.start()
    until(lambda: len(lines(out)) >= stopped_at + 2, "runs after the restart")
    assert the_trigger(dispatch_id)["state"] == "observing"
    ct.stop_triggers(dispatch_id)


def test_a_trigger_registered_for_an_existing_dispatch(server, tmp_path):
    out = tmp_path / "runs.txt"
    dispatch_id = ct.dispatch(workflow(), disable_run=True)(str(out))
    trigger = TimeTrigger(0.3)
    trigger.lattice_dispatch_id = dispatch_id
    trigger.register()
    until(lambda: len(lines(out)) >= 2, "runs")
    ct.stop_triggers(dispatch_id)
    with pytest.raises(ServerError, match="no dispatch with id") as caught:
        register_triggers("no-such-dispatch", [TimeTrigger(1).to_spec()])
    assert caught.value.status_code == 404


def test_a_cron_trigger_is_registered_with_its_schedule_explained(server):
    dispatch_id = ct.dispatch(workflow(CronTrigger("0 3 * * *", timezone="Europe/Paris")))("/dev/null")
    trigger = the_trigger(dispatch_id)
    assert trigger["state"] == "observing" and trigger["config"]["schedule"] == "0 3 * * *"
    assert trigger["description"] == "cron 0 3 * * * (At 03:00 every day, Europe/Paris)"
    assert ct.stop_triggers(dispatch_id) == 1


def test_a_trigger_observed_in_the_user_s_own_process_starts_runs_over_http(server, tmp_path):
    """Covalent's way for a trigger of your own: observe() here, trigger() starts or redispatches."""
    import threading

    out = tmp_path / "runs.txt"
    dispatch_id = ct.dispatch(workflow(), disable_run=True)(str(out))

    class EveryFile(BaseTrigger):
        def observe(self) -> None:
            for _ in range(3):
                self.trigger()

    mine = EveryFile(lattice_dispatch_id=dispatch_id)
    mine.observe()
    until(lambda: len(lines(out)) == 3, "three runs")
    assert len(mine.new_dispatch_ids) == 2, "the first run is the registered dispatch itself"

    beat = TimeTrigger(0.2, lattice_dispatch_id=dispatch_id)
    observer = threading.Thread(target=beat.observe)  # blocks until stop(), as in Covalent
    observer.start()
    until(lambda: len(beat.new_dispatch_ids) >= 2, "runs from an in-process TimeTrigger")
    beat.stop()
    observer.join(5)
    assert not observer.is_alive()


def test_unknown_kinds_and_bad_json_are_refused(server):
    dispatch_id = ct.dispatch(workflow(), disable_run=True)("/dev/null")
    for spec, message in [
        ({"kind": "ShellTrigger", "config": {"command": "rm -rf /"}}, "does not know the trigger kind 'ShellTrigger'"),
        ({"kind": "TimeTrigger", "config": {"time_gap": -1}}, "time_gap must be at least"),
        ({"kind": "TimeTrigger", "config": {"time_gap": {"nested": [1]}}}, "config"),
        ({"kind": "TimeTrigger", "config": {"time_gap": 1}, "policy": {"when_busy": "later"}}, "when_busy"),
    ]:
        answer = httpx.post(
            f"{server.address}/api/v1/triggers", json={"dispatch_id": dispatch_id, "triggers": [spec]}, timeout=10
        )
        assert answer.status_code == 422, answer.text
        assert message in answer.text
    assert list_triggers(dispatch_id) == []


def test_skip_keeps_one_run_at_a_time(server, tmp_path):
    out = tmp_path / "runs.txt"

    @ct.electron
    def slow(path: str) -> None:
        with open(path, "a") as f:
            f.write(f"start {time.time()}\n")
        time.sleep(0.6)
        with open(path, "a") as f:
            f.write(f"end {time.time()}\n")

    @ct.lattice(triggers=TimeTrigger(0.1, max_concurrent=1, when_busy="skip"))
    def one_at_a_time(path: str) -> None:
        slow(path)

    dispatch_id = ct.dispatch(one_at_a_time)(str(out))
    until(lambda: sum(line.startswith("end") for line in lines(out)) >= 3, "three runs", timeout=30)
    ct.stop_triggers(dispatch_id)
    time.sleep(0.8)
    kinds = [line.split()[0] for line in lines(out)]
    assert kinds == ["start", "end"] * (len(kinds) // 2), f"runs overlapped: {kinds}"
    assert the_trigger(dispatch_id)["skipped"] >= 3


def test_queue_runs_waiting_events_after_the_run_ends(server, tmp_path):
    out = tmp_path / "runs.txt"

    @ct.electron
    def slow(path: str) -> None:
        with open(path, "a") as f:
            f.write("start\n")
        time.sleep(0.5)
        with open(path, "a") as f:
            f.write("end\n")

    inbox = tmp_path / "inbox"
    inbox.mkdir()

    @ct.lattice(triggers=DirTrigger(str(inbox), "created", max_concurrent=1, when_busy="queue"))
    def queued(path: str) -> None:
        slow(path)

    dispatch_id = ct.dispatch(queued)(str(out))
    for name in ("a", "b", "c"):
        (inbox / name).write_text("x")
    until(lambda: lines(out).count("end") == 3, "three runs, one after the other", timeout=30)
    assert lines(out) == ["start", "end"] * 3
    trigger = the_trigger(dispatch_id)
    assert (trigger["runs"], trigger["queued"], trigger["skipped"]) == (3, 0, 0)
    ct.stop_triggers(dispatch_id)


def test_reuse_makes_each_run_a_copy_of_the_completed_first_one(server, tmp_path):
    out = tmp_path / "runs.txt"
    dispatch_id = ct.dispatch(workflow(TimeTrigger(0.3, reuse_previous_results=True)))(str(out))
    until(lambda: the_trigger(dispatch_id)["runs"] >= 3, "three runs")
    ct.stop_triggers(dispatch_id)
    assert lines(out) == ["run"], "reused runs must not run the task again"


def test_deleting_the_dispatch_ends_its_triggers(server, tmp_path):
    out = tmp_path / "runs.txt"
    dispatch_id = ct.dispatch(workflow(TimeTrigger(0.2)))(str(out))
    until(lambda: len(lines(out)) >= 1, "a run")
    ct.stop_triggers(dispatch_id)
    time.sleep(0.5)
    delete(dispatch_id)
    assert list_triggers(dispatch_id) == []


def test_no_triggers_refuses_them_and_keeps_registered_ones_for_later(fresh_server, tmp_path):
    out = tmp_path / "runs.txt"
    dispatch_id = ct.dispatch(workflow(TimeTrigger(0.3)))(str(out))
    until(lambda: len(lines(out)) >= 1, "a run")
    fresh_server.stop()
    fresh_server.start(flags=["--no-triggers"])
    before = httpx.get(f"{fresh_server.address}/api/v1/dispatches").json()["total"]
    with pytest.raises(ServerError, match="started with --no-triggers") as caught:
        ct.dispatch(workflow(TimeTrigger(1)))(str(out))
    assert caught.value.status_code == 412
    assert httpx.get(f"{fresh_server.address}/api/v1/dispatches").json()["total"] == before
    assert httpx.get(f"{fresh_server.address}/api/v1/triggers/status").json()["status"] == "disabled"
    # A run the stop interrupted is taken up again by this server (that is durability, not
    # observing): count once every run the trigger started has ended.
    until(lambda: all(r["status"] in ENDED for r in trigger_runs(fresh_server, dispatch_id)), "the runs ended")
    settled = len(lines(out))
    time.sleep(1)
    assert len(lines(out)) == settled, "a --no-triggers server observed a trigger"
    assert the_trigger(dispatch_id)["state"] == "observing"  # waiting for a server that observes it
    fresh_server.stop()
    fresh_server.start()
    until(lambda: len(lines(out)) >= settled + 1, "runs once triggers are observed again")
    ct.stop_triggers(dispatch_id)


def test_a_triggers_only_server_runs_the_dispatch_on_the_dispatcher(fresh_server, tmp_path):
    out = tmp_path / "runs.txt"
    # Its own database, whatever the dispatcher's (the test process's environment names the dispatcher's).
    own = {"COVALENT_DATABASE_URL": f"sqlite:///{tmp_path / 'observer.db'}"}
    observer = ServerProcess(tmp_path / "observer", default_executor="local", extra_env=own)
    observer.start(flags=["--triggers-only"])
    try:
        assert httpx.get(f"{observer.address}/api/v1/dispatches").status_code == 404
        dispatch_id = ct.dispatch(workflow(TimeTrigger(0.3, triggers_server_addr=observer.address)))(str(out))
        until(lambda: len(lines(out)) >= 2, "runs on the dispatcher")
        (trigger,) = list_triggers(address=observer.address)
        assert trigger["dispatch_id"] == dispatch_id and trigger["dispatcher_addr"] == fresh_server.address
        assert list_triggers(dispatch_id) == [], "the dispatcher observes nothing itself"
        ct.stop_triggers(dispatch_id, triggers_server_addr=observer.address)
        with pytest.raises(ServerError, match="register triggers with dispatcher_addr"):
            register_triggers(dispatch_id, [TimeTrigger(1).to_spec()], address=observer.address)
    finally:
        observer.stop()


def test_a_database_trigger_on_postgresql_reads_only_and_fails_when_the_server_goes(server, tmp_path):
    from sqlalchemy import create_engine, text

    from covalent.testing.postgres import PostgresServer

    out = tmp_path / "runs.txt"
    database = PostgresServer().start()  # its own folder: the postgres user cannot enter pytest's
    try:
        url = database.create_database("jobs")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE queue (id INTEGER, state TEXT)"))
            conn.execute(text("INSERT INTO queue VALUES (1, 'new')"))
        engine.dispose()
        trigger = DatabaseTrigger(url, "public.queue", poll_interval=0.1, where_clauses=["state = 'new'"])
        dispatch_id = ct.dispatch(workflow(trigger))(str(out))
        until(lambda: len(lines(out)) >= 2, "runs while a row matches")
        source = trigger.source(since=0)
        asyncio.run(source.open(print))
        with pytest.raises(Exception, match="read-only transaction"):
            source._poll(source.engine, text("DELETE FROM queue"))
        asyncio.run(source.close())
    finally:
        database.stop()
    until(lambda: the_trigger(dispatch_id)["state"] == "failed", "the trigger to fail", timeout=30)
    assert "cannot read table public.queue of postgresql" in the_trigger(dispatch_id)["error"]
