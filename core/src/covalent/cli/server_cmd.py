"""``covalent start | stop | restart | status | logs | purge``."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import click

from covalent import config
from covalent.logtail import tail_lines
from covalent.server import background

__all__ = ["logs", "purge", "restart", "start", "status", "stop"]


def _port_option(func):  # type: ignore[no-untyped-def]
    return click.option("--port", "-p", type=int, default=None, help="Port (default: config server.port, 48008).")(func)


def _triggers_options(func):  # type: ignore[no-untyped-def]
    func = click.option(
        "--triggers-only", is_flag=True, help="Serve triggers only; their runs go to the dispatcher each names."
    )(func)
    return click.option("--no-triggers", is_flag=True, help="Observe no triggers and refuse new ones.")(func)


def _triggers_mode(no_triggers: bool, triggers_only: bool) -> str:
    if no_triggers and triggers_only:
        raise click.UsageError("--no-triggers and --triggers-only are mutually exclusive, please choose one at most")
    return "off" if no_triggers else "only" if triggers_only else "on"


def _start(
    port: int | None,
    host: str | None,
    no_cluster: bool,
    develop: bool,
    triggers: str = "on",
    cluster: background.ClusterOptions | None = None,
) -> None:
    from covalent.errors import SettingError
    from covalent.limits import Limits, setting_number

    try:  # refused here, in one line, before a server is started
        settings = config.load()["server"]
        port = port or setting_number(settings, "port", int, config.DEFAULT_PORT)
        Limits.from_settings({"server": settings})
    except SettingError as exc:
        raise click.ClickException(str(exc)) from None
    host = host or settings.get("host", "127.0.0.1")
    cluster = cluster or background.ClusterOptions()
    if develop:
        from covalent.server.main import main as server_main

        args = ["--host", host, "--port", str(port)] + (["--no-cluster"] if no_cluster else [])
        args += {"on": [], "off": ["--no-triggers"], "only": ["--triggers-only"]}[triggers]
        args += cluster.arguments()
        sys.exit(server_main(args))
    from covalent.server.access import TokenError, ensure_token, is_loopback
    from covalent.server.db.sqlite_file import DatabaseFileError, check_database

    try:
        # Refused here, in one line, rather than in the server's log.
        if not is_loopback(host):
            ensure_token(host)
        check_database(config.database_url())
        info, seconds = background.start(
            host, port, no_cluster=no_cluster, triggers=triggers, cluster=cluster, fork=True
        )
    except (background.ServiceError, TokenError, DatabaseFileError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{click.style('Covalent server started', fg='green')} at {info.address} "
        f"(pid {info.pid}, ready in {seconds:.2f} s)"
    )
    click.echo(f"Dashboard: {info.address}/    Log: {background.log_path()}")


@click.command()
@_port_option
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1; others need the token).")
@click.option("--no-cluster", is_flag=True, help="Do not start a local Dask cluster.")
@click.option("--develop", "-d", "develop", is_flag=True, help="Run in the foreground, logging to the terminal.")
@_triggers_options
@click.option("--workers", "-n", type=click.IntRange(min=1), default=None, help="Workers of the local Dask cluster.")
@click.option("--threads-per-worker", "-t", type=click.IntRange(min=1), default=None, help="Threads per Dask worker.")
@click.option("--mem-per-worker", "-m", default=None, help='Memory limit per Dask worker ("2GB", "auto"; 0: no limit).')
def start(
    port: int | None,
    host: str | None,
    no_cluster: bool,
    develop: bool,
    no_triggers: bool,
    triggers_only: bool,
    workers: int | None,
    threads_per_worker: int | None,
    mem_per_worker: str | None,
) -> None:
    """Start the server in the background (-n/-t/-m size its Dask cluster for this run)."""
    cluster = background.ClusterOptions(workers, threads_per_worker, mem_per_worker)
    _start(port, host, no_cluster, develop, _triggers_mode(no_triggers, triggers_only), cluster)


@click.command()
def stop() -> None:
    """Stop the server; running dispatches resume at the next start."""
    info = background.stop()
    if info is None:
        click.echo("No Covalent server is running.")
    else:
        click.echo(f"Covalent server stopped (pid {info.pid}).")


@click.command()
@_port_option
@click.option("--no-cluster", is_flag=True)
@_triggers_options
def restart(port: int | None, no_cluster: bool, no_triggers: bool, triggers_only: bool) -> None:
    """Stop and start the server."""
    mode = _triggers_mode(no_triggers, triggers_only)
    info = background.stop()
    _start(port or (info.port if info else None), info.host if info else None, no_cluster, False, mode)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the server's status as JSON.")
def status(as_json: bool) -> None:
    """Show the server's address, database, executors and running dispatches."""
    info = background.running()
    address = info.address if info else config.dispatcher_address()
    from covalent.client.connection import Connection

    try:
        with Connection(address, timeout=5) as conn:
            data = conn.get_json("/status")
    except Exception:
        if as_json:
            click.echo('{"running": false}')
        else:
            click.echo(
                f"{click.style(f'No Covalent server answers at {address}.', fg='red')} Start one with `covalent start`."
            )
        sys.exit(1)
    if as_json:
        import json

        click.echo(json.dumps({"running": True, "address": address, **data}, indent=2))
        return
    from rich.console import Console  # only here: the other commands stay quick to start
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_row("Address", address)
    table.add_row("Dashboard", f"{address}/")
    table.add_row("Version", f"{data.get('distribution', 'bondflow')} {data['version']}")
    if data.get("coinstalled"):
        table.add_row("[red]Conflict[/]", f"[red]{escape(data['coinstalled'])}[/]")
    table.add_row("PID", str(data["pid"]))
    table.add_row("Uptime", f"{data['uptime']:.0f} s")
    table.add_row("Database", data["database"])
    table.add_row("Default executor", data["default_executor"])
    providers = data.get("executor_distributions", {})
    installed = [f"{name} ({providers[name]})" if name in providers else name for name in data["installed_executors"]]
    table.add_row("Installed executors", ", ".join(installed))
    for ex in data["executors"]:
        details = ", ".join(f"{k}={v}" for k, v in ex.items() if k not in ("name", "config"))
        table.add_row(f"  {ex['name']}", details)
    counts = ", ".join(f"{k.lower()} {v}" for k, v in sorted(data["dispatch_counts"].items())) or "none"
    table.add_row("Dispatches", counts)
    table.add_row("Running", ", ".join(data["running_dispatches"]) or "none")
    triggers = data.get("triggers") or {}
    if triggers:
        shown = {"on": "running", "off": "disabled (--no-triggers)", "only": "running (--triggers-only)"}
        table.add_row("Triggers", f"{shown.get(triggers['mode'], triggers['mode'])}, {triggers['observing']} observed")
    Console().print(table)


