"""The ``covalent`` command line."""

from __future__ import annotations

import click

from covalent import __version__
from covalent.cli.config_cmd import config_command
from covalent.cli.plugins_cmd import plugins_command
from covalent.cli.server_cmd import logs, purge, restart, start, status, stop

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="covalent")
def cli() -> None:
    """Covalent: run Python workflows on any compute, with every result recorded."""


for command in (start, stop, restart, status, logs, purge, config_command, plugins_command):
    cli.add_command(command)


def main() -> None:
    cli()
