"""Triggers: re-run a dispatched workflow on folder events, on a timer, on a cron schedule or on database rows.

    from covalent.triggers import DirTrigger, TimeTrigger, CronTrigger

    @ct.lattice(triggers=DirTrigger("/data/incoming", event_names=["created"]))
    def ingest(): ...

    dispatch_id = ct.dispatch(ingest)()   # registered, not run: each new file runs it
    ct.stop_triggers(dispatch_id)

The server keeps registered triggers in its database and observes them
again after a restart.  See :mod:`covalent.triggers.base` for the run policy
(``max_concurrent``, ``when_busy``, ``reuse_previous_results``).
"""

from covalent.triggers.base import BaseTrigger, TriggerConfigError
from covalent.triggers.cron_trigger import CronTrigger
from covalent.triggers.database_trigger import DatabaseTrigger
from covalent.triggers.dir_trigger import DirTrigger
from covalent.triggers.source import EventSource, SourceGone
from covalent.triggers.sqlite_trigger import SQLiteTrigger
from covalent.triggers.time_trigger import TimeTrigger
from covalent.triggers.trigger_loader import available_triggers

__all__ = [
    "BaseTrigger",
    "CronTrigger",
    "DatabaseTrigger",
    "DirTrigger",
    "EventSource",
    "SQLiteTrigger",
    "SourceGone",
    "TimeTrigger",
    "TriggerConfigError",
    "available_triggers",
]