@click.command()
@click.option("--lines", "-n", default=50, show_default=True, help="How many lines to show.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
def logs(lines: int, follow: bool) -> None:
    """Show the server log."""
    path = background.log_path()
    if not path.exists():
        raise click.ClickException(f"no log at {path}; has the server been started?")
    for line in tail_lines(path, lines):
        click.echo(line)
    with open(path, errors="replace") as f:
        f.seek(0, os.SEEK_END)
        while follow:
            line = f.readline()
            if line:
                click.echo(line.rstrip("\n"))
            else:
                time.sleep(0.3)


def _purgeable(hard: bool, with_config: bool) -> list[Path]:
    """What ``covalent purge`` deletes: logs, local result copies and the cache; with ``hard`` all data."""
    data = config.data_dir()
    paths = [data] if hard else [background.log_path(), config.results_dir(), config.cache_dir()]
    if with_config:
        paths.append(config.config_dir())
    return [p for p in paths if p.exists()]


@click.command()
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--hard", "-H", is_flag=True, help="Also delete the database and the object store: every recorded dispatch."
)
@click.option("--config", "with_config", is_flag=True, help="Also delete covalent.conf and the token.")
def purge(yes: bool, hard: bool, with_config: bool) -> None:
    """Stop the server and delete its logs, result copies and cache (--hard: every recorded dispatch too)."""
    paths = _purgeable(hard, with_config)
    what = ", ".join(map(str, paths)) or "nothing"
    kept = "" if hard else f" (the database in {config.data_dir()} is kept; --hard deletes it)"
    if not yes and not click.confirm(f"Stop the server and delete {what}{kept}?", default=False):
        click.echo("Nothing deleted.")
        return
    background.stop()
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    click.echo(f"Deleted {what}.{kept}")
    if hard and os.environ.get("COVALENT_DATABASE_URL"):
        click.echo("COVALENT_DATABASE_URL points at an external database; it was not touched.")
