"""Covalent's ``covalent._file_transfer.enums``: ``Order`` (from the SDK) and Covalent's scheme names."""

from __future__ import annotations

import enum

from covalent._sdk.transfer import Order

__all__ = ["FileSchemes", "FileTransferStrategyTypes", "FtCallDepReturnValue", "Order", "SchemeToStrategyMap"]


class FileSchemes(enum.StrEnum):
    File = "file"
    S3 = "s3"
    Blob = "blob"
    GCloud = "gs"
    Globus = "globus"
    HTTP = "http"
    HTTPS = "https"
    FTP = "ftp"


class FileTransferStrategyTypes(enum.StrEnum):
    Shutil = "Shutil"
    Rsync = "rsync"
    HTTP = "http"
    S3 = "s3"
    GCloud = "gs"
    FTP = "ftp"
    GLOBUS = "globus"


SchemeToStrategyMap = {
    "file": FileTransferStrategyTypes.Shutil,
    "http": FileTransferStrategyTypes.HTTP,
    "https": FileTransferStrategyTypes.HTTP,
    "s3": FileTransferStrategyTypes.S3,
    "gs": FileTransferStrategyTypes.GCloud,
    "ftp": FileTransferStrategyTypes.FTP,
    "globus": FileTransferStrategyTypes.GLOBUS,
}


class FtCallDepReturnValue(enum.StrEnum):
    TO = "to"
    FROM = "from"
    FROM_TO = "from_to"
