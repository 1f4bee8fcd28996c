"""A workflow from a folder the workers cannot import still runs (pickled by value)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_lattice_from_an_uninstalled_module_runs_elsewhere(tmp_path):
    project = tmp_path / "userproject"
    (project / "mypkg").mkdir(parents=True)
    (project / "mypkg" / "__init__.py").write_text("")
    (project / "mypkg" / "helpers.py").write_text("def scale(x):\n    return x * 3\n")
    (project / "mypkg" / "flows.py").write_text(
        textwrap.dedent("""
        import covalent as ct
        from mypkg.helpers import scale

        @ct.electron
        def task(x):
            return scale(x) + 1

        @ct.lattice
        def flow(x):
            return task(task(x))
    """)
    )
    out = tmp_path / "manifest"
    build = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(project)!r})
        from mypkg.flows import flow
        flow.build_manifest(2).save({str(out)!r})
    """)
    subprocess.run([sys.executable, "-c", build], check=True, cwd=tmp_path)
    run = textwrap.dedent(f"""
        import sys
        assert not any("userproject" in p for p in sys.path)
        from covalent.graph import Manifest
        from covalent.testing.local_run import run_manifest
        print(run_manifest(Manifest.load({str(out)!r}))["result"])
    """)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "22"
