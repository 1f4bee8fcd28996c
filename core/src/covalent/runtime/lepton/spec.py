"""What a lepton calls: a shell command, a C function or a Python function, and its signature.

A :class:`LeptonSpec` is plain data (strings and tuples), checked when the
lepton is made, so a bad ``argtypes`` or a missing ``function_name`` is an
error at the line that wrote it, not later on a worker.  Argument types are
kept by name (``"c_int"``, ``"LP_c_double"``, ``"int"``) as Covalent keeps
them, and resolved again where the lepton runs.
"""

from __future__ import annotations

import builtins
import ctypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

__all__ = ["Direction", "LeptonError", "LeptonSpec", "ctypes_type", "language_of"]


class LeptonError(RuntimeError):
    """A lepton could not call what it names, or what it called failed; the message says which."""


class Direction(IntEnum):
    """How an argument is passed (Covalent's ``Lepton.INPUT``/``OUTPUT``/``INPUT_OUTPUT``)."""

    INPUT = 0
    OUTPUT = 1
    INPUT_OUTPUT = 2


_LANGUAGES = {"python": "python", "c": "c", "bash": "bash", "shell": "bash"}
#: Types a shell output can be converted to (by name, as Covalent does).
SHELL_TYPES = ("str", "int", "float", "bool")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SHELL_FUNCTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_:.-]*$")


def language_of(language: str) -> str:
    """``"python"``, ``"c"`` or ``"bash"`` for any spelling Covalent accepts."""
    found = _LANGUAGES.get(str(language).lower())
    if found is None:
        raise ValueError(f"Language {language!r} is not supported (use 'bash', 'C' or 'python')")
    return found


def ctypes_type(name: str) -> Any:
    """The ctypes type named ``name`` (``"LP_x"`` is a pointer to ``x``)."""
    base = name[3:] if name.startswith("LP_") else name
    found = getattr(ctypes, base, None)
    if not (isinstance(found, type) and issubclass(found, ctypes._SimpleCData)):
        raise LeptonError(f"{name!r} is not a ctypes type")
    return ctypes.POINTER(found) if name.startswith("LP_") else found


def _type_name(kind: Any) -> str:
    return kind if isinstance(kind, str) else str(getattr(kind, "__name__", kind))


def _argtypes(argtypes: Sequence[Any], language: str) -> tuple[tuple[str, Direction], ...]:
    out = []
    for index, item in enumerate(argtypes or ()):
        try:
            kind, direction = item
            direction = Direction(direction)
        except (TypeError, ValueError):
            raise ValueError(
                f"argtypes[{index}] must be (type, direction) with direction Lepton.INPUT, OUTPUT or "
                f"INPUT_OUTPUT, got {item!r}"
            ) from None
        name = _type_name(kind)
        if language == "c":
            try:
                ctypes_type(name)
            except LeptonError:
                raise ValueError(
                    f"argtypes[{index}]: {name!r} is not a ctypes type (e.g. c_int, POINTER(c_double))"
                ) from None
        elif direction is not Direction.INPUT and name not in SHELL_TYPES:
            raise ValueError(f"argtypes[{index}]: an output of a {language} lepton is one of {', '.join(SHELL_TYPES)}")
        out.append((name, direction))
    return tuple(out)


@dataclass(frozen=True)
class LeptonSpec:
    """Everything a lepton needs where it runs (no live objects: it pickles anywhere)."""

    language: str
    library_name: str = ""
    function_name: str = ""
    argtypes: tuple[tuple[str, Direction], ...] = ()
    command: str = ""
    named_outputs: tuple[str, ...] = ()
    display_name: str = ""
    #: C only: the function's return type by name ("" = void, as Covalent assumes).
    restype: str = ""

    @classmethod
    def build(
        cls,
        language: str,
        *,
        library_name: str = "",
        function_name: str = "",
        argtypes: Sequence[Any] = (),
        command: str | Sequence[str] = "",
        named_outputs: str | Sequence[str] = (),
        display_name: str = "",
        restype: Any = None,
    ) -> LeptonSpec:
        """Check the combination Covalent accepts and normalise it; ValueError says what is wrong."""
        lang = language_of(language)
        text = " && ".join(command) if isinstance(command, list | tuple) else str(command or "")
        outputs = (named_outputs,) if isinstance(named_outputs, str) else tuple(named_outputs or ())
        if lang == "c":
            if text:
                raise ValueError(f"Keyword argument 'command' incompatible with language {language!r}")
            if outputs:
                raise ValueError(f"Keyword argument 'named_outputs' incompatible with language {language!r}")
            if not library_name:
                raise ValueError("a C lepton needs library_name (the shared library) and function_name")
        elif lang == "bash":
            if text and library_name:
                raise ValueError("Invalid argument combination: library_name and command. Use one or the other.")
            if not (text or library_name):
                raise ValueError("Specify either library_name or command using this language.")
        else:
            if text:
                raise ValueError("a python lepton calls library_name.function_name; 'command' is for bash leptons")
            if not library_name:
                raise ValueError("a python lepton needs library_name (a module) and function_name")
        if library_name and not function_name:
            raise ValueError("Must specify function_name when calling a library.")
        if lang == "bash" and function_name and not _SHELL_FUNCTION.match(function_name):
            raise ValueError(f"function_name {function_name!r} is not a shell function name")
        for name in outputs:
            if not _IDENTIFIER.match(str(name)):
                raise ValueError(f"named output {name!r} is not a shell variable name")
        spec = cls(
            language=lang,
            library_name=str(library_name),
            function_name=str(function_name),
            argtypes=_argtypes(argtypes, lang),
            command=text,
            named_outputs=tuple(str(n) for n in outputs),
            display_name=str(display_name or ""),
            restype=_type_name(restype) if restype is not None else "",
        )
        if lang == "c" and spec.restype:
            try:
                ctypes_type(spec.restype)
            except LeptonError:
                raise ValueError(f"restype {spec.restype!r} is not a ctypes type") from None
        if lang == "bash":
            spec.check_outputs()
        return spec

    @property
    def outputs(self) -> list[tuple[str, Direction]]:
        """The argtypes that return a value (OUTPUT and INPUT_OUTPUT), in order."""
        return [t for t in self.argtypes if t[1] is not Direction.INPUT]

    def check_outputs(self) -> None:
        if len(self.outputs) != len(self.named_outputs):
            raise ValueError(
                f"Expecting {len(self.outputs)} named outputs (one per OUTPUT or INPUT_OUTPUT argtype), "
                f"got {len(self.named_outputs)}"
            )

    @property
    def name(self) -> str:
        """The task's name: the display name, the function's, or the command's start."""
        if self.display_name:
            return self.display_name
        if self.function_name:
            return self.function_name
        first = self.command.strip().splitlines()[0] if self.command.strip() else self.language
        return first if len(first) <= 60 else first[:57] + "..."

    def convert_output(self, index: int, text: str) -> Any:
        """A shell output's text as its declared type."""
        type_name = self.outputs[index][0]
        name = self.named_outputs[index]
        if type_name == "bool":
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise LeptonError(f"output {name!r}: {text!r} is not a bool")
        try:
            return getattr(builtins, type_name)(text)
        except ValueError:
            raise LeptonError(f"output {name!r}: cannot convert {text!r} to {type_name}") from None
