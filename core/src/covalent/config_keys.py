"""Covalent's configuration keys, read and written through this project's settings.

``ct.get_config("dispatcher.port")``, ``ct.set_config({"dispatcher.address":
...})`` and the other dotted keys Covalent code uses keep working: each known
key is *mapped* onto the setting that means the same here (``dispatcher.port``
is ``server.port``, ``dask.num_workers`` is ``executors.dask.n_workers``, and
so on; the table is :data:`MAPPED`).  A key that is not mapped is stored in
``covalent.conf`` under its own name, so values Covalent code sets for itself
are kept.  Paths that come from the environment here (data, cache, logs) can
be read but not set; setting one raises ``ValueError`` naming the variable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from covalent import config

__all__ = ["MAPPED", "get_config", "reload_config", "set_config"]


@dataclass(frozen=True)
class Mapped:
    """How one Covalent key reads (and, if it may, writes) this project's settings."""

    read: Callable[[], Any]
    write: Callable[[Any], Any] | None = None
    #: Why it cannot be set (for the error), when ``write`` is None.
    fixed_by: str = ""


def _address() -> Any:
    return urlsplit(config.dispatcher_address())


def _setting(dotted: str, default: Any = None) -> Mapped:
    """A key that is one of this project's settings under another name."""
    return Mapped(lambda: config.get(dotted, default), lambda value: config.store(dotted, value))


def _fixed(read: Callable[[], Any], variable: str) -> Mapped:
    return Mapped(read, None, f"it is set by the environment variable {variable}")


def _database_path() -> str:
    url = config.database_url()
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url


def _port(key: str) -> Mapped:
    return Mapped(lambda: _address().port or config.DEFAULT_PORT, lambda value: config.store(key, int(value)))


_HOST = Mapped(lambda: _address().hostname or "localhost", lambda value: config.store("server.host", str(value)))

#: Covalent's key -> this project's setting.
MAPPED: dict[str, Mapped] = {
    "dispatcher.address": _HOST,
    "dispatcher.port": _port("server.port"),
    "user_interface.address": _HOST,
    "user_interface.port": _port("server.port"),
    "sdk.log_level": _setting("sdk.log_level", "warning"),
    "dask.num_workers": _setting("executors.dask.n_workers"),
    "dask.threads_per_worker": _setting("executors.dask.threads_per_worker"),
    "dask.mem_per_worker": _setting("executors.dask.memory_limit", "auto"),
    "dispatcher.default_executor": _setting("dispatcher.default_executor", ""),
    "sdk.config_file": _fixed(lambda: str(config.config_path()), "COVALENT_CONFIG_DIR"),
    "dispatcher.db_path": _fixed(_database_path, "COVALENT_DATABASE_URL"),
    "dispatcher.cache_dir": _fixed(lambda: str(config.cache_dir()), "COVALENT_CACHE_DIR"),
    "sdk.results_dir": _fixed(lambda: str(config.results_dir()), "COVALENT_DATA_DIR"),
    "dispatcher.results_dir": _fixed(lambda: str(config.results_dir()), "COVALENT_DATA_DIR"),
    "sdk.log_dir": _fixed(lambda: str(config.data_dir()), "COVALENT_DATA_DIR"),
    "dispatcher.log_dir": _fixed(lambda: str(config.data_dir()), "COVALENT_DATA_DIR"),
    "user_interface.log_dir": _fixed(lambda: str(config.data_dir()), "COVALENT_DATA_DIR"),
}

#: Covalent's defaults for keys that mean nothing here but that Covalent code may read.
_COVALENT_DEFAULTS = {
    "sdk.enable_logging": "false",
    "sdk.no_cluster": "false",
    "sdk.task_packing": "true",
    "sdk.exhaustive_postprocess": "false",
}

_MISSING = object()


def _read(key: str) -> Any:
    mapped = MAPPED.get(key)
    if mapped is not None:
        return mapped.read()
    value = config.get(key, _MISSING)
    if value is _MISSING:
        value = _COVALENT_DEFAULTS.get(key, _MISSING)
    if value is _MISSING:
        raise KeyError(key)
    return value


def get_config(entries: str | list[str] | None = None) -> Any:
    """A setting by Covalent's dotted key; a dict of several for a list; every setting for None.

    Raises ``KeyError`` for a key that is neither mapped nor set, as Covalent does.
    """
    if entries is None or entries == []:
        return _everything()
    if isinstance(entries, str):
        return _read(entries)
    if len(entries) == 1:
        return _read(entries[0])
    return {key: _read(key) for key in entries}


def set_config(new_config: str | dict[str, Any], new_value: Any = None) -> None:
    """Set one key (``set_config("sdk.log_level", "debug")``) or several (a dict), saved to ``covalent.conf``."""
    items = {new_config: new_value} if isinstance(new_config, str) else dict(new_config)
    for key, value in items.items():
        mapped = MAPPED.get(key)
        if mapped is None:
            config.store(key, value)
        elif mapped.write is None:
            raise ValueError(f"{key} cannot be set here: {mapped.fixed_by}")
        else:
            mapped.write(value)


def reload_config() -> None:
    """Read ``covalent.conf`` again."""
    config.reload()


def _everything() -> dict[str, Any]:
    """This project's settings with Covalent's sections (sdk, dispatcher, dask, user_interface) merged in."""
    settings = config.load()
    for key in [*MAPPED, *_COVALENT_DEFAULTS]:
        section, _, name = key.partition(".")
        node = settings.setdefault(section, {})
        if isinstance(node, dict) and name not in node:
            node[name] = _read(key)
    return settings
