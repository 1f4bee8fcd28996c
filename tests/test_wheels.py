"""The built sdists and wheels: complete, accepted by twine, and working when installed as a user would.

Each environment holds only wheels built from this checkout (and their
dependencies from the registry), never the workspace, and runs a lattice
through a server started with its own ``covalent start``.
"""

from __future__ import annotations

import configparser
import email
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from wheel_envs import LATTICE, ROOT, WheelEnv, file_name, wheel

PACKAGES = [
    ROOT / "core",
    ROOT / "ui",
    *sorted((ROOT / "plugins").glob("covalent-*")),
    *sorted((ROOT / "examples").glob("covalent-*")),
]
DASK = '[executors.dask]\nn_workers = 1\nthreads_per_worker = 1\ndashboard_address = ":0"\n'


BELL = """
import covalent as ct


@ct.electron(executor=ct.executor.QiskitExecutor(backend="aer", shots=2000, seed=7))
def bell():
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    return circuit


@ct.electron
def outcomes(sampled):
    return sorted(key for key, share in sampled["probabilities"].items() if share > 0)


@ct.lattice
def flow():
    return outcomes(bell())


result = ct.dispatch_sync(flow)()
print(result.status, result.result)
"""


def _project(path: Path) -> dict:
    return tomllib.loads((path / "pyproject.toml").read_text())["project"]


def _tracked(package_dir: Path) -> list[str]:
    """The files of a package's import package(s) under src/, relative to src/, as git knows them."""
    out = subprocess.run(["git", "ls-files", "src"], cwd=package_dir, capture_output=True, text=True, check=True)
    return [line.removeprefix("src/") for line in out.stdout.split()]


def test_every_package_builds_an_sdist_and_a_wheel_that_twine_accepts(dist):
    names = {_project(p)["name"] for p in PACKAGES}
    version = {_project(p)["name"]: _project(p)["version"] for p in PACKAGES}
    assert {f.name for f in dist.glob("*.whl")} == {f"{file_name(n)}-{version[n]}-py3-none-any.whl" for n in names}
    assert {f.name for f in dist.glob("*.tar.gz")} == {f"{file_name(n)}-{version[n]}.tar.gz" for n in names}
    twine = Path(sys.executable).with_name("twine")
    files = sorted([*dist.glob("*.whl"), *dist.glob("*.tar.gz")])
    checked = subprocess.run([twine, "check", "--strict", *files], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2 * len(names)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_each_wheel_holds_every_file_of_its_package_its_entry_points_and_requirements(dist, package):
    project = _project(package)
    with zipfile.ZipFile(wheel(dist, project["name"])) as archive:
        names = set(archive.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(f"{info}/METADATA"))
        entry_points = configparser.ConfigParser(delimiters=("=",))
        entry_points.read_string(archive.read(f"{info}/entry_points.txt").decode())
    files = _tracked(package)
    assert files and set(files) <= names, sorted(set(files) - names)  # templates, static files, migrations
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "src/"))]
    wanted = {group: dict(points) for group, points in project.get("entry-points", {}).items()}
    if "scripts" in project:
        wanted["console_scripts"] = project["scripts"]
    assert {group: dict(entry_points[group]) for group in entry_points.sections()} == wanted
    assert metadata["Name"] == project["name"]
    requires = metadata.get_all("Requires-Dist") or []
    assert not [r for r in requires if re.match(r"covalent\b(?!-)", r)]  # never Agnostiq's 0.x
    if project["name"] == "bondflow-ui":  # the JavaScript bundle is built, not tracked (ui/frontend/bundle.py)
        pages = ("base", "dispatch", "list", "logs", "timeline")
        assert {f"covalent_ui/static/dist/{page}.js" for page in pages} <= names
    if project["name"] != "bondflow":
        assert "bondflow>=1.0.0.dev0" in requires
    else:
        extras = set(metadata.get_all("Provides-Extra") or [])
        assert {"dask", "slurm", "aws", "qiskit", "pennylane", "ui", "postgres"} <= extras
        assert any("migrations/versions/" in n for n in files) and "covalent/server/migrations/script.py.mako" in files


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_each_sdist_holds_its_pyproject_readme_and_sources(dist, package):
    project = _project(package)
    (sdist,) = dist.glob(f"{file_name(project['name'])}-*.tar.gz")
    with tarfile.open(sdist) as archive:
        top = f"{file_name(project['name'])}-{project['version']}"
        names = {n.removeprefix(f"{top}/") for n in archive.getnames()}
    assert {"pyproject.toml", "README.md", "PKG-INFO"} <= names
    assert {f"src/{f}" for f in _tracked(package)} <= names
    if project["name"] == "bondflow-ui":  # the bundle and what it is built from, never node_modules
        assert {"frontend/package-lock.json", "frontend/bundle.py", "src/covalent_ui/static/dist/INPUTS"} <= names
        assert not [n for n in names if "node_modules" in n]


