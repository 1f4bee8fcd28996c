"""The dispatcher: event-driven execution of dispatches inside the server."""

from covalent.server.dispatcher.service import Dispatcher

__all__ = ["Dispatcher"]
