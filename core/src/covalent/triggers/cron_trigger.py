"""``CronTrigger("0 3 * * *")``: a run at the times a cron expression names (beyond Covalent).

Expressions are evaluated by cronsim, which follows Debian's cron (five
fields, ``L`` and ``#`` for last and nth weekdays, daylight-saving changes
handled as cron handles them), in ``timezone`` (an IANA name; default the
machine's own zone).  Times missed while the server was down are not made up.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from covalent.triggers.base import BaseTrigger, TriggerConfigError
from covalent.triggers.source import EventSource

__all__ = ["CronSource", "CronTrigger", "local_zone"]


def local_zone() -> tzinfo:
    """This machine's time zone, with its daylight-saving rules when they can be found."""
    names = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        names.append(target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "")
    except OSError:
        pass
    try:
        names.append(Path("/etc/timezone").read_text().strip())
    except OSError:
        pass
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


def _zone(name: str | None) -> tzinfo:
    if not name:
        return local_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TriggerConfigError(f"timezone {name!r} is not a known time zone (e.g. 'UTC', 'Europe/Paris')") from None


class CronSource(EventSource):
    def __init__(self, schedule: str, zone: tzinfo, now: Callable[[], datetime] | None = None) -> None:
        self.schedule = schedule
        self.zone = zone
        self.now = now or (lambda: datetime.now(zone))

    def next_after(self, moment: datetime) -> datetime:
        """The first time the schedule names strictly after ``moment``."""
        from cronsim import CronSim

        for due in CronSim(self.schedule, moment.astimezone(self.zone)):
            if due > moment:
                return due
        raise TriggerConfigError(f"cron schedule {self.schedule!r} names no time after {moment}")  # pragma: no cover

    async def run(self) -> None:
        due = self.next_after(self.now())
        while True:
            await asyncio.sleep(max(0.0, (due - self.now()).total_seconds()))
            self.emit(f"cron {self.schedule} at {due.isoformat(timespec='minutes')}")
            due = self.next_after(max(self.now(), due))


class CronTrigger(BaseTrigger):
    """Perform a run at each time the cron expression ``schedule`` names."""

    def __init__(
        self,
        schedule: str,
        timezone: str | None = None,
        lattice_dispatch_id: str | None = None,
        dispatcher_addr: str | None = None,
        triggers_server_addr: str | None = None,
        **policy: Any,
    ) -> None:
        super().__init__(lattice_dispatch_id, dispatcher_addr, triggers_server_addr, **policy)
        from cronsim import CronSim, CronSimError

        if not isinstance(schedule, str) or len(schedule) > 200:
            raise TriggerConfigError(f"schedule must be a cron expression such as '0 3 * * *', got {schedule!r}")
        if timezone is not None and not isinstance(timezone, str):
            raise TriggerConfigError(f"timezone must be an IANA name such as 'UTC', got {timezone!r}")
        try:
            CronSim(schedule, datetime.now(_zone(timezone)))
        except CronSimError as exc:
            raise TriggerConfigError(f"schedule {schedule!r} is not a cron expression: {exc}") from None
        self.schedule = schedule
        self.timezone = timezone

    def config(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "timezone": self.timezone}

    def describe(self) -> str:
        from cronsim import CronSim

        text = CronSim(self.schedule, datetime.now(_zone(self.timezone))).explain()
        return f"cron {self.schedule} ({text}{', ' + self.timezone if self.timezone else ''})"

    def source(self, *, since: float) -> EventSource:
        return CronSource(self.schedule, _zone(self.timezone))
