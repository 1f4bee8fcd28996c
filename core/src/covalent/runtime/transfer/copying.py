"""Copying a file or a folder between any two fsspec filesystems (local paths included)."""

from __future__ import annotations

import os
import posixpath
import shutil
from dataclasses import dataclass
from typing import Any

from covalent.runtime.transfer.filesystems import open_location
from covalent.runtime.transfer.locations import is_local, redact
from covalent.runtime.transfer.spec import TransferSpec

__all__ = ["Moved", "copy"]

_CHUNK = 4 << 20


@dataclass
class Moved:
    files: int = 0
    bytes: int = 0


def _is_local_fs(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def _side_options(spec: TransferSpec, side: str, url: str, private: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Protocol and options of one side: the strategy's apply to the remote side (both, if both are)."""
    if is_local(url) or (spec.remote_side and spec.remote_side != side):
        return "", {}
    return spec.protocol, {**spec.options, **private}


def copy(spec: TransferSpec, private: dict[str, Any] | None = None) -> Moved:
    """Copy ``spec.source`` to ``spec.destination``; raises what the filesystems raise."""
    private = private or {}
    src_protocol, src_options = _side_options(spec, "source", spec.source, private)
    dst_protocol, dst_options = _side_options(spec, "destination", spec.destination, private)
    src_fs, src = open_location(spec.source, src_protocol, src_options)
    dst_fs, dst = open_location(spec.destination, dst_protocol, dst_options)
    folder = spec.is_dir or (_is_local_fs(src_fs) and os.path.isdir(src))
    if folder:
        return _copy_folder(spec, src_fs, src, dst_fs, dst)
    if dst.endswith("/") or (_is_local_fs(dst_fs) and os.path.isdir(dst)):
        dst = posixpath.join(dst, posixpath.basename(src.rstrip("/")))
    return _copy_files(src_fs, [src], dst_fs, [dst])


def _copy_folder(spec: TransferSpec, src_fs: Any, src: str, dst_fs: Any, dst: str) -> Moved:
    root = src.rstrip("/")
    found = src_fs.find(root)
    if not found and not src_fs.isdir(root):
        raise FileNotFoundError(f"folder {redact(spec.source)} does not exist")
    target = dst.rstrip("/")
    if spec.include_folder:
        target = posixpath.join(target, posixpath.basename(root))
    sources, targets = [], []
    for path in found:
        relative = path[len(root) :].lstrip("/") if path.startswith(root) else posixpath.basename(path)
        sources.append(path)
        targets.append(posixpath.join(target, relative))
    if not sources and _is_local_fs(dst_fs):
        os.makedirs(target, exist_ok=True)
    return _copy_files(src_fs, sources, dst_fs, targets)


def _copy_files(src_fs: Any, sources: list[str], dst_fs: Any, targets: list[str]) -> Moved:
    if not sources:
        return Moved()
    if _is_local_fs(dst_fs):
        for target in {os.path.dirname(t) for t in targets}:
            if target:
                os.makedirs(target, exist_ok=True)
        if _is_local_fs(src_fs):
            for source, target in zip(sources, targets, strict=True):
                shutil.copyfile(source, target)
        else:
            src_fs.get(sources, targets)
        return Moved(len(targets), sum(os.path.getsize(t) for t in targets))
    if _is_local_fs(src_fs):
        for source in sources:
            if not os.path.isfile(source):
                raise FileNotFoundError(f"{source} does not exist")
        for parent in {posixpath.dirname(t) for t in targets}:
            _makedirs(dst_fs, parent)
        if _protocol(dst_fs) in ("http", "https"):
            for source, target in zip(sources, targets, strict=True):
                _http_put(source, target)
        else:
            dst_fs.put(sources, targets)
        return Moved(len(sources), sum(os.path.getsize(s) for s in sources))
    return _stream(src_fs, sources, dst_fs, targets)


def _http_put(source: str, url: str) -> None:
    """Upload to a URL with PUT and a Content-Length (presigned URLs refuse chunked bodies)."""
    import httpx

    with open(source, "rb") as body:
        response = httpx.put(url, content=body, timeout=httpx.Timeout(60.0, connect=10.0))
    response.raise_for_status()


def _protocol(fs: Any) -> str:
    return str(fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0])


def _makedirs(fs: Any, path: str) -> None:
    """Parent folders where the filesystem has them (object stores have none to make)."""
    if not path or path == "/":
        return
    protocol = _protocol(fs)
    if protocol in ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "http", "https", "memory"):
        return
    fs.makedirs(path, exist_ok=True)


def _stream(src_fs: Any, sources: list[str], dst_fs: Any, targets: list[str]) -> Moved:
    """Remote to remote: through this worker, a chunk at a time."""
    moved = Moved()
    for parent in {posixpath.dirname(t) for t in targets}:
        _makedirs(dst_fs, parent)
    for source, target in zip(sources, targets, strict=True):
        with src_fs.open(source, "rb") as reader, dst_fs.open(target, "wb") as writer:
            while chunk := reader.read(_CHUNK):
                writer.write(chunk)
                moved.bytes += len(chunk)
        moved.files += 1
    return moved
