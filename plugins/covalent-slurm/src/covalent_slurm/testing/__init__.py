"""Helpers for testing covalent-slurm against real Slurm and SSH servers."""
