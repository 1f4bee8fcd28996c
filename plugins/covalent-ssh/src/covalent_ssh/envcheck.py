"""Up-front check that a remote Python can run this server's payloads.

The payload carries the Python and cloudpickle versions it was made with and
the worker refuses a mismatch; checking once in ``setup()`` turns a queue
full of failing jobs into one clear error before anything is submitted.
The remote ``covalent`` must be this project's (``bondflow``: it has
``covalent.runtime``), and its version is reported beside the others.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from covalent._version import DISTRIBUTION, __version__
from covalent.runtime.spec import runtime_versions
from covalent_ssh.shell import shell_path
from covalent_ssh.transport import Transport

__all__ = ["EnvironmentMismatch", "check_environment", "probe_command"]

_MARK = "COVALENT-ENV "

_PROBE = f"""\
import json, sys
info = {{"python": "%d.%d" % sys.version_info[:2], "executable": sys.executable}}
try:
    import cloudpickle
    info["cloudpickle"] = str(cloudpickle.__version__)
    import covalent
    info["covalent"] = str(getattr(covalent, "__version__", "?"))
    import covalent.runtime
except Exception as exc:
    info["error"] = "%s: %s" % (type(exc).__name__, exc)
print({_MARK!r} + json.dumps(info))
"""


class EnvironmentMismatch(RuntimeError):
    """The remote Python cannot run payloads made by this server."""


def probe_command(python: str, setup_lines: list[str]) -> str:
    """Shell text that sets up the job environment and prints the versions there."""
    return "\n".join([*setup_lines, f"{shell_path(python)} -c {shlex.quote(_PROBE)}"])


async def check_environment(
    transport: Transport,
    python: str,
    setup_lines: list[str],
    expected: dict[str, str] | None = None,
    *,
    place: str = "the cluster",
    hint: str = "(set check_environment=False if only the compute nodes have this Python)",
) -> dict[str, Any]:
    """Run the job's Python through ``transport``; raise :class:`EnvironmentMismatch` if it cannot work.

    ``expected``: the versions payloads are made with (default: this
    process's Python and cloudpickle).  ``place`` names the remote side in
    messages.  Returns what the remote Python reported (``python``,
    ``cloudpickle``, ``covalent``, ``executable``).
    """
    where = transport.description
    result = await transport.run(probe_command(python, setup_lines), timeout=120)
    info: dict[str, Any] | None = None
    for line in result.stdout.splitlines():
        if line.startswith(_MARK):
            info = json.loads(line[len(_MARK) :])
    if info is None:
        raise EnvironmentMismatch(
            f"cannot run the job's Python {python!r} on {where} (exit status {result.returncode}) {hint}: "
            f"{(result.stderr or result.stdout).strip()[-2000:]}"
        )
    if "error" in info:
        found = f" (covalent {info['covalent']} there is not {DISTRIBUTION}'s)" if "covalent" in info else ""
        raise EnvironmentMismatch(
            f"the job's Python {info.get('executable') or python} on {where} cannot run covalent payloads: "
            f"{info['error']}{found}. Install {DISTRIBUTION} {__version__} there "
            "(with the same Python minor version and cloudpickle version as the server)."
        )
    here = expected or runtime_versions()
    wrong = {k: (v, info.get(k)) for k, v in here.items() if info.get(k) != v}
    if wrong:
        detail = ", ".join(f"{k} {mine} on the server but {theirs} on {place}" for k, (mine, theirs) in wrong.items())
        raise EnvironmentMismatch(
            f"the job's Python {info.get('executable') or python} on {where} does not match the server: {detail}. "
            f"Install the same Python minor version and cloudpickle version on {place}."
        )
    return info
