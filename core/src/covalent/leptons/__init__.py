"""Covalent's ``covalent.leptons``: the ``bash`` decorator (and ``Lepton``), from :mod:`covalent._sdk.lepton`."""

from covalent._sdk.lepton import Lepton, bash

__all__ = ["Lepton", "bash"]
