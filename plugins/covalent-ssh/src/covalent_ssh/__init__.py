"""SSH for covalent: the ``ssh`` executor, and the SSH plumbing other executors share.

* :class:`SSHExecutor` (``executor="ssh"``): each job runs on a remote host.
* :mod:`covalent_ssh.connections`: one pooled connection per host.
* :mod:`covalent_ssh.transport`: commands and files here or over SSH (the
  Slurm executor reaches a login node through it).
* :mod:`covalent_ssh.envcheck`: is the remote Python able to run payloads?
* :mod:`covalent_ssh.testing.sshd`: a real OpenSSH server on loopback, for tests.

Names are loaded on first use: the server imports every plugin's entry point at
start-up and registers its executor classes only when they are first needed.
"""

from __future__ import annotations

from covalent.lazy import lazy_names

__all__ = [
    "SSHExecutor",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "SSHExecutor": "covalent_ssh.executor",
    },
)
