"""URLs and local paths: which is which, and how to show one without its credentials."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["is_local", "local_path", "redact", "scheme_of"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_LOCAL = ("", "file", "local")


def scheme_of(url: str) -> str:
    """The URL's scheme, lower case (``""`` for a plain path)."""
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


def is_local(url: str) -> bool:
    return scheme_of(url) in _LOCAL


def local_path(url: str) -> str:
    """The filesystem path of a local URL (``file:///a/b`` or ``/a/b``)."""
    scheme = scheme_of(url)
    if scheme not in _LOCAL:
        raise ValueError(f"{redact(url)} is not a local path")
    if not scheme:
        return url
    rest = url[len(scheme) + 3 :]
    if rest.startswith("localhost/"):
        rest = rest[len("localhost") :]
    return rest if rest.startswith("/") else "/" + rest


def redact(url: str) -> str:
    """``url`` as it may be stored and shown: no password, no query-string values."""
    if not scheme_of(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0]
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = parts.query
    if query:
        # Presigned URLs and SAS tokens carry their secret in the query string.
        query = urlencode([(k, "***") for k, _ in parse_qsl(query, keep_blank_values=True)], safe="*")
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, ""))
