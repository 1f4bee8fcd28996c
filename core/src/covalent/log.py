"""The SDK's own log: ``app_log`` (logger ``covalent.sdk``), at the level of the ``sdk.log_level`` setting.

What Covalent code imports as ``covalent._shared_files.logger.app_log``.  It
writes to stdout, as Covalent's did, and does not pass records on to the
root logger.
"""

from __future__ import annotations

import logging
import os
import sys

from covalent import config

__all__ = ["app_log", "log_stack_info"]

app_log = logging.getLogger("covalent.sdk")
_level = str(config.get("sdk.log_level", "warning") or "warning").upper()
app_log.setLevel(_level if _level in logging.getLevelNamesMapping() else "WARNING")
if not app_log.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(
        logging.Formatter("[%(asctime)s] [%(levelname)s] %(filename)s: Line %(lineno)s in %(funcName)s: %(message)s")
    )
    app_log.addHandler(_handler)
app_log.propagate = False

#: Whether log calls should include stack information (``LOGSTACK``, as in Covalent).
log_stack_info = os.environ.get("LOGSTACK", "TRUE").upper() == "TRUE"
