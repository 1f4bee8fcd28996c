"""The SDK's side of the server: dispatch, results, redispatch, cancel."""

from covalent.client.dispatch import cancel, dispatch, dispatch_sync, get_result, redispatch
from covalent.client.result import Result

__all__ = ["Result", "cancel", "dispatch", "dispatch_sync", "get_result", "redispatch"]
