"""Triggers in the server: observing registered triggers and starting the runs their events call for."""

from covalent.server.triggers.service import Mode, TriggerError, TriggerService, TriggerSpec, public

__all__ = ["Mode", "TriggerError", "TriggerService", "TriggerSpec", "public"]
