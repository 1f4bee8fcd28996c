"""``covalent plugins``: what loaded, what failed, which executors each gives, from which distribution."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["plugins_command"]


@click.group("plugins", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins_command(ctx: click.Context, as_json: bool) -> None:
    """List plugins, the distributions providing them, their executors and contract, and load errors."""
    if ctx.invoked_subcommand is None:
        _list(as_json)


@plugins_command.command("install")
@click.argument("requirements", nargs=-1, required=True)
def install_command(requirements: tuple[str, ...]) -> None:
    """Install executor plugins written for Covalent (covalent-ssh-plugin, ...) beside this project's core.

    Their requirement on Agnostiq's `covalent` is met by a metadata-only face
    distribution (covalent 0.240.0+bondflow) instead, so the core stays;
    their other requirements come from the package registry.
    """
    from covalent.coinstall import find_coinstalled
    from covalent.plugins.install import FACE_VERSION, install

    try:
        install(list(requirements))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    if find_coinstalled() is not None:  # the face keeps this from happening; say so loudly if it did
        raise click.ClickException("Agnostiq's covalent was installed after all: run `covalent status` to repair")
    click.echo(f"installed {' '.join(requirements)} (their `covalent` requirement: covalent {FACE_VERSION}, a face)")
    _list(False)


def _list(as_json: bool) -> None:
    from covalent.executor.registry import executor_classes
    from covalent.plugins.manager import plugin_infos

    infos = plugin_infos()
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in infos], indent=2))
        return
    classes = executor_classes() if any(info.contract == "covalent" for info in infos) else {}
    table = Table()
    for column in ("plugin", "distribution", "version", "executors"):  # names to copy: never cut
        table.add_column(column, no_wrap=True)
    table.add_column("contract", no_wrap=True)
    table.add_column("status", overflow="fold")
    for info in infos:
        state = "[green]loaded[/]" if info.loaded else f"[red]failed: {escape(info.error)}[/]"
        state += "\nbuilt-in" if info.builtin else ""
        names = [_covalent_names(name, classes) if info.contract == "covalent" else name for name in info.executors]
        contract = "Covalent: run(function, args, kwargs, task_metadata)" if info.contract == "covalent" else "bondflow"
        table.add_row(info.name, info.distribution, info.version, "\n".join(names), contract, state)
    Console().print(table)


def _covalent_names(name: str, classes: dict[str, type]) -> str:
    """``covalent:ssh``, and whether Covalent's plain name "ssh" reaches it or a native executor has it."""
    plain = name.removeprefix("covalent:")
    owner = classes.get(plain)
    if owner is not None and owner is classes.get(name):
        return f"{name} (also {plain!r})"
    if owner is not None:
        return f"{name} ({plain!r} is {owner.__name__})"
    return name
