"""Helpers for testing bondflow-slurm against a real Slurm cluster and SSH server.

* :mod:`covalent_slurm.testing.local_cluster`: start/stop a single-node Slurm here.
* :mod:`covalent_slurm.testing.sshd`: an OpenSSH server on a loopback port (a "login node").
* :mod:`covalent_slurm.testing.helpers`: small tasks and queue checks.
"""

__all__: list[str] = []
