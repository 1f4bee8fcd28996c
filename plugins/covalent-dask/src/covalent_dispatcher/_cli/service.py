"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent_dask.admin import cluster_address as _get_cluster_address
from covalent_dask.admin import cluster_info as _get_cluster_info
from covalent_dask.admin import cluster_logs as _get_cluster_logs
from covalent_dask.admin import cluster_restart as _cluster_restart
from covalent_dask.admin import cluster_scale as _cluster_scale
from covalent_dask.admin import cluster_size as _get_cluster_size
from covalent_dask.admin import cluster_status as _get_cluster_status
from covalent_dask.cli import cluster

__all__ = [
    "_cluster_restart",
    "_cluster_scale",
    "_get_cluster_address",
    "_get_cluster_info",
    "_get_cluster_logs",
    "_get_cluster_size",
    "_get_cluster_status",
    "cluster",
]
