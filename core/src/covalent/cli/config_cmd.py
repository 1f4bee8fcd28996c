"""``covalent config``: show and set settings in covalent.conf."""

from __future__ import annotations

import json

import click

from covalent import config

__all__ = ["config_command"]


@click.command("config")
@click.argument("key", required=False)
@click.argument("value", required=False)
def config_command(key: str | None, value: str | None) -> None:
    """Show all settings, show KEY (e.g. server.port), or set KEY to VALUE."""
    if key is None:
        click.echo(f"# {config.config_path()}")
        click.echo(json.dumps(config.load(), indent=2))
        return
    if value is None:
        found = config.get(key, None)
        if found is None:
            raise click.ClickException(f"no setting {key!r}")
        click.echo(json.dumps(found) if not isinstance(found, str) else found)
        return
    try:
        stored = config.set_value(key, value)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{key} = {json.dumps(stored)}  (saved to {config.config_path()})")
