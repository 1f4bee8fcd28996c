"""Leptons where they run: shell commands, C functions (ctypes) and Python functions by name."""

from covalent.runtime.lepton.call import LeptonCall
from covalent.runtime.lepton.spec import Direction, LeptonError, LeptonSpec

__all__ = ["Direction", "LeptonCall", "LeptonError", "LeptonSpec"]
