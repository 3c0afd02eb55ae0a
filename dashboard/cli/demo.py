"""``demo``: build (or rebuild) the demo district and print a login for each role."""

from __future__ import annotations

import click

from dashboard.cli.groups import main, prepared_settings, safe_url, system_actor


@main.command()
@click.option("--seed", default=2025, show_default=True, type=int, help="Random seed of the demo.")
def demo(seed: int) -> None:
    """Build (or rebuild) the demo district in the database and print how to log in."""
    settings = prepared_settings()
    from dashboard.services.demo import build_demo

    counts, logins = build_demo(settings, system_actor(), seed)
    click.echo(f"Demo district built in {safe_url(settings.database_url)}")
    click.echo(", ".join(f"{table}: {n}" for table, n in counts.items()))
    click.echo("Log in with one of these (passwords are new on every `demo` run):")
    for username, role, password in logins:
        click.echo(f"  {role:<10} user {username:<10} password {password}")
