"""Who may send: loopback needs nothing, any other interface the server's token (fail closed).

The token is ``COVALENT_TOKEN`` when that is set, else the ``token`` file in
the config directory, created at the first start beyond loopback (atomically,
mode 0600).  A token that is empty, blank or shorter than
:data:`MIN_TOKEN_LENGTH` never opens the server: it refuses to start and says
how to fix it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from covalent import config

__all__ = ["MIN_TOKEN_LENGTH", "TokenError", "ensure_token", "is_loopback", "token_path"]

#: The shortest token a server reachable from other machines accepts.
MIN_TOKEN_LENGTH = 32

_MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class TokenError(RuntimeError):
    """The server's token is missing or too weak to listen beyond loopback; the message says what to do."""


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def token_path() -> Path:
    return config.config_dir() / "token"


def ensure_token(host: str = "0.0.0.0") -> str:
    """The token a server bound to ``host`` requires (created on first use); raises :class:`TokenError`."""
    if "COVALENT_TOKEN" in os.environ:
        token = os.environ["COVALENT_TOKEN"].strip()
        _check(token, host, "COVALENT_TOKEN", f"set COVALENT_TOKEN to one (e.g. {_MAKE_ONE}), or unset it")
        return token
    path = token_path()
    if not path.exists():
        _create(path)
    config.private_file(path)
    token = path.read_text(errors="replace").strip()
    _check(
        token,
        host,
        f"the token file {path}",
        f"delete the file (a new token is made at the next start) or write one into it (e.g. {_MAKE_ONE})",
    )
    return token


def _check(token: str, host: str, where: str, fix: str) -> None:
    if len(token) >= MIN_TOKEN_LENGTH:
        return
    what = "is empty" if not token else f"holds a token of only {len(token)} characters"
    raise TokenError(
        f"refusing to listen on {host}: {where} {what}; a server reachable from other machines needs a "
        f"token of at least {MIN_TOKEN_LENGTH} characters: {fix}"
    )


def _create(path: Path) -> None:
    """Write a new token file whole or not at all (a crash never leaves it empty); the first writer wins."""
    config.private_dir(path.parent)
    tmp = path.with_name(f".token-{os.getpid()}-{secrets.token_hex(4)}")
    fd = config.open_private(tmp, os.O_WRONLY | os.O_EXCL)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails if another process made one first: theirs is the token
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
