"""A package's lazily imported names: imported on first use, listed, and a wrong name is an AttributeError."""

from __future__ import annotations

import subprocess
import sys

import pytest

from covalent.lazy import lazy_names


def test_a_name_is_imported_from_its_module_on_first_use():
    getattr_, dir_ = lazy_names("pkg", {"OrderedDict": "collections", "dumps": "json"})
    import collections
    import json

    assert getattr_("OrderedDict") is collections.OrderedDict
    assert getattr_("dumps") is json.dumps
    assert dir_() == ["OrderedDict", "dumps"]
    with pytest.raises(AttributeError, match="module 'pkg' has no attribute 'nope'"):
        getattr_("nope")


def test_importing_a_plugin_package_imports_none_of_its_executor_modules():
    code = (
        "import sys, covalent_dask, covalent_slurm, covalent_aws; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('distributed', 'boto3', 'asyncssh') "
        "or m in ('covalent_dask.executor', 'covalent_slurm.executor', 'covalent_aws.batch')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    import covalent_slurm

    assert covalent_slurm.SlurmExecutor.__module__ == "covalent_slurm.executor"
    assert "SlurmPoolExecutor" in dir(covalent_slurm)
