"""The ``covalent`` command line."""

from __future__ import annotations

import importlib

import click

from covalent import __version__

__all__ = ["cli", "main"]

#: Each command, as ``module:attribute``: its module is imported only when it runs.
COMMANDS = {
    "start": "covalent.cli.server_cmd:start",
    "stop": "covalent.cli.server_cmd:stop",
    "restart": "covalent.cli.server_cmd:restart",
    "status": "covalent.cli.server_cmd:status",
    "logs": "covalent.cli.server_cmd:logs",
    "purge": "covalent.cli.server_cmd:purge",
    "config": "covalent.cli.config_cmd:config_command",
    "plugins": "covalent.cli.plugins_cmd:plugins_command",
    "db": "covalent.cli.db_cmd:db",
}


def plugin_commands() -> dict[str, str]:
    """Commands plugins add (``register_commands`` hook): name -> ``module:attribute``."""
    from covalent.plugins.manager import call_each, get_plugin_manager

    found: dict[str, str] = {}

    def register(name: str, target: str) -> None:
        if name not in COMMANDS:
            found.setdefault(name, target)

    call_each(get_plugin_manager(), "register_commands", register=register)  # a failing plugin is skipped
    return found


class LazyGroup(click.Group):
    """A group whose commands are imported on use (click's ``list_commands``/``get_command`` contract).

    ``covalent start`` is timed by users: it should not first import what
    ``covalent status`` or ``covalent plugins`` need (rich, httpx, the plugins).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS, *plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            target = plugin_commands().get(cmd_name)  # plugins load only for a command that is not ours
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command), target
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-v", "--version", prog_name="covalent")
def cli() -> None:
    """Covalent: run Python workflows on any compute, with every result recorded."""


def main() -> None:
    cli()
