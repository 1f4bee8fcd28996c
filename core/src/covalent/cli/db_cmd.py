"""``covalent db migrate``: bring the database's schema up to date (alembic upgrade)."""

from __future__ import annotations

import click

__all__ = ["db"]


@click.group("db")
def db() -> None:
    """The server's database."""


@db.command("migrate")
def migrate_command() -> None:
    """Apply every schema migration the database lacks (the server also does this when it starts)."""
    from covalent import config
    from covalent.server.db.engine import migrate, open_engine

    url = config.database_url()
    config.data_dir().mkdir(parents=True, exist_ok=True)
    engine = open_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    click.echo(f"Database {url.split('@')[-1]} is up to date.")
