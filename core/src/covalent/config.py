"""Settings: ``covalent.conf`` (TOML) in the config directory, plus environment.

Locations: ``$COVALENT_CONFIG_DIR`` or ``~/.config/covalent`` for
``covalent.conf``; ``$COVALENT_DATA_DIR`` or ``~/.local/share/covalent`` for
the database, object store, logs and pid file.  ``COVALENT_DATABASE_URL``
selects another database; ``COVALENT_DISPATCHER_ADDR`` points the SDK at a
server (``http://host:port``).
"""

from __future__ import annotations

import copy
import functools
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from covalent.errors import SettingError
from covalent.limits import LIMITS

__all__ = [
    "CLIENT_HEADER",
    "add_executor_defaults",
    "DEFAULTS",
    "cache_dir",
    "config_dir",
    "config_path",
    "data_dir",
    "database_url",
    "dispatcher_address",
    "executor_config",
    "get",
    "load",
    "mask_secrets",
    "mask_url",
    "open_private",
    "private_dir",
    "private_file",
    "reload",
    "results_dir",
    "save",
    "set_value",
    "store",
]

DEFAULT_PORT = 48008

#: The header every covalent client (SDK, CLI, dashboard) sends: API writes
#: without it or a JSON body are refused, so no web page can forge them
#: (see :mod:`covalent.server.guard`).
CLIENT_HEADER = "X-Covalent-Client"

DEFAULTS: dict[str, Any] = {
    "server": {
        "host": "127.0.0.1",
        "port": DEFAULT_PORT,
        "max_request_bytes": LIMITS.max_request_bytes,
        "inline_value_bytes": LIMITS.inline_value_bytes,
        # Seconds a request waits for its change to be committed before answering 503.
        "commit_timeout": 30.0,
        "cors_origins": [],
        # Host names and page origins beyond the server's own that it accepts
        # (a reverse proxy's public name, say); see covalent.server.guard.
        "allowed_hosts": [],
        "allowed_origins": [],
        # Seconds a request's headers may take to arrive, and its body may pause;
        # connections one client address may hold, and all clients together.
        "header_timeout": 10.0,
        "body_timeout": 60.0,
        "max_connections_per_client": 256,
        "max_connections": 4096,
    },
    "dispatcher": {
        # "" means "dask" when bondflow-dask is installed, else "local".
        "default_executor": "",
    },
    "sdk": {
        # Level of the SDK's own log (covalent.log.app_log): debug, info, warning, error.
        "log_level": "warning",
    },
    "executors": {},
}


def config_dir() -> Path:
    env = os.environ.get("COVALENT_CONFIG_DIR")
    return _config_dir(env, os.environ.get("XDG_CONFIG_HOME"), os.environ.get("HOME"))


@functools.lru_cache(maxsize=16)
def _config_dir(env: str | None, xdg_config_home: str | None, home: str | None) -> Path:
    """The folder for these values of what decides it (every request asks: platformdirs took 7 us)."""
    return Path(env) if env else Path(platformdirs.user_config_dir("covalent", appauthor=False))


