"""A real single-node Slurm cluster on this machine, for tests and demos.

Starts ``munged`` (as user ``munge``), ``slurmctld`` and ``slurmd -N
localhost`` from Debian's ``slurm-wlm`` and ``munge`` packages, without
systemd.  Configuration, state, spool, pid and log files live in one folder
(``$COVALENT_SLURM_TEST_DIR`` or ``/tmp/covalent-slurm-cluster``); the
client commands find the configuration through ``SLURM_CONF``.

From the command line::

    python -m covalent_slurm.testing.local_cluster start   # prints export SLURM_CONF=...
    python -m covalent_slurm.testing.local_cluster status
    python -m covalent_slurm.testing.local_cluster stop

:func:`start` is idempotent: when the cluster already runs it only reports it.
Root (or the ``munge`` and ``slurm`` daemons already running) is needed.
"""

from __future__ import annotations

import argparse
import getpass
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from covalent.logtail import tail_text

__all__ = ["LocalSlurm", "default_dir", "start", "status", "stop"]

MUNGE_DIR = Path("/run/munge")
MUNGE_KEY = Path("/etc/munge/munge.key")
NODE = "localhost"
PARTITION = "debug"


def default_dir() -> Path:
    """Where the cluster's files live."""
    return Path(os.environ.get("COVALENT_SLURM_TEST_DIR", "/tmp/covalent-slurm-cluster"))


@dataclass
class LocalSlurm:
    """A running local cluster: where its configuration is and who started it."""

    base_dir: Path
    started: bool  # True if this call started slurmctld/slurmd (so it should stop them)
    partition: str = PARTITION

    @property
    def conf(self) -> Path:
        return self.base_dir / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        """Environment variables Slurm's client commands need."""
        return {"SLURM_CONF": str(self.conf)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _munge_works() -> bool:
    if not shutil.which("munge") or not shutil.which("unmunge"):
        return False
    try:
        token = subprocess.run(["munge", "-n"], capture_output=True, timeout=10, check=True).stdout
        subprocess.run(["unmunge"], input=token, capture_output=True, timeout=10, check=True)
    except (subprocess.SubprocessError, OSError):
        return False
    return True


def _start_munge() -> bool:
    """Make sure munged runs; True if this call started it."""
    if _munge_works():
        return False
    if os.geteuid() != 0:
        raise RuntimeError("munged is not running and starting it needs root")
    munge = pwd.getpwnam("munge")
    MUNGE_DIR.mkdir(parents=True, exist_ok=True)
    os.chown(MUNGE_DIR, munge.pw_uid, munge.pw_gid)
    os.chmod(MUNGE_DIR, 0o755)
    if not MUNGE_KEY.exists():
        MUNGE_KEY.parent.mkdir(parents=True, exist_ok=True)
        MUNGE_KEY.write_bytes(os.urandom(128))
        os.chown(MUNGE_KEY, munge.pw_uid, munge.pw_gid)
        os.chmod(MUNGE_KEY, 0o400)
    for folder in (Path("/var/log/munge"), Path("/var/lib/munge")):
        folder.mkdir(parents=True, exist_ok=True)
        os.chown(folder, munge.pw_uid, munge.pw_gid)
    subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], check=True, timeout=30)
    _wait(_munge_works, 20, "munged did not start")
    return True