def _served(env: WheelEnv, *, cluster: bool = False, config: str = "") -> Iterator[WheelEnv]:
    (env.root / "config").mkdir(exist_ok=True)
    (env.root / "config" / "covalent.conf").write_text(config)
    env.start(cluster=cluster)
    try:
        yield env
    finally:
        env.stop()


@pytest.fixture(scope="module")
def core_only(dist, tmp_path_factory):
    env = WheelEnv(tmp_path_factory.mktemp("core-only"), str(wheel(dist, "bondflow")))
    (env.root / "lattice.py").write_text(LATTICE)
    yield from _served(env)


@pytest.fixture(scope="module")
def with_dask_and_ui(dist, tmp_path_factory):
    """``bondflow[dask,ui]``: the extras pull the plugin wheels given beside it."""
    core = wheel(dist, "bondflow").resolve().as_uri()
    env = WheelEnv(
        tmp_path_factory.mktemp("dask-ui"),
        f"bondflow[dask,ui] @ {core}",
        str(wheel(dist, "bondflow-dask")),
        str(wheel(dist, "bondflow-ui")),
    )
    (env.root / "lattice.py").write_text(LATTICE)
    yield from _served(env, cluster=True, config=DASK)


@pytest.fixture(scope="module")
def with_qiskit(dist, tmp_path_factory):
    env = WheelEnv(tmp_path_factory.mktemp("qiskit"), str(wheel(dist, "bondflow")), str(wheel(dist, "bondflow-qiskit")))
    (env.root / "bell.py").write_text(BELL)
    yield from _served(env)


def _plugins(env: WheelEnv) -> dict[str, tuple[str, list[str]]]:
    return {p["name"]: (p["distribution"], p["executors"]) for p in env.covalent_json("plugins") if p["loaded"]}


def test_core_alone_runs_a_lattice_on_the_local_executor(core_only):
    assert core_only.python("import covalent; print(covalent.__file__)").stdout.startswith(str(core_only.venv))
    assert _plugins(core_only) == {"local": ("bondflow", ["local"])}
    status = core_only.covalent_json("status")
    assert status["default_executor"] == "local" and status["executor_distributions"] == {"local": "bondflow"}
    assert core_only.run("python", "lattice.py").stdout.split("\n")[0] == "COMPLETED 30"
    assert "local (bondflow)" in core_only.run("covalent", "status").stdout


@pytest.mark.parametrize(("executor", "extra"), [("dask", "dask"), ("awslambda", "aws")])
def test_core_alone_names_our_distribution_for_a_missing_executor(core_only, executor, extra):
    failed = core_only.run("python", "lattice.py", executor, check=False)
    assert failed.returncode != 0
    # The task fails when it would run (Covalent's way), its error naming the distribution to install.
    assert f"executor '{executor}' is not installed" in failed.stderr
    assert f'pip install "bondflow[{extra}]" (distribution bondflow-{extra})' in failed.stderr


def test_core_with_dask_and_dashboard_from_the_extras(with_dask_and_ui):
    env = with_dask_and_ui
    assert _plugins(env) == {
        "local": ("bondflow", ["local"]),
        "dask": ("bondflow-dask", ["dask"]),
        "ui": ("bondflow-ui", []),
    }
    assert env.covalent_json("status")["default_executor"] == "dask"
    assert env.run("python", "lattice.py").stdout.split("\n")[0] == "COMPLETED 30"
    assert env.run("python", "lattice.py", "dask").stdout.split("\n")[0] == "COMPLETED 30"
    address = env.env["COVALENT_DISPATCHER_ADDR"]
    page = httpx.get(f"{address}/", timeout=30)
    assert page.status_code == 200 and "/static/style.css" in page.text  # the templates are in the wheel
    style = httpx.get(f"{address}/static/style.css", timeout=30)
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    listed = env.run("covalent", "plugins").stdout
    assert "bondflow-dask" in listed and "bondflow-ui" in listed


def test_core_with_qiskit_samples_a_circuit(with_qiskit):
    assert _plugins(with_qiskit) == {"local": ("bondflow", ["local"]), "qiskit": ("bondflow-qiskit", ["qiskit"])}
    assert with_qiskit.run("python", "bell.py").stdout.split("\n")[0] == "COMPLETED ['00', '11']"
