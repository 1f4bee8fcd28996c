"""``covalent plugins``: what loaded, what failed, which executors each gives."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

__all__ = ["plugins_command"]


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins_command(as_json: bool) -> None:
    """List plugins, their versions and executors, and load errors."""
    from covalent.plugins.manager import plugin_infos

    infos = plugin_infos()
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in infos], indent=2))
        return
    table = Table("plugin", "version", "executors", "status")
    for info in infos:
        state = "[green]loaded[/]" if info.loaded else f"[red]failed: {info.error}[/]"
        name = info.name + (" (built-in)" if info.builtin else "")
        table.add_row(name, info.version, ", ".join(info.executors), state)
    Console().print(table)
