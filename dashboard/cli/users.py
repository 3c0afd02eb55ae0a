"""``users set`` and ``users list``: accounts, from the machine the dashboard runs on."""

from __future__ import annotations

import click

from dashboard.cli.groups import main, prepared_settings, system_actor
from dashboard.domain.roles import ROLES


@main.group()
def users() -> None:
    """User accounts."""


@users.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", "display_name", default="", help="Name shown in the dashboard.")
@click.option("--township", default=None, help="Township of an inspector (its Chinese name).")
@click.password_option(help="Asked for when not given.")
def users_set(username: str, role: str, display_name: str, township: str | None, password: str) -> None:
    """Create a user, or reset an existing user's password and role."""
    settings = prepared_settings()
    from dashboard.services.users import InvalidUser, set_user

    try:
        set_user(settings, system_actor(), username, password=password, role=role, display_name=display_name,
                 township=township)
    except InvalidUser as exc:
        raise click.ClickException(_refusal(exc)) from None
    click.echo(f"user {username} ({role}) saved")


def _refusal(exc) -> str:
    if exc.code == "unknown_township":
        return f"no township named {exc.details['township']!r}"
    if exc.code == "bad_username":
        return "a user name must be 1 to 64 characters"
    if exc.code == "bad_password":
        from dashboard.i18n import t

        return " ".join(t(f"account.password.{p}", "en", min_length=exc.details["min_length"])
                        for p in exc.details["problems"])
    return f"refused: {exc.code} {exc.details}"


@users.command("list")
def users_list() -> None:
    """List user accounts."""
    settings = prepared_settings()
    from dashboard.analytics import reading
    from dashboard.analytics.accounts import user_list

    with reading(settings.database_url) as session:
        for user in user_list(session):
            state = "" if user.active else " (inactive)"
            click.echo(f"{user.username:<16} {user.role:<10} {user.display_name}{state}")
