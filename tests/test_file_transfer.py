"""File transfers (``files=``) through a real server, on local, Dask and a real Slurm job.

Every end is real: the local filesystem, SFTP and rsync to an OpenSSH server
on loopback, S3 on moto's server, HTTP from a server started here.  Files
and folders move both ways; a second task waits (``ct.wait``) for files a
first one fetched, and a sublattice's electron transfers too.  Bad input
(an unknown scheme, a missing file, a wrong key) fails only its own node.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import covalent as ct
from covalent.testing import ServerProcess
from covalent.testing.http_files import HTTPFileServer
from covalent_aws.testing import MotoAWS
from covalent_slurm import SlurmExecutor
from covalent_slurm.testing import local_cluster
from covalent_ssh.testing.sshd import SSHServer, start_sshd

DASK = '[executors.dask]\nn_workers = 1\nthreads_per_worker = 2\nmemory_limit = "1GiB"\ndashboard_address = ":0"\n'
BUCKET = "covalent-transfers"


@pytest.fixture(scope="module")
def slurm() -> Iterator[local_cluster.LocalSlurm]:
    cluster = local_cluster.start()
    yield cluster
    if cluster.started:
        local_cluster.stop(cluster.base_dir)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoAWS]:
    aws = MotoAWS()
    aws.install_credentials()
    aws.start()
    aws.client("s3").create_bucket(Bucket=BUCKET)
    try:
        yield aws
    finally:
        aws.stop()
        aws.restore_environment()


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HTTPFileServer]:
    root = tmp_path_factory.mktemp("http")
    (root / "page.txt").write_text("from http")
    with HTTPFileServer(root) as server:
        yield server


@pytest.fixture(scope="module")
def server(slurm, moto, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {**moto.environment(), "SLURM_CONF": str(slurm.conf)}
    proc = ServerProcess(
        tmp_path_factory.mktemp("server"), default_executor="dask", config=DASK, no_cluster=False, extra_env=env
    )
    with proc:
        yield proc


def _ssh(sshd: SSHServer) -> tuple[str, Any, Any]:
    url = f"sftp://{sshd.username}@127.0.0.1:{sshd.port}"
    sftp = ct.fs_strategies.FSSpec(client_keys=[sshd.key_file], known_hosts=sshd.known_hosts)
    rsync = ct.fs_strategies.Rsync(
        user=sshd.username,
        host="127.0.0.1",
        private_key_path=sshd.key_file,
        port=sshd.port,
        ssh_options=[f"UserKnownHostsFile={sshd.known_hosts}"],
    )
    return url, sftp, rsync


def _executor(where: str, staging: Path) -> Any:
    if where == "slurm":
        return SlurmExecutor(python=sys.executable, workdir=str(staging), poll_interval=0.5, memory="512M")
    return where


def _read_tree(paths: list[str]) -> dict[str, str]:
    found = {}
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in os.walk(path):
                for name in names:
                    full = os.path.join(root, name)
                    found[os.path.relpath(full, path)] = Path(full).read_text()
        else:
            found[os.path.basename(path)] = Path(path).read_text()
    return found


@pytest.mark.parametrize("where", ["local", "dask", "slurm"])
def test_files_and_folders_move_both_ways_through_every_protocol(server, moto, sshd, http, tmp_path, where):
    url, sftp, rsync = _ssh(sshd)
    src, work, remote = tmp_path / "src", tmp_path / "work", tmp_path / "remote"
    (src / "tree" / "sub").mkdir(parents=True)
    (src / "in.txt").write_text("local input")
    (src / "tree" / "top.txt").write_text("top")
    (src / "tree" / "sub" / "deep.txt").write_text("deep")
    remote.mkdir()
    moto.client("s3").put_object(Bucket=BUCKET, Key=f"{where}/in/data.txt", Body=b"from s3")
    executor = _executor(where, tmp_path / "staging")

    fetch_files = [
        ct.fs.FileTransfer(str(src / "in.txt"), str(work / "local.txt")),
        ct.fs.FileTransfer(ct.fs.Folder(f"{url}{src}/tree"), ct.fs.Folder(f"{work}/sftp"), strategy=sftp),
        ct.fs.FileTransfer(f"s3://{BUCKET}/{where}/in/data.txt", str(work / "s3.txt")),
        ct.fs.TransferFromRemote(f"{http.url}/page.txt", str(work / "http.txt")),
        ct.fs.TransferFromRemote(f"{src}/tree/", f"{work}/rsync/", strategy=rsync),
    ]

    @ct.electron(executor=executor, files=fetch_files)
    def fetch(files=[]):  # noqa: B006 - Covalent's form for the injected argument
        return {"pairs": files, "read": _read_tree([to for _, to in files])}

    @ct.electron(executor=executor)
    def read_later():
        return open(work / "http.txt").read()

    out = work / "out"
    put_files = [
        ct.fs.TransferToRemote(f"s3://{BUCKET}/{where}/out/", from_filepath=f"{out}/"),
        ct.fs.TransferToRemote(f"{url}{remote}/sftp_out.txt", from_filepath=str(out / "a.txt"), strategy=sftp),
        ct.fs.TransferToRemote(f"{remote}/rsync_out/", from_filepath=f"{out}/", strategy=rsync),
        ct.fs.TransferToRemote(f"{http.url}/up/{where}.txt", from_filepath=str(out / "a.txt")),
        ct.fs.FileTransfer(str(out / "a.txt"), str(remote / "local_out.txt"), order=ct.fs.Order.AFTER),
    ]

    @ct.electron(executor=executor, files=put_files)
    def produce(files=[]):  # noqa: B006
        (out / "b").mkdir(parents=True, exist_ok=True)
        (out / "a.txt").write_text("result a")
        (out / "b" / "c.txt").write_text("result c")
        return len(files)

    @ct.electron(executor=executor, files=[ct.fs.FileTransfer(f"s3://{BUCKET}/{where}/in/data.txt")])
    def inner_fetch(files=[]):  # noqa: B006
        return open(files[0][1]).read()

    @ct.electron
    @ct.lattice
    def sub():
        return inner_fetch()

    @ct.lattice
    def workflow():
        fetched = fetch()
        later = read_later()
        ct.wait(later, [fetched])
        return {"fetched": fetched, "later": later, "produced": produce(), "sub": sub()}

    result = ct.dispatch_sync(workflow)()
    assert result.status == "COMPLETED", result.error
    value = result.result
    assert value["fetched"]["pairs"] == [(f.from_file.filepath, f.to_file.filepath) for f in fetch_files]
    assert value["fetched"]["read"] == {
        "local.txt": "local input",
        "top.txt": "top",
        "sub/deep.txt": "deep",
        "s3.txt": "from s3",
        "http.txt": "from http",
    }
    assert value["later"] == "from http"
    assert value["produced"] == 5
    assert value["sub"] == "from s3"
    s3 = moto.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{where}/out/")["Contents"]
    assert sorted(o["Key"] for o in listed) == [f"{where}/out/a.txt", f"{where}/out/b/c.txt"]
    assert (remote / "sftp_out.txt").read_text() == "result a"
    assert (remote / "rsync_out" / "b" / "c.txt").read_text() == "result c"
    assert (http.root / "up" / f"{where}.txt").read_text() == "result a"
    assert (remote / "local_out.txt").read_text() == "result a"

    nodes = {n["node_name"]: n for n in result.get_all_node_results()}
    for name, count in (("fetch", 5), ("produce", 5)):
        records = nodes[name]["transfers"]
        assert [r["status"] for r in records] == ["COMPLETED"] * count
        assert all(r["start_time"] <= r["end_time"] and r["attempts"] == 1 for r in records)
    assert [r["order"] for r in nodes["produce"]["transfers"]] == ["after"] * 5
    assert nodes["fetch"]["transfers"][1]["files"] == 2  # the SFTP folder


def test_bad_transfers_fail_their_node_and_lose_nothing_else(server, sshd, tmp_path):
    url, _, _ = _ssh(sshd)
    stranger = tmp_path / "stranger_key"
    os.system(f"ssh-keygen -q -t ed25519 -N '' -f {stranger}")
    wrong_key = ct.fs_strategies.FSSpec(client_keys=[str(stranger)], known_hosts=sshd.known_hosts)
    wrong_rsync = ct.fs_strategies.Rsync(
        user=sshd.username,
        host="127.0.0.1",
        private_key_path=str(stranger),
        port=sshd.port,
        ssh_options=[f"UserKnownHostsFile={sshd.known_hosts}"],
    )
    (tmp_path / "there.txt").write_text("x")

    def task(name: str, transfer: Any) -> Any:
        def body(files=[]):  # noqa: B006
            return name

        body.__name__ = name
        return ct.electron(body, executor="local", files=[transfer])

    unknown = task("unknown", ct.fs.FileTransfer("nope://bucket/key", str(tmp_path / "a")))
    missing = task("missing", ct.fs.FileTransfer(str(tmp_path / "absent.txt"), str(tmp_path / "b")))
    sftp_key = task(
        "sftp_key", ct.fs.FileTransfer(f"{url}{tmp_path}/there.txt", str(tmp_path / "c"), strategy=wrong_key)
    )
    rsync_key = task("rsync_key", ct.fs.TransferFromRemote(str(tmp_path / "there.txt"), strategy=wrong_rsync))

    @ct.electron(executor="local")
    def fine():
        return "kept"

    @ct.lattice
    def workflow():
        return [unknown(), missing(), sftp_key(), rsync_key(), fine()]

    result = ct.dispatch_sync(workflow)()
    assert result.status == "FAILED"
    nodes = {n["node_name"]: n for n in result.get_all_node_results()}
    assert nodes["fine"]["status"] == "COMPLETED" and nodes["fine"]["output"] == "kept"
    expected = {
        "unknown": ("nope://bucket/key", "unknown URL scheme 'nope'"),
        "missing": ("absent.txt", "FileNotFoundError"),
        "sftp_key": (f"{url}{tmp_path}/there.txt", "PermissionError: Permission denied"),
        "rsync_key": ("there.txt", "Permission denied"),
    }
    for name, (where, reason) in expected.items():
        first_line = nodes[name]["error"].splitlines()[0]
        assert first_line.startswith("file transfer failed: "), first_line
        assert where in first_line and reason in first_line, first_line
        assert nodes[name]["transfers"][0]["status"] == "FAILED"
