"""Every install hint names a distribution this repository provides.

A hint naming a free registry name (the Dask hint once named ``covalent-dask``)
sends a user to whatever a stranger registers under it.  The hints in code come from
``KNOWN_PACKAGES``; the ones in the docs are read from the files themselves.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from covalent.executor.registry import KNOWN_PACKAGES, install_hint
from covalent.plugins.manager import executor_distributions

ROOT = Path(__file__).resolve().parents[1]


def _projects() -> dict[str, dict]:
    """Every package of the workspace by distribution name (its ``[project]`` table)."""
    out = {}
    for path in [ROOT / "core", ROOT / "ui", *sorted((ROOT / "plugins").iterdir())]:
        project = tomllib.loads((path / "pyproject.toml").read_text())["project"]
        out[project["name"]] = project
    return out


def test_known_packages_are_ours_and_provide_what_the_hint_says():
    projects = _projects()
    core_extras = projects["bondflow"]["optional-dependencies"]
    provided = executor_distributions()  # from the installed entry points
    for executor, dist in KNOWN_PACKAGES.items():
        assert dist in projects, f"{executor}: {dist} is not a package of this repository"
        assert provided[executor] == dist
        extra = dist.removeprefix("bondflow-")
        assert core_extras.get(extra) == [f"{dist}>=1.0.0.dev0"], (
            f'core/pyproject.toml: add {extra} = ["{dist}>=1.0.0.dev0"]'
        )
        assert install_hint(executor) == f'pip install "bondflow[{extra}]" (distribution {dist})'
    assert install_hint("nosuchexecutor") == ""


def test_every_executor_of_our_plugins_has_an_install_hint():
    for executor, dist in executor_distributions().items():
        if dist.startswith("bondflow-"):
            assert KNOWN_PACKAGES.get(executor) == dist, f'KNOWN_PACKAGES needs "{executor}": "{dist}"'


def test_every_package_of_the_workspace_comes_from_the_workspace():
    """Never from the registry, where a stranger may own a name we have not published yet."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    sources = root["tool"]["uv"]["sources"]
    example = [tomllib.loads((p / "pyproject.toml").read_text())["project"]["name"] for p in ROOT.glob("examples/*/")]
    for name in [*_projects(), *example]:
        assert sources.get(name) == {"workspace": True}, (
            f"pyproject.toml [tool.uv.sources]: {name} = {{ workspace = true }}"
        )


def test_every_plugin_requires_our_core_never_a_bare_covalent():
    for name, project in _projects().items():
        assert name == "bondflow" or name.startswith("bondflow-"), name
        requires = [re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in project.get("dependencies", [])]
        assert "covalent" not in requires, name
        if name != "bondflow":
            assert "bondflow>=1.0.0.dev0" in project["dependencies"], name


_PIP_INSTALL = re.compile(r"pip install ([^\n`|;()#]*)")


def _named(arguments: str) -> list[str]:
    """The distribution names in the arguments of one ``pip install`` (paths, files, options left out)."""
    names = []
    for token in arguments.split():
        token = token.strip("'\"")
        if not token or token.startswith(("-", "$", "/", ".", "<")) or "/" in token or token.endswith(".whl"):
            continue
        names.append(re.split(r"[\[<>=!~;]", token, maxsplit=1)[0].lower())
    return names


def test_no_text_in_the_repository_tells_to_install_a_name_we_do_not_provide():
    ours = set(_projects())
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    checked = 0
    for rel in files:
        if rel.endswith((".lock", ".png", ".svg", ".ico")):
            continue
        text = (ROOT / rel).read_text(errors="replace")
        for match in _PIP_INSTALL.finditer(text):
            for name in _named(match.group(1)):
                checked += 1
                if name.startswith(("covalent", "bondflow")):
                    assert name in ours, f"{rel}: `pip install {match.group(1).strip()}` names {name!r}"
    assert checked > 10  # the docs do show install commands
