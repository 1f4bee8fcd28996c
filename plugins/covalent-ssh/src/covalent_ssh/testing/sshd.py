"""A throw-away OpenSSH server on a loopback port, playing a cluster's login node.

Uses Debian's ``openssh-server`` (``/usr/sbin/sshd``) with its own host key,
a generated client key in ``authorized_keys`` and a ``known_hosts`` file for
the client, all in one folder.  Commands run through the user's real shell
and files move by SFTP, exactly as on a login node.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SSHServer", "start_sshd"]

SSHD = "/usr/sbin/sshd"
SFTP_SERVERS = ("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/lib/ssh/sftp-server")


@dataclass
class SSHServer:
    """A running sshd: where to connect and with which files."""

    process: subprocess.Popen[bytes]
    port: int
    username: str
    key_file: str
    known_hosts: str
    folder: Path

    def stop(self) -> None:
        """Stop sshd (its sessions end with it)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def start_sshd(folder: Path, timeout: float = 20.0, extra_config: str = "") -> SSHServer:
    """Start sshd on 127.0.0.1 at a free port, accepting a fresh key for the current user.

    ``extra_config``: more ``sshd_config`` lines (``SetEnv SLURM_CONF=...`` for a login node's sessions).
    """
    folder.mkdir(parents=True, exist_ok=True)
    host_key, client_key = folder / "host_key", folder / "client_key"
    _keygen(host_key)
    _keygen(client_key)
    authorized = folder / "authorized_keys"
    authorized.write_text((folder / "client_key.pub").read_text())
    os.chmod(authorized, 0o600)
    port = _free_port()
    host_pub = (folder / "host_key.pub").read_text().split()
    known_hosts = folder / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    sftp = next((p for p in SFTP_SERVERS if os.path.exists(p)), "internal-sftp")
    config = folder / "sshd_config"
    config.write_text(
        f"""Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {folder}/sshd.pid
AuthorizedKeysFile {authorized}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp {sftp}
LogLevel ERROR
{extra_config}"""
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation folder sshd insists on
    log = open(folder / "sshd.log", "wb")  # noqa: SIM115 - sshd's log for the server's lifetime
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    server = SSHServer(process, port, getpass.getuser(), str(client_key), str(known_hosts), folder)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited: {(folder / 'sshd.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("sshd did not start listening") from None
            time.sleep(0.1)
