"""``covalent plugins``: what loaded, what failed, which executors each gives, from which distribution."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["plugins_command"]


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins_command(as_json: bool) -> None:
    """List plugins, the distributions providing them, their executors and contract, and load errors."""
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
