"""Covalent's ``covalent._file_transfer`` import path (only ``enums.Order`` so far).

File transfers themselves (``files=``, ``ct.fs``) are not available yet.
"""
