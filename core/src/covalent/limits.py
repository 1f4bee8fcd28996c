"""The sizes and counts the server decides by, in one typed place.

Some of them are settings (``[server]`` in ``covalent.conf``):
``inline_value_bytes``, ``max_request_bytes`` and the connection bounds
(``header_timeout``, ``body_timeout``, ``max_connections_per_client``,
``max_connections``); :meth:`Limits.from_settings` reads them, and
:data:`LIMITS` holds the defaults every other part uses.  The rest are tuned
for speed (see each field) and change only with a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from covalent.errors import SettingError

__all__ = ["LIMITS", "Limits", "setting_number"]

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


@dataclass(frozen=True)
class Limits:
    #: A value up to this size is stored inline in the database; larger ones are files (setting).
    inline_value_bytes: int = 64 * KiB
    #: A request body larger than this is refused with 413 (setting).
    max_request_bytes: int = 1 * GiB
    #: Seconds a request's headers may take to arrive (setting; see covalent.server.connections).
    header_timeout: float = 10.0
    #: Seconds a request's body may pause between two parts (setting).
    body_timeout: float = 60.0
    #: Connections one client address may hold at once; more are closed as they open (setting).
    max_connections_per_client: int = 256
    #: Connections and requests of all clients together; beyond, requests get 503 (setting).
    max_connections: int = 4096
    #: A dispatch's output up to this size rides along in its final event (base64).
    event_output_bytes: int = 64 * KiB
    #: A write of up to this many node rows and output bytes counts as small (may commit on the event loop).
    small_write_rows: int = 32
    small_write_bytes: int = 64 * KiB
    #: An upload up to this size (manifest and blobs) is checked on the event loop and committed as a small write.
    small_upload_bytes: int = 64 * KiB
    #: A dispatch of at least this many nodes (or sent as lines) is answered, and its run started,
    #: once its record and manifest are committed; its node rows are committed after (queued ahead
    #: of the run's own writes): a map of 1,000 tasks waited ~0.1 s for its rows before its first task.
    rows_after_nodes: int = 1000
    #: A full-reuse copy of up to this many nodes is committed as a small write.
    small_copy_nodes: int = 1000
    #: At most this many small operations are committed on the event loop at once.
    inline_commit_ops: int = 8
    #: A run launches no further job while its launched nodes and the rows queued to the database
    #: writer are more than this: each waiting row holds its values in memory (about 1 KB), and
    #: the writer falls behind while a big dispatch's node rows are written.
    unsettled_rows: int = 131_072
    #: A job of up to this many nodes, inputs and input bytes, all in memory, has its payload built on the event loop.
    inline_payload_nodes: int = 16
    inline_payload_inputs: int = 4096
    inline_payload_bytes: int = 256 * KiB
    #: Bytes of recently read or written blobs the dispatcher keeps in memory.
    blob_cache_bytes: int = 64 * MiB
    #: An output at least this large stays where it was made, on an executor that can keep it
    #: (Dask), and reaches the next task there by reference; the server stores it later.
    held_value_bytes: int = 1 * MiB
    #: Times a node is computed again because a value it made was lost before it was stored.
    recompute_attempts: int = 3
    #: Seconds at most a held value waits to be stored while tasks on its executor still need it
    #: (it is stored as soon as they all took it, or someone asks for its bytes): storing it
    #: would only compete with them for their worker.
    held_persist_delay: float = 5.0

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Limits:
        """The limits with those that are settings taken from ``settings`` (``config.load()``).

        A value that is not a number of the setting's kind raises :class:`SettingError`.
        """
        server = settings.get("server", {})
        return replace(
            LIMITS,
            **{
                name: setting_number(server, name, type(getattr(LIMITS, name)), getattr(LIMITS, name))
                for name in _SETTINGS
            },
        )


#: The limits that are settings (``[server]`` in ``covalent.conf``).
_SETTINGS = (
    "inline_value_bytes",
    "max_request_bytes",
    "header_timeout",
    "body_timeout",
    "max_connections_per_client",
    "max_connections",
)


def setting_number(section: dict[str, Any], name: str, kind: type[int] | type[float], default: Any) -> Any:
    """``section[name]`` (of ``[server]``) as a ``kind`` of at least 0, or ``default`` when it is not set.

    TOML's numbers, and text that reads as one (``"4096"``), are taken; anything
    else, a boolean or a negative number raises :class:`SettingError` naming
    the setting, its value and what was expected, for one clear line where a
    bare ``int()`` left a ValueError's traceback.
    """
    value = section.get(name, default)
    if isinstance(value, kind) and not isinstance(value, bool) and value >= 0:
        return value
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError
        number = kind(value)
        if kind is int and isinstance(value, float) and number != value:
            raise ValueError  # 2.5 is no count of connections
        if not number >= 0:  # negative, or NaN
            raise ValueError
    except (ValueError, OverflowError):
        expected = "a whole number" if kind is int else "a number"
        raise SettingError(f"server.{name} = {value!r} in covalent.conf: expected {expected} (at least 0)") from None
    return number


#: The defaults.
LIMITS = Limits()