def data_dir() -> Path:
    env = os.environ.get("COVALENT_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir("covalent", appauthor=False))


def cache_dir() -> Path:
    """Scratch space: ``$COVALENT_CACHE_DIR`` or ``~/.cache/covalent``."""
    env = os.environ.get("COVALENT_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("covalent", appauthor=False))


def results_dir() -> Path:
    """Where ``get_result(..., results_dir=)`` copies default to: ``results/`` in the data directory."""
    return data_dir() / "results"


def config_path() -> Path:
    return config_dir() / "covalent.conf"


# -- what is kept there is the user's alone: folders 0700, files 0600 ---------------
# Workflows' inputs and outputs, the token and the logs must not be readable by
# the machine's other users.


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner may enter (created, or narrowed if it exists)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _narrow(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Narrow an existing file to mode 0600 (nothing happens if it does not exist)."""
    _narrow(path, 0o600)
    return path


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_APPEND) -> int:
    """``os.open`` a file created with mode 0600 (and narrowed to it if it existed)."""
    fd = os.open(path, flags | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except PermissionError:  # not ours (a file handed to us): leave its mode alone
        pass
    return fd


def _narrow(path: Path, mode: int) -> None:
    try:
        if (os.stat(path).st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass
    except PermissionError:  # not ours (e.g. a shared folder given as COVALENT_DATA_DIR)
        pass


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


_parsed: dict[Path, tuple[bytes, dict[str, Any]]] = {}


def _effective() -> dict[str, Any]:
    """Defaults merged with the user's file, parsed again only when its content changes.

    Callers must not change the result (:func:`load` hands out a copy).  Every
    dispatch and request asks for a setting, and parsing the file each time
    was a measurable share of a small dispatch; reading it is cheap, and
    comparing contents (not timestamps, which are coarse) sees every edit.
    """
    path = config_path()
    if not os.path.exists(path):  # the common case, without a failed open's exception (1 us against 5)
        return DEFAULTS
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return DEFAULTS
    cached = _parsed.get(path)
    if cached is not None and cached[0] == raw:
        return cached[1]
    try:
        settings = _merge(copy.deepcopy(DEFAULTS), tomllib.loads(raw.decode()))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingError(f"{path} is not valid TOML: {exc}") from exc
    _parsed[path] = (raw, settings)
    return settings


def reload() -> None:
    """Forget the parsed file: the next read parses it again (edits are seen anyway; this is for certainty)."""
    _parsed.clear()


# -- what may be shown of settings: secrets masked -------------------------------------
#: Names of settings (and executor options) whose values are secrets.
_SECRET_NAME = re.compile(
    r"token|secret|passw|pwd|passphrase|key|credential|authoriz|private|(?:^|[^a-z])auth(?:[^a-z]|$)", re.IGNORECASE
)
#: A password in a URL (``scheme://user:password@host``, the user may be empty).
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):([^@/\s]+)@")
#: A secret as a query parameter or a ``key=value`` word (``?password=``, libpq's ``password=...``).
_PARAM_SECRET = re.compile(
    r"((?:^|[?&;\s])(?:password|passwd|pwd|passphrase|secret|token|api_?key|auth\w*|sslpassword)=)([^&;\s#]+)",
    re.IGNORECASE,
)


def mask_url(text: str) -> str:
    """``text`` with passwords in URLs and secret query parameters or ``key=value`` words replaced by ****."""
    return _PARAM_SECRET.sub(r"\1****", _URL_PASSWORD.sub(r"\1:****@", text))


def mask_secrets(value: Any, key: str = "", _inside_secret: bool = False) -> Any:
    """Settings (or executor options) with anything that looks like a secret replaced by ****.

    A text or number under a secret's name (``token``, ``password``, ``auth``,
    ``passphrase``, ...) is masked, so is everything inside one (``credentials``),
    and passwords in URLs anywhere.
    """
    secret = _inside_secret or bool(key and _SECRET_NAME.search(key))
    if isinstance(value, dict):
        return {k: mask_secrets(v, str(k), secret) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(v, "", secret) for v in value]
    if isinstance(value, str):
        return "****" if secret and value else mask_url(value)
    if secret and isinstance(value, int | float) and not isinstance(value, bool):
        return "****"
    return value


def load() -> dict[str, Any]:
    """The effective settings: defaults, then the user's file (a copy the caller may change)."""
    return copy.deepcopy(_effective())


def save(settings: dict[str, Any]) -> Path:
    path = config_path()
    private_dir(path.parent)
    with os.fdopen(open_private(path, os.O_WRONLY | os.O_TRUNC), "w") as f:
        f.write(tomli_w.dumps(settings))
    return path


#: Defaults of executors written for Covalent (their module's ``_EXECUTOR_PLUGIN_DEFAULTS``), by
#: Covalent's name: what :func:`get` answers for ``executors.<name>.<key>`` when the user's file has
#: no such key, as Covalent's config did once it had written them there.  Kept in memory, not written to
#: the file, and not given to a native executor of the same name (:func:`executor_config` leaves them out).
_PLUGIN_DEFAULTS: dict[str, dict[str, Any]] = {}


def add_executor_defaults(name: str, defaults: dict[str, Any]) -> None:
    """Record a Covalent plugin's defaults (done when its executor class is defined)."""
    _PLUGIN_DEFAULTS[name] = {**copy.deepcopy(defaults), **_PLUGIN_DEFAULTS.get(name, {})}


def get(dotted: str, default: Any = None) -> Any:
    node: Any = _effective()
    if _PLUGIN_DEFAULTS and dotted.startswith("executors."):
        sections = dict(node.get("executors") or {})
        for name, defaults in _PLUGIN_DEFAULTS.items():
            user = sections.get(name)
            sections[name] = {**defaults, **(user if isinstance(user, dict) else {})}
        node = {**node, "executors": sections}
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return copy.deepcopy(node) if isinstance(node, dict | list) else node


def _parse_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def set_value(dotted: str, raw: str) -> Any:
    """Set ``a.b.c`` in the user's file; ``raw`` is parsed as a TOML value if it is one."""
    return store(dotted, _parse_value(raw))


def store(dotted: str, value: Any) -> Any:
    """Set ``a.b.c`` to ``value`` (anything TOML can hold) in the user's file."""
    path = config_path()
    user = tomllib.loads(path.read_text()) if path.exists() else {}
    node = user
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"{dotted}: {part} is not a section")
    node[parts[-1]] = value
    save(user)
    return value


def database_url() -> str:
    env = os.environ.get("COVALENT_DATABASE_URL")
    if env:
        return env
    configured = get("database.url")
    if configured:
        return str(configured)
    return f"sqlite:///{data_dir() / 'covalent.db'}"


def dispatcher_address() -> str:
    env = os.environ.get("COVALENT_DISPATCHER_ADDR")
    if env:
        return env if "://" in env else f"http://{env}"
    server = _effective()["server"]  # read only: no copy (every client call asks)
    host = server.get("host", "127.0.0.1")
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{server.get('port', DEFAULT_PORT)}"


def executor_config(name: str) -> dict[str, Any]:
    """The user's ``[executors.<name>]`` section."""
    return dict(load().get("executors", {}).get(name, {}))
