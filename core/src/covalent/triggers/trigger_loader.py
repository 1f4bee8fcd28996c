"""The trigger kinds a server builds from their JSON form (Covalent's ``available_triggers``).

Only these classes are ever instantiated from what a client sends: a kind
the server does not know is refused, so no client code runs in the server.
"""

from __future__ import annotations

from covalent.triggers.base import BaseTrigger
from covalent.triggers.cron_trigger import CronTrigger
from covalent.triggers.database_trigger import DatabaseTrigger
from covalent.triggers.dir_trigger import DirTrigger
from covalent.triggers.sqlite_trigger import SQLiteTrigger
from covalent.triggers.time_trigger import TimeTrigger

__all__ = ["TriggerLoader", "available_triggers"]


class TriggerLoader:
    """Trigger classes by name; ``available_triggers[name] = cls`` adds one (in the server's process)."""

    def __init__(self) -> None:
        self.available_triggers: dict[str, type[BaseTrigger]] = {
            cls.__name__: cls for cls in (DatabaseTrigger, DirTrigger, TimeTrigger, SQLiteTrigger, CronTrigger)
        }

    def __getitem__(self, key: str) -> type[BaseTrigger] | None:
        return self.available_triggers.get(key)

    def __setitem__(self, key: str, value: type[BaseTrigger]) -> None:
        self.available_triggers[key] = value

    def names(self) -> list[str]:
        return sorted(self.available_triggers)


available_triggers = TriggerLoader()
