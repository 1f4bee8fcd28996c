"""Each trigger kind: its JSON form round-trips, bad configuration is refused naming the field, its source works."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from covalent.triggers import (
    BaseTrigger,
    CronTrigger,
    DatabaseTrigger,
    DirTrigger,
    SourceGone,
    SQLiteTrigger,
    TimeTrigger,
    TriggerConfigError,
    available_triggers,
)
from covalent.triggers.cron_trigger import CronSource
from covalent.triggers.time_trigger import TimeSource

EXAMPLES = [
    TimeTrigger(2),
    CronTrigger("0 3 * * *", timezone="UTC"),
    DirTrigger("/tmp", event_names=["created", "modified"], batch_size=2, recursive=True),
    DatabaseTrigger("postgresql://u:secret@db/x", "jobs", poll_interval=3, where_clauses=["id > 2"], trigger_after_n=2),
    SQLiteTrigger("/tmp/jobs.db", "jobs", max_concurrent=1, when_busy="skip", reuse_previous_results=True),
]


@pytest.mark.parametrize("trigger", EXAMPLES, ids=lambda t: t.kind)
def test_every_kind_travels_as_json_and_comes_back_the_same(trigger):
    import json

    spec = json.loads(json.dumps(trigger.to_spec()))
    again = available_triggers[spec["kind"]].from_spec(spec["config"], spec["policy"])
    assert again.to_spec() == trigger.to_spec()
    assert again.to_dict()["name"] == trigger.kind


def test_a_database_password_is_masked_where_people_see_the_configuration():
    shown = EXAMPLES[3].public_config()["db_path"]
    assert "secret" not in shown and "***" in shown


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TimeTrigger(0), "time_gap must be at least 0.05"),
        (lambda: TimeTrigger("soon"), "time_gap must be a number"),
        (lambda: CronTrigger("61 * * * *"), "is not a cron expression: Bad minute"),
        (lambda: CronTrigger("* * * * *", timezone="Mars/Olympus"), "not a known time zone"),
        (lambda: DirTrigger("/tmp", event_names=["written"]), "event_names must be among"),
        (lambda: DirTrigger("/tmp", "created", batch_size=0), "batch_size must be a whole number"),
        (lambda: DatabaseTrigger("sqlite:///x.db", "jobs; DROP TABLE jobs"), "table_name must be"),
        (lambda: DatabaseTrigger("sqlite:///x.db", "jobs", where_clauses=["1; DELETE FROM jobs"]), "without ';'"),
        (lambda: DatabaseTrigger("not a url", "jobs"), "is not a database URL"),
        (lambda: TimeTrigger(1, max_concurrent=0), "max_concurrent must be"),
        (lambda: TimeTrigger(1, when_busy="drop"), "when_busy must be one of queue, skip"),
        (lambda: TimeTrigger.from_spec({"time_gap": 1, "exec": "rm -rf /"}), "unexpected keyword argument 'exec'"),
    ],
)
def test_bad_configuration_is_refused_naming_the_field(make, message):
    with pytest.raises(TriggerConfigError, match=message.replace("(", r"\(")):
        make()


def test_a_trigger_without_a_source_says_to_observe_it_yourself():
    class Mine(BaseTrigger):
        pass

    with pytest.raises(NotImplementedError, match="observe it in your own process"):
        Mine().source(since=0)


def test_time_beats_count_from_registration_and_skip_what_was_missed():
    source = TimeSource(2.0, since=100.0)
    assert source.next_due(100.0) == 102.0
    assert source.next_due(101.9) == 102.0
    assert source.next_due(102.0) == 104.0
    assert source.next_due(131.0) == 132.0  # a server that was down does not make up beats


def test_cron_times_follow_the_zone_and_daylight_saving():
    paris = ZoneInfo("Europe/Paris")
    source = CronSource("30 2 * * *", paris)
    # 2:30 does not exist on 2026-03-29 in Paris (clocks jump from 2:00 to 3:00): cron runs it at 3:00.
    due = source.next_after(datetime(2026, 3, 29, 0, 0, tzinfo=paris))
    assert (due.hour, due.minute, due.utcoffset().total_seconds()) == (3, 0, 7200)
    after = source.next_after(due)
    assert (after.day, after.hour, after.minute) == (30, 2, 30)
    assert CronTrigger("0 3 * * *").describe().startswith("cron 0 3 * * * (At 03:00")


def test_a_cron_source_emits_at_each_time_named(monkeypatch):
    class Clock:
        now = datetime(2026, 1, 1, 12, 0, 59, 900000, tzinfo=ZoneInfo("UTC"))

    source = CronSource("* * * * *", ZoneInfo("UTC"), now=lambda: Clock.now)
    seen: list[str] = []

    async def run() -> None:
        await source.open(seen.append)
        task = asyncio.create_task(source.run())
        await asyncio.sleep(0.3)  # 0.1 s to 12:01: one emit
        Clock.now = datetime(2026, 1, 1, 12, 1, 59, 990000, tzinfo=ZoneInfo("UTC"))
        await asyncio.sleep(0.1)
        task.cancel()

    asyncio.run(run())
    assert seen[0] == "cron * * * * * at 2026-01-01T12:01+00:00"


def test_a_folder_source_sees_events_after_open_and_fails_when_the_folder_goes(tmp_path):
    watched = tmp_path / "in"
    watched.mkdir()
    seen: list[str] = []

    async def run() -> BaseException | None:
        source = DirTrigger(str(watched), "created").source(since=0)
        await source.open(seen.append)
        (watched / "a.csv").write_text("1")  # right after open: not missed
        task = asyncio.create_task(source.run())
        await asyncio.sleep(0.3)
        watched.joinpath("a.csv").unlink()
        watched.rmdir()
        try:
            await asyncio.wait_for(task, 5)
        except SourceGone as exc:
            return exc
        finally:
            await source.close()
        return None

    gone = asyncio.run(run())
    assert seen == [f"created {watched / 'a.csv'}"]
    assert isinstance(gone, SourceGone) and "was removed" in str(gone)


def test_a_missing_folder_cannot_be_opened(tmp_path):
    async def run() -> None:
        await DirTrigger(str(tmp_path / "nope"), "created").source(since=0).open(print)

    with pytest.raises(SourceGone, match="does not exist"):
        asyncio.run(run())


def test_a_table_poll_counts_polls_that_find_rows_and_reads_only(tmp_path):
    path = tmp_path / "jobs.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE jobs (id INTEGER, state TEXT)")
        db.execute("INSERT INTO jobs VALUES (1, 'new')")
    seen: list[str] = []

    async def run() -> None:
        source = SQLiteTrigger(
            str(path), "jobs", poll_interval=0.05, where_clauses=["state = 'new'"], trigger_after_n=2
        )
        opened = source.source(since=0)
        await opened.open(seen.append)
        task = asyncio.create_task(opened.run())
        await asyncio.sleep(0.5)
        task.cancel()
        await opened.close()
        with pytest.raises(Exception, match="readonly"):
            opened._poll(opened.engine, text("DELETE FROM jobs"))

    asyncio.run(run())
    assert 2 <= len(seen) <= 6 and seen[0] == "rows in jobs"


def test_a_database_that_goes_away_fails_the_source_with_the_reason(tmp_path):
    async def run() -> None:
        source = SQLiteTrigger(str(tmp_path / "missing.db"), "jobs", poll_interval=0.05).source(since=0)
        await source.open(print)
        try:
            await asyncio.wait_for(source.run(), 5)
        finally:
            await source.close()

    gone = r"cannot read table jobs of sqlite:///.*missing\.db: unable to open database file"
    with pytest.raises(SourceGone, match=gone):
        asyncio.run(run())
    assert not (tmp_path / "missing.db").exists(), "a read-only poll must not create the database"


class _Clock:
    """A clock the time source reads, and a sleep that wakes a hair early or, once, very late."""

    def __init__(self, start: float, stall_at: int, stall: float) -> None:
        self.now = start
        self.targets: list[float] = []
        self.stall_at, self.stall = stall_at, stall

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.targets.append(self.now + seconds)
        late = self.stall if len(self.targets) == self.stall_at else -1e-4  # timers may wake early
        self.now += max(0.0, seconds + late)
        if len(self.targets) >= 20:
            raise asyncio.CancelledError


def test_a_time_source_emits_once_per_beat_even_when_timers_wake_early(monkeypatch: pytest.MonkeyPatch) -> None:
    from covalent.triggers import time_trigger

    gap, since = 0.05, 1000.0
    clock = _Clock(since, stall_at=8, stall=3.3 * gap)
    monkeypatch.setattr(time_trigger.time, "time", clock.time)
    monkeypatch.setattr(time_trigger.asyncio, "sleep", clock.sleep)
    seen: list[float] = []

    async def run() -> None:
        source = TimeSource(gap, since)
        await source.open(lambda _: seen.append(clock.now))
        with pytest.raises(asyncio.CancelledError):
            await source.run()

    asyncio.run(run())
    beats = [round((t - since) / gap) for t in clock.targets]
    assert beats == sorted(set(beats))  # every beat waited for once, in order: none repeated
    assert beats[:8] == list(range(1, 9))  # a timer waking early does not see its beat again
    assert beats[8] == 12  # after the stall, the beats missed meanwhile are skipped, not made up
    assert beats[8:] == list(range(12, 12 + len(beats) - 8))
    assert len(seen) == len(clock.targets) - 1  # one emission per wait that ended
