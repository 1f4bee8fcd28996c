"""Covalent's ``covalent._results_manager`` import path, over :mod:`covalent.client`."""
