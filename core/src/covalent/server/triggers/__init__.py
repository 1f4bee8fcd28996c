"""Triggers in the server: observing registered triggers and starting the runs their events call for."""

from covalent.server.triggers.service import (
    Mode,
    PublicTrigger,
    TriggerError,
    TriggerService,
    TriggerSpec,
    public,
    public_trigger,
)

__all__ = ["Mode", "PublicTrigger", "TriggerError", "TriggerService", "TriggerSpec", "public", "public_trigger"]