def _wait(check, timeout: float, message: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(message)
        time.sleep(0.2)


def _hardware() -> tuple[int, int]:
    """CPUs and RealMemory (MB) as ``slurmd -C`` reports them."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    cpus = int(re.search(r"CPUs=(\d+)", out).group(1))  # type: ignore[union-attr]
    memory = int(re.search(r"RealMemory=(\d+)", out).group(1))  # type: ignore[union-attr]
    return cpus, memory


def _write_conf(base: Path) -> Path:
    cpus, memory = _hardware()
    memory = max(256, min(memory - 512, 8192))  # leave room for the rest of the machine
    user = getpass.getuser()
    for sub in ("state", "spool", "log"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    conf = base / "slurm.conf"
    conf.write_text(
        f"""# Single-node test cluster written by covalent_slurm.testing.local_cluster
ClusterName=covalent-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser={user}
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/slurmctld.pid
SlurmdPidFile={base}/slurmd.pid
SlurmctldLogFile={base}/log/slurmctld.log
SlurmdLogFile={base}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=30
KillWait=2
OverTimeLimit=0
InactiveLimit=0
MessageTimeout=20
SlurmdTimeout=300
NodeName={NODE} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
"""
    )
    return conf


def _node_ready(conf: Path) -> bool:
    env = {**os.environ, "SLURM_CONF": str(conf)}
    try:
        out = subprocess.run(
            ["sinfo", "-h", "-n", NODE, "-o", "%T"], capture_output=True, text=True, timeout=20, env=env
        ).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return False
    if out.rstrip("*~#") in {"down", "drained", "draining"}:
        subprocess.run(
            ["scontrol", "update", f"NodeName={NODE}", "State=RESUME"],
            capture_output=True,
            timeout=20,
            env=env,
        )
        return False
    return out.rstrip("*") in {"idle", "mixed", "allocated", "completing"}


def status(base_dir: Path | None = None) -> bool:
    """True if this folder's slurmctld and slurmd both run."""
    base = Path(base_dir or default_dir())
    return _pid_alive(base / "slurmctld.pid") and _pid_alive(base / "slurmd.pid")


def start(base_dir: Path | None = None, timeout: float = 60.0) -> LocalSlurm:
    """Start munged, slurmctld and slurmd unless they already run; wait for the node.

    Concurrent callers (several test processes) are serialized by a lock file.
    """
    import fcntl

    base = Path(base_dir or default_dir())
    base.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{base}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _start_locked(base, timeout)


def _start_locked(base: Path, timeout: float) -> LocalSlurm:
    if status(base):
        _wait(lambda: _node_ready(base / "slurm.conf"), timeout, "the Slurm node is not ready")
        return LocalSlurm(base, started=False)
    stop(base)  # whatever half of a previous cluster is left
    for sub in ("state", "spool"):
        shutil.rmtree(base / sub, ignore_errors=True)
    base.mkdir(parents=True, exist_ok=True)
    munge_started = _start_munge()
    (base / "munge-started").write_text("1" if munge_started else "0")
    conf = _write_conf(base)
    env = {**os.environ, "SLURM_CONF": str(conf)}
    subprocess.run(["slurmctld", "-c", "-f", str(conf)], check=True, env=env, timeout=60)
    subprocess.run(["slurmd", "-N", NODE, "-f", str(conf)], check=True, env=env, timeout=60)
    try:
        _wait(lambda: _node_ready(conf), timeout, "the Slurm node did not become ready")
    except RuntimeError as exc:
        logs = "\n".join(_tail(base / "log" / name) for name in ("slurmctld.log", "slurmd.log"))
        raise RuntimeError(f"{exc}; logs:\n{logs}") from None
    return LocalSlurm(base, started=True)


def _tail(path: Path, lines: int = 20) -> str:
    return tail_text(path, lines)


def _kill(pid_file: Path, timeout: float = 15.0) -> None:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def stop(base_dir: Path | None = None) -> None:
    """Cancel every job, stop slurmd and slurmctld, and munged if :func:`start` started it."""
    base = Path(base_dir or default_dir())
    conf = base / "slurm.conf"
    if _pid_alive(base / "slurmctld.pid") and conf.exists():
        env = {**os.environ, "SLURM_CONF": str(conf)}
        subprocess.run(["scancel", "--full", "--user", getpass.getuser()], capture_output=True, env=env, timeout=30)
    _kill(base / "slurmd.pid")
    _kill(base / "slurmctld.pid")
    flag = base / "munge-started"
    if flag.exists() and flag.read_text().strip() == "1":
        _kill(MUNGE_DIR / "munged.pid")
        flag.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m covalent_slurm.testing.local_cluster")
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=None, help="folder for the cluster's files")
    args = parser.parse_args(argv)
    if args.command == "start":
        cluster = start(args.dir)
        print(f"export SLURM_CONF={cluster.conf}")
    elif args.command == "stop":
        stop(args.dir)
    else:
        running = status(args.dir)
        print("running" if running else "stopped")
        return 0 if running else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
