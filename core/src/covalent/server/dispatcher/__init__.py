"""The dispatcher: event-driven execution of dispatches inside the server."""

from covalent.server.dispatcher.dispatcher import Dispatcher

__all__ = ["Dispatcher"]
