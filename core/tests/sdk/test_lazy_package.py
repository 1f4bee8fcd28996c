"""``import covalent`` is cheap: the SDK, executors and client load on first use, and every public name works."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_import_covalent_loads_neither_the_sdk_nor_the_client_until_used():
    out = _run(
        "import sys, covalent as ct\n"
        "heavy = ('covalent._sdk', 'covalent.executor', 'covalent.client', 'httpx', 'asyncio', 'pluggy')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "print(ct.electron.__module__, ct.executor.LocalExecutor.__name__, ct.Result.__name__)\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    before, names, after = out.splitlines()
    assert before == "[]"
    assert names == "covalent._sdk.electron LocalExecutor Result"
    assert "covalent._sdk" in after and "covalent.client" in after


def test_every_public_name_resolves_by_attribute_from_import_and_star_import():
    import covalent as ct

    assert set(ct.__all__) <= set(dir(ct))
    for name in ct.__all__:
        assert getattr(ct, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from covalent import *", namespace)
    assert set(ct.__all__) <= set(namespace)
    from covalent import dispatch, electron, lattice

    assert (electron, lattice, dispatch) == (ct.electron, ct.lattice, ct.dispatch)
    assert not hasattr(ct, "no_such_name")
