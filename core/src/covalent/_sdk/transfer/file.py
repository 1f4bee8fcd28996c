"""``File`` and ``Folder``: one end of a transfer, a local path or a URL, as Covalent defines them."""

from __future__ import annotations

import posixpath
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from covalent.runtime.transfer.locations import is_local, scheme_of

__all__ = ["File", "Folder", "register_remote_scheme"]

#: Schemes that are remote without saying so (any other non-local scheme is remote too).
_REMOTE_SCHEMES: set[str] = {"s3", "blob", "gs", "globus", "http", "https", "ftp"}


def register_remote_scheme(scheme: str) -> None:
    """Count ``scheme`` as remote (``register_uploader`` and ``register_downloader`` call it)."""
    _REMOTE_SCHEMES.add(scheme)


def _normalize(path: str) -> str:
    if not path:
        return path
    trailing = path.endswith("/")
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    return normal + "/" if trailing and not normal.endswith("/") else normal


class File:
    """A file at a local path or URL (``s3://``, ``gs://``, ``https://``, ``sftp://``, any fsspec URL).

    ``filepath`` is the path part (no scheme or host); ``uri`` the whole
    URL.  Without a path, a temporary file ``/tmp/<id>`` is meant (created
    empty where the task runs before anything else).  ``is_remote`` forces
    a plain path to count as remote (rsync over SSH); ``is_dir`` marks a
    folder (so does a trailing ``/``); ``include_folder`` copies the folder
    itself rather than only its contents.
    """

    def __init__(
        self,
        filepath: str | None = None,
        is_remote: bool = False,
        is_dir: bool = False,
        include_folder: bool = False,
    ) -> None:
        if filepath is not None and not isinstance(filepath, str):
            raise AttributeError("Only strings are valid filepaths for a covalent File constructor.")
        self.id = str(uuid.uuid4())
        if filepath is None:
            filepath = self.get_temp_filepath()
        self._is_remote = bool(is_remote)
        self._is_dir = bool(is_dir)
        self._include_folder = bool(include_folder)
        self.scheme = File.resolve_scheme(filepath)
        self._given = filepath
        self._path = File.get_path_obj(filepath)
        self.uri = File.get_uri(self.scheme, filepath)

    @property
    def is_temp_file(self) -> bool:
        return self.filepath == self.get_temp_filepath()

    def get_temp_filepath(self) -> str:
        return f"/tmp/{self.id}"

    @property
    def is_remote(self) -> bool:
        return self._is_remote or self.scheme in _REMOTE_SCHEMES or not is_local(self.uri)

    @property
    def is_dir(self) -> bool:
        return self._is_dir or self._path.endswith("/")

    @property
    def filepath(self) -> str:
        path = self._path
        if self.is_dir and not self._include_folder and not path.endswith("/"):
            path += "/"
        if self._include_folder:
            path = path.rstrip("/") or "/"
        return path

    @property
    def url(self) -> str:
        """Where the runtime reads or writes: the URL, or the local path (folders keep their ``/``)."""
        if self.scheme == "file":
            return self.filepath
        base = self.uri.rstrip("/")
        return base + "/" if self.is_dir and not self._include_folder else base

    def touch(self) -> None:
        Path(self.filepath).touch()

    @staticmethod
    def get_path_obj(path: str) -> str:
        if not scheme_of(path):
            return _normalize(path)
        return _normalize(urlsplit(path).path)

    @staticmethod
    def get_uri(scheme: str, path: str) -> str:
        if not scheme_of(path):
            absolute = path if path.startswith("/") else posixpath.join("/", path)
            return f"{scheme}://{_normalize(absolute)}"
        parts = urlsplit(path)
        uri = f"{parts.scheme}://{parts.netloc}{_normalize(parts.path)}"
        return f"{uri}?{parts.query}" if parts.query else uri

    @staticmethod
    def resolve_scheme(path: str) -> str:
        """The scheme of ``path`` (``file`` for a plain path); any scheme is accepted, the worker checks it."""
        return scheme_of(path) or "file"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._given!r})"


class Folder(File):
    """A folder: :class:`File` with ``is_dir`` set."""

    def __init__(
        self,
        filepath: str | None = None,
        is_remote: bool = False,
        is_dir: bool = True,
        include_folder: bool = False,
    ) -> None:
        super().__init__(filepath, is_remote, is_dir, include_folder)
