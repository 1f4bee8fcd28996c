"""Covalent's executor plugins from the package registry, installed with the documented command, on our server.

In a fresh virtual environment made from the built wheels (as a user
installs them): ``covalent plugins install covalent-ssh-plugin==0.24.1``
(the one documented command, docs/covalent-plugins.md), then workflows on
``executor="ssh"`` (one that completes, one whose task raises) against a
server of that environment, the plugin reaching a real OpenSSH server on
loopback; and one lattice that mixes Covalent's SSH executor, ours, Dask and
a real Slurm.

The plugins' own test files are not part of this repository (their sdists on
the registry do not ship them, and we copy no one's code).  To run a plugin's
own functional tests against our server, fetch its repository and name the
folder: ``pytest tests/test_covalent_registry_plugins.py
--covalent-ssh-plugin-checkout DIR`` adds the test that runs
``DIR/tests/functional_tests/basic_workflow_test.py`` unmodified in both
environments (docs/covalent-plugins.md gives the last results).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from wheel_envs import WheelEnv, wheel

from covalent_slurm.testing import local_cluster
from covalent_ssh.testing.sshd import SSHServer, start_sshd

PLUGIN = "covalent-ssh-plugin==0.24.1"
#: Our distributions in the second environment: what the mixed lattice runs on.
OURS = ("bondflow", "bondflow-ssh", "bondflow-dask", "bondflow-slurm")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


def _home(root: Path, sshd: SSHServer) -> Path:
    """A home folder for the server: Covalent's SSH plugin connects to port 22 of a host name, so the
    name ``login-node`` is an alias in ``~/.ssh/config`` (as users write them) for the loopback sshd,
    and its default key ``~/.ssh/id_rsa`` is the sshd's client key."""
    home = root / "home"
    ssh = home / ".ssh"
    ssh.mkdir(parents=True)
    shutil.copy(sshd.key_file, ssh / "id_rsa")
    os.chmod(ssh / "id_rsa", 0o600)
    (ssh / "config").write_text(f"Host login-node\n  HostName 127.0.0.1\n  Port {sshd.port}\n")
    key = Path(sshd.known_hosts).read_text().split(" ", 1)[1]  # what `ssh login-node` would have recorded
    (ssh / "known_hosts").write_text(f"[login-node]:{sshd.port} {key}[127.0.0.1]:{sshd.port} {key}")
    return home


def _env(root: Path, dist: Path, *names: str) -> WheelEnv:
    made = WheelEnv(root, *(str(wheel(dist, name)) for name in names))
    made.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{made.env.get('PATH', '')}"  # uv, to install
    return made


@pytest.fixture(scope="module")
def core_env(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WheelEnv]:
    """Only our core, then Covalent's SSH plugin: executor="ssh" is the plugin's."""
    made = _env(tmp_path_factory.mktemp("core-env"), dist, "bondflow")
    yield made
    made.stop()


@pytest.fixture(scope="module")
def full_env(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WheelEnv]:
    """Our core, SSH, Dask and Slurm executors, then Covalent's SSH plugin: executor="ssh" is ours."""
    made = _env(tmp_path_factory.mktemp("full-env"), dist, *OURS)
    made.run("covalent", "plugins", "install", PLUGIN, timeout=600)
    yield made
    made.stop()


def test_the_documented_command_installs_the_plugin_beside_our_core(core_env: WheelEnv) -> None:
    env = core_env
    out = env.run("covalent", "plugins", "install", PLUGIN, timeout=600).stdout
    assert "their `covalent` requirement: covalent 0.240.0+bondflow" in out
    versions = env.python(
        "import importlib.metadata as m; print(m.version('covalent'), m.version('bondflow'), "
        "m.version('covalent-ssh-plugin'))"
    ).stdout.split()
    assert versions == ["0.240.0+bondflow", "1.0.0.dev0", "0.24.1"]
    # Our covalent package is intact: no co-installed Covalent is reported, the CLI is ours.
    env.python("import warnings; warnings.simplefilter('error'); import covalent, covalent.executor.legacy")
    plugins = {p["name"]: p for p in env.covalent_json("plugins")}
    assert plugins["covalent:ssh"]["loaded"], plugins["covalent:ssh"]["error"]
    assert plugins["covalent:ssh"]["contract"] == "covalent"
    assert plugins["covalent:ssh"]["distribution"] == "covalent-ssh-plugin"
    names = env.python("from covalent.executor.registry import executor_classes as e; print(e()['ssh'].short_name)")
    assert names.stdout.strip() == "covalent:ssh"  # Covalent's plain name reaches the plugin


