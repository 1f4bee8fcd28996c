"""Statuses are spelled once: as :class:`covalent.status.Status`, never as string literals.

Strings appear only at the JSON edge, where they are the API's own schema
(:data:`JSON_EDGE`).  Other vocabularies that share a word (an executor
backend's job states, a file transfer's states) are classes of named
constants of their own (``COMPLETED = "COMPLETED"``), not statuses of a node
or a dispatch.
"""

from __future__ import annotations

import ast
from pathlib import Path

from covalent.status import Status

REPO = Path(__file__).resolve().parents[2]
SOURCES = [REPO / "core" / "src" / "covalent", REPO / "ui" / "src" / "covalent_ui"]

#: Modules where a status may be written as a string: the Status type and the JSON schema of the API.
JSON_EDGE = {"covalent/status.py", "covalent/server/api/schemas.py"}

WORDS = {s.value for s in Status}


def _vocabulary_members(tree: ast.AST) -> set[int]:
    """Ids of class-level ``NAME = "NAME"`` constants: members of another vocabulary (an enum's, say)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt in node.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Constant)
                and stmt.value.value == stmt.targets[0].id
            ):
                found.add(id(stmt.value))
    return found


def test_no_status_string_literal_outside_the_status_type() -> None:
    offences = []
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            name = path.relative_to(source.parent).as_posix()
            if name in JSON_EDGE:
                continue
            tree = ast.parse(path.read_text())
            skipped = _vocabulary_members(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and node.value in WORDS and id(node) not in skipped:
                    offences.append(f"{name}:{node.lineno} {node.value!r}")
    assert offences == []
