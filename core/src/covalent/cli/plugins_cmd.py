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
    """List plugins, the distributions providing them, their executors, and load errors."""
    from covalent.plugins.manager import plugin_infos

    infos = plugin_infos()
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in infos], indent=2))
        return
    table = Table()
    for column in ("plugin", "distribution", "version", "executors"):  # names to copy: never cut
        table.add_column(column, no_wrap=True)
    table.add_column("status", overflow="fold")
    for info in infos:
        state = "[green]loaded[/]" if info.loaded else f"[red]failed: {escape(info.error)}[/]"
        state += "\nbuilt-in" if info.builtin else ""
        table.add_row(info.name, info.distribution, info.version, "\n".join(info.executors), state)
    Console().print(table)