def _configure(env: WheelEnv, sshd: SSHServer, home: Path, remote: Path) -> None:
    """The plugin's [executors.ssh] section, as its README has users write it, and a local default executor."""
    (env.root / "config").mkdir(exist_ok=True)
    (env.root / "config" / "covalent.conf").write_text(
        f"""[dispatcher]
default_executor = "local"

[executors.ssh]
username = "{sshd.username}"
hostname = "login-node"
ssh_key_file = "{home / ".ssh" / "id_rsa"}"
python_path = "{env.bin / "python"}"
remote_cache = "{remote / "cache"}"
remote_workdir = "{remote / "work"}"
"""
    )


def _serve(env: WheelEnv, sshd: SSHServer, root: Path) -> None:
    """Point the environment's server at the loopback sshd through the plugin's own config section."""
    home = _home(root, sshd)
    env.env["HOME"] = str(home)
    _configure(env, sshd, home, root / "remote")


SSH_WORKFLOWS = """
import json

import covalent as ct


@ct.electron(executor="ssh")
def shout(word, times):
    import os

    return {"text": (word.upper() + " ") * times, "over_ssh": bool(os.environ.get("SSH_CONNECTION"))}


@ct.electron(executor="ssh")
def broken(word):
    raise ValueError("no " + word + " here")


@ct.lattice
def fine(word):
    return shout(word, 2)


@ct.lattice
def failing(word):
    return broken(word)


good = ct.get_result(ct.dispatch(fine)("ok"), wait=True)
bad = ct.get_result(ct.dispatch(failing)("luck"), wait=True)
print("good", json.dumps({"status": str(good.status), "result": good.result}))
print("bad", json.dumps({"status": str(bad.status), "error": bad.error, "node": bad.get_node_result(0)["error"]}))
"""


def _run_script(env: WheelEnv, path: Path, text: str) -> dict[str, dict[str, object]]:
    path.write_text(text)
    env.start()
    try:
        done = env.run("python", str(path), check=False, timeout=600)
    finally:
        log = env.run("covalent", "logs", check=False).stdout
        env.stop()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n--- server log ---\n{log[-5000:]}"
    return {k: json.loads(v) for k, v in (line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)}


