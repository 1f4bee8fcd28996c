"""Helpers for testing SSH executors: :mod:`covalent_ssh.testing.sshd` runs OpenSSH's sshd on a loopback port."""

__all__: list[str] = []
