"""Running a bash lepton: a command (or a function from a script) with its arguments substituted.

Positional arguments become ``$1``, ``$2``, ...; keyword arguments are
exported as environment variables and also replace ``{name}`` in the command
(Covalent's substitution; other braces are left alone, so ``awk '{print $1}'``
works).  Each named output is echoed after the command with a marker and read
back from stdout as its declared type.  The command's stdout (without the
markers) and stderr become the node's; a non-zero exit fails the node with its
status and stderr.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from typing import Any

from covalent.runtime.lepton.spec import Direction, LeptonError, LeptonSpec

__all__ = ["run_shell"]

_MARKER = "COVALENT-LEPTON-OUTPUT-"
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _shell() -> str:
    for name in ("bash", "sh"):
        found = shutil.which(name)
        if found:
            return found
    raise LeptonError("no shell (bash or sh) was found where the task runs")


def _substitute(command: str, kwargs: dict[str, Any]) -> str:
    return _FIELD.sub(lambda m: str(kwargs[m.group(1)]) if m.group(1) in kwargs else m.group(0), command)


def _script(spec: LeptonSpec, kwargs: dict[str, Any]) -> str:
    for key in kwargs:
        if not _VARIABLE.match(key):
            raise LeptonError(f"keyword argument {key!r} cannot be a shell variable name")
    exports = "".join(f"export {k}={shlex.quote(str(v))} && " for k, v in kwargs.items())
    if spec.command:
        body = _substitute(spec.command, kwargs)
    else:
        body = f'. {shlex.quote(spec.library_name)} && {spec.function_name} "$@"'
    outputs = "".join(f" && printf '%s\\n' \"{_MARKER}{name}: ${name}\"" for name in spec.named_outputs)
    return f"{exports}{{ {body}\n}}{outputs}"


def _check_inputs(spec: LeptonSpec, kwargs: dict[str, Any]) -> None:
    spec.check_outputs()
    outputs = spec.outputs
    for (_, direction), name in zip(outputs, spec.named_outputs, strict=True):
        if direction is Direction.INPUT_OUTPUT and name not in kwargs:
            raise LeptonError(f"the INPUT_OUTPUT argument {name!r} must be passed as a keyword argument")


def _split_outputs(spec: LeptonSpec, stdout: str) -> tuple[str, list[Any]]:
    values: dict[str, str] = {}
    shown = []
    for line in stdout.splitlines(keepends=True):
        if line.startswith(_MARKER):
            name, _, value = line[len(_MARKER) :].partition(": ")
            values[name] = value.rstrip("\n")
        else:
            shown.append(line)
    results = [spec.convert_output(i, values.get(name, "")) for i, name in enumerate(spec.named_outputs)]
    return "".join(shown), results


def run_shell(spec: LeptonSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run the lepton's command; its named outputs (one value, a tuple, or None)."""
    _check_inputs(spec, kwargs)
    command = [_shell(), "-c", _script(spec, kwargs), spec.name, *(str(a) for a in args)]
    proc = subprocess.run(command, capture_output=True, check=False)
    stdout = proc.stdout.decode(errors="replace")
    stderr = proc.stderr.decode(errors="replace")
    shown, results = _split_outputs(spec, stdout) if proc.returncode == 0 else (stdout, [])
    sys.stdout.write(shown)
    sys.stderr.write(stderr)
    if proc.returncode != 0:
        raise LeptonError(
            f"bash lepton {spec.name!r} exited with status {proc.returncode}: {stderr.strip() or '(nothing on stderr)'}"
        )
    if not results:
        return None
    return results[0] if len(results) == 1 else tuple(results)