@pytest.mark.parametrize("where", ["core_env", "full_env"])
def test_workflows_on_executor_ssh_complete_and_fail_as_they_should(
    where: str, sshd: SSHServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """With only our core, executor="ssh" runs on the plugin (after the install test); beside bondflow-ssh,
    on our SSH executor, which takes the plugin's [executors.ssh] section as it is."""
    env: WheelEnv = request.getfixturevalue(where)
    if where == "core_env":
        assert env.python("import covalent_ssh_plugin", check=False).returncode == 0, "run the install test first"
    _serve(env, sshd, tmp_path)
    out = _run_script(env, tmp_path / "workflows.py", SSH_WORKFLOWS)
    assert out["good"] == {"status": "COMPLETED", "result": {"text": "OK OK ", "over_ssh": True}}
    assert out["bad"]["status"] == "FAILED"
    assert "ValueError: no luck here" in str(out["bad"]["node"])


def test_the_plugins_own_functional_tests_pass_against_our_server(
    ssh_plugin_checkout: Path, sshd: SSHServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """covalent-ssh-plugin's tests/functional_tests/basic_workflow_test.py from a fetched checkout, unmodified,
    in both environments (only when --covalent-ssh-plugin-checkout names one; see the module's docstring)."""
    suite = ssh_plugin_checkout / "tests" / "functional_tests" / "basic_workflow_test.py"
    assert suite.is_file(), f"{suite} is missing: name a checkout of AgnostiqHQ/covalent-ssh-plugin"
    for where in ("core_env", "full_env"):
        env: WheelEnv = request.getfixturevalue(where)
        if where == "core_env" and env.python("import covalent_ssh_plugin", check=False).returncode:
            env.run("covalent", "plugins", "install", PLUGIN, timeout=600)
        _serve(env, sshd, tmp_path / where)
        env.install("pytest>=8")
        copy = tmp_path / where / "suite"
        shutil.copytree(ssh_plugin_checkout / "tests", copy / "tests")
        env.start()
        try:
            done = env.run(
                "python", "-m", "pytest", "-p", "no:cacheprovider", "-m", "functional_tests", "-v",
                str(copy / "tests" / "functional_tests" / suite.name), check=False, timeout=600,
            )  # fmt: skip
        finally:
            log = env.run("covalent", "logs", check=False).stdout
            env.stop()
        report = done.stdout + done.stderr
        assert done.returncode == 0 and "2 passed" in report, f"{where}: {report}\n--- server log ---\n{log[-5000:]}"


def test_a_lattice_mixes_covalents_ssh_executor_ours_dask_and_slurm(
    full_env: WheelEnv, sshd: SSHServer, tmp_path: Path, slurm: local_cluster.LocalSlurm
) -> None:
    env = full_env
    home = _home(tmp_path, sshd)
    remote = tmp_path / "remote"
    env.env["HOME"] = str(home)
    env.env["SLURM_CONF"] = str(slurm.conf)
    _configure(env, sshd, home, remote)
    script = tmp_path / "mixed.py"
    script.write_text(MIXED)
    env.start(cluster=True)
    try:
        done = env.run(
            "python", str(script), str(env.bin / "python"), str(sshd.port), sshd.username, sshd.key_file,
            sshd.known_hosts, str(remote), str(tmp_path / "slurm"), check=False, timeout=600,
        )  # fmt: skip
    finally:
        log = env.run("covalent", "logs", check=False).stdout
        env.stop()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n--- server log ---\n{log[-5000:]}"
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["status"] == "COMPLETED", done.stdout
    covalents, ours, dask, batch = json.loads(lines["result"])
    assert covalents["value"] == 10 and covalents["ssh"] and covalents["cwd"].startswith(str(remote / "legacy"))
    assert ours["value"] == 20 and ours["ssh"] and ours["cwd"].startswith(str(remote / "native"))
    assert dask["value"] == 30 and dask["dask_worker"]
    assert batch["value"] == 40 and batch["slurm_job"]


MIXED = """
import json
import sys

import covalent as ct
from covalent_slurm import SlurmExecutor
from covalent_ssh import SSHExecutor
from covalent_ssh_plugin import SSHExecutor as CovalentSSHExecutor

python, port, user, key, known_hosts, remote, staging = sys.argv[1:8]

covalents = CovalentSSHExecutor(username=user, hostname="login-node", python_path=python, poll_freq=1,
                                remote_cache=remote + "/legacy-cache", remote_workdir=remote + "/legacy")
ours = SSHExecutor(hostname="127.0.0.1", port=int(port), username=user, ssh_key_file=key, known_hosts=known_hosts,
                   python_path=python, remote_cache=remote + "/native-cache", remote_workdir=remote + "/native",
                   poll_freq=0.2)
slurm = SlurmExecutor(python=python, workdir=staging, poll_interval=0.5, memory="512M")


def where(x):
    import os

    try:
        from distributed import get_worker

        worker = get_worker().address
    except Exception:
        worker = None
    return {
        "value": x * 10,
        "ssh": bool(os.environ.get("SSH_CONNECTION")),
        "cwd": os.getcwd(),
        "dask_worker": worker,
        "slurm_job": os.environ.get("SLURM_JOB_ID"),
    }


on_covalents_ssh = ct.electron(where, executor=covalents)
on_our_ssh = ct.electron(where, executor=ours)
on_dask = ct.electron(where, executor="dask")
on_slurm = ct.electron(where, executor=slurm)


@ct.lattice
def mixed():
    return [on_covalents_ssh(1), on_our_ssh(2), on_dask(3), on_slurm(4)]


result = ct.dispatch_sync(mixed)()
print("status", result.status)
print("error", (result.error or "none").replace(chr(10), " | "))
print("result", json.dumps(result.result))
"""


@pytest.fixture(scope="module")
def slurm_env(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WheelEnv]:
    """Only our core, then Covalent's Slurm plugin (its executor="slurm")."""
    made = _env(tmp_path_factory.mktemp("slurm-env"), dist, "bondflow")
    made.run("covalent", "plugins", "install", "covalent-slurm-plugin==0.18.0", timeout=600)
    yield made
    made.stop()


def test_covalents_slurm_plugin_runs_a_task_on_real_slurm_over_ssh(
    slurm_env: WheelEnv, tmp_path: Path, slurm: local_cluster.LocalSlurm
) -> None:
    """covalent-slurm-plugin 0.18.0 (sbatch over SSH to a login node, srun, its own job script and result files).

    Its repository has no functional_tests; its tests/docker_tests/basic_test.py is a lattice
    for a Docker container (user slurmuser on port 22, a conda environment).  The same lattice runs here
    with the executor pointed at the loopback sshd, whose sessions know the test cluster (SetEnv
    SLURM_CONF).  Its job script always runs `conda activate`, and conda cannot be installed here: the
    bashrc it sources defines a stand-in `conda` whose `activate` activates this virtualenv.
    """
    env = slurm_env
    sshd = start_sshd(tmp_path / "sshd", extra_config=f"SetEnv SLURM_CONF={slurm.conf}\n")
    try:
        home = _home(tmp_path, sshd)
        bashrc = tmp_path / "bashrc"
        bashrc.write_text(f'conda() {{ if [ "$1" = activate ]; then . {env.venv}/bin/activate; fi; }}\n')
        env.env["HOME"] = str(home)
        (env.root / "config").mkdir(exist_ok=True)
        (env.root / "config" / "covalent.conf").write_text('[dispatcher]\ndefault_executor = "local"\n')
        script = tmp_path / "slurm_lattice.py"
        script.write_text(
            SLURM.format(user=sshd.username, key=home / ".ssh" / "id_rsa", bashrc=bashrc, work=tmp_path / "remote")
        )
        env.start()
        try:
            done = env.run("python", str(script), check=False, timeout=600)
        finally:
            log = env.run("covalent", "logs", check=False).stdout
            env.stop()
    finally:
        sshd.stop()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n--- server log ---\n{log[-5000:]}"
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["status"] == "COMPLETED", done.stdout
    assert lines["result"] == "42"
    assert "Hello World!" in lines["stdout"]
    assert lines["slurm_job"] != "None"


SLURM = """
import covalent as ct
from covalent_slurm_plugin import SlurmExecutor

slurm_executor = SlurmExecutor(
    username="{user}",
    address="login-node",
    ssh_key_file="{key}",
    conda_env="covalent",
    bashrc_path="{bashrc}",
    remote_workdir="{work}",
    options={{"mem": "512M"}},
)


@ct.lattice
@ct.electron(executor=slurm_executor)
def task():
    import os

    print("Hello World!")
    print("job", os.environ.get("SLURM_JOB_ID"))
    return 42


did = ct.dispatch(task)()
res = ct.get_result(did, wait=True)
node = res.get_node_result(0)
print("status", res.status)
print("result", res.result)
print("stdout", node["stdout"].replace(chr(10), " "))
print("slurm_job", node["stdout"].split("job ", 1)[-1].split()[0] if "job " in node["stdout"] else None)
"""


HPC = """
import covalent as ct
from covalent_hpc_plugin import HPCExecutor

executor = HPCExecutor(
    username="{user}",
    address="login-node",
    ssh_key_file="{key}",
    instance="slurm",
    remote_python_exe="{python}",
    remote_workdir="{work}",
    environment={{"SLURM_CONF": "{conf}"}},
)


@ct.lattice
@ct.electron(executor=executor)
def task():
    print("Hello from PSI/J")
    return 42


res = ct.get_result(ct.dispatch(task)(), wait=True)
print("status", res.status)
print("result", res.result)
print("stdout", res.get_node_result(0)["stdout"].replace(chr(10), " "))
"""


def test_covalents_hpc_plugin_runs_a_task_on_real_slurm_through_psij(
    dist: Path, tmp_path: Path, slurm: local_cluster.LocalSlurm
) -> None:
    """covalent-hpc-plugin 0.0.8 (PSI/J on the login node, over SSH): installed with the same command, it
    runs a task on the real Slurm (it polls every 30 s at least)."""
    (tmp_path / "env").mkdir()
    env = _env(tmp_path / "env", dist, "bondflow")
    env.run("covalent", "plugins", "install", "covalent-hpc-plugin==0.0.8", timeout=600)
    sshd = start_sshd(tmp_path / "sshd", extra_config=f"SetEnv SLURM_CONF={slurm.conf}\n")
    try:
        home = _home(tmp_path, sshd)
        env.env["HOME"] = str(home)
        (env.root / "config").mkdir(exist_ok=True)
        (env.root / "config" / "covalent.conf").write_text('[dispatcher]\ndefault_executor = "local"\n')
        script = tmp_path / "hpc_lattice.py"
        key, work = home / ".ssh" / "id_rsa", tmp_path / "remote"
        python = env.bin / "python"
        script.write_text(HPC.format(user=sshd.username, key=key, python=python, work=work, conf=slurm.conf))
        env.start()
        try:
            done = env.run("python", str(script), check=False, timeout=600)
        finally:
            log = env.run("covalent", "logs", check=False).stdout
            env.stop()
    finally:
        sshd.stop()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n--- server log ---\n{log[-5000:]}"
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["status"] == "COMPLETED", done.stdout
    assert lines["result"] == "42"
    assert "Hello from PSI/J" in lines["stdout"]
