"""Command line: ``python -m dashboard COMMAND``.

Every command reads ``DATABASE_URL`` (settings) and creates or upgrades the schema first.
Imports are deferred into the commands so that data commands start without loading Dash.
"""

from __future__ import annotations

import secrets
import sys

import click

from dashboard.settings import load_settings


def _prepared_settings():
    from dashboard.store.db import ensure_schema

    settings = load_settings()
    try:
        ensure_schema(settings.database_url)
    except Exception as exc:  # a wrong URL or an unreachable server: say so, no traceback
        raise click.ClickException(f"cannot open the database {_safe_url(settings.database_url)}: {exc}") from exc
    return settings


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """大气污染防治攻坚 指挥调度看板 — campaign dashboard for district air-pollution control."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Dash dev tools and reloading (never in production).")
def serve(host: str, port: int, debug: bool) -> None:
    """Serve the dashboard (development server; see README for gunicorn)."""
    settings = _prepared_settings()
    from dashboard.app import create_app

    app = create_app(settings)
    click.echo(f"Database: {_safe_url(settings.database_url)}")
    click.echo(f"Dashboard on http://{host}:{port}/")
    app.run(host=host, port=port, debug=debug)


DEMO_USERS = [
    ("admin", "admin", "系统管理员"),
    ("editor", "editor", "区环境攻坚办"),
    ("inspector", "inspector", "侯寨乡巡查员"),
    ("viewer", "viewer", "区长（查看）"),
]


@main.command()
@click.option("--seed", default=2025, show_default=True, type=int, help="Random seed of the demo.")
def demo(seed: int) -> None:
    """Build (or rebuild) the demo district in the database and print how to log in."""
    settings = _prepared_settings()
    from dashboard.demo.generate import generate_district
    from dashboard.store.db import session_scope
    from dashboard.store.demo_load import load_demo
    from dashboard.store.users import upsert_user
    from dashboard.store.overview import township_id_by_name

    district = generate_district(seed)
    logins = []
    with session_scope(settings.database_url) as session:
        counts = load_demo(session, district)
        inspector_township = township_id_by_name(session, "侯寨乡")
        for username, role, name in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            upsert_user(
                session,
                username,
                password,
                role,
                display_name=name,
                township_id=inspector_township if role == "inspector" else None,
            )
            logins.append((username, role, password))
    click.echo(f"Demo district built in {_safe_url(settings.database_url)}")
    click.echo(", ".join(f"{table}: {n}" for table, n in counts.items()))
    click.echo("Log in with one of these (passwords are new on every `demo` run):")
    for username, role, password in logins:
        click.echo(f"  {role:<10} user {username:<10} password {password}")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema (Alembic migrations)."""
    from dashboard.store.db import current_revisions, upgrade

    settings = load_settings()
    upgrade(settings.database_url, revision)
    revisions = ", ".join(sorted(current_revisions(settings.database_url)))
    click.echo(f"{_safe_url(settings.database_url)} is at revision {revisions}")


@main.group()
def users() -> None:
    """User accounts."""


@users.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "inspector", "editor", "admin"]), required=True)
@click.option("--name", "display_name", default="", help="Name shown in the dashboard.")
@click.option("--township", default=None, help="Township of an inspector (its Chinese name).")
@click.password_option(help="Asked for when not given.")
def users_set(username: str, role: str, display_name: str, township: str | None, password: str) -> None:
    """Create a user, or reset an existing user's password and role."""
    settings = _prepared_settings()
    from dashboard.store.db import session_scope
    from dashboard.store.overview import township_id_by_name
    from dashboard.store.users import upsert_user

    with session_scope(settings.database_url) as session:
        township_id = None
        if township:
            township_id = township_id_by_name(session, township)
            if township_id is None:
                raise click.ClickException(f"no township named {township!r}")
        upsert_user(session, username, password, role, display_name, township_id)
    click.echo(f"user {username} ({role}) saved")


@users.command("list")
def users_list() -> None:
    """List user accounts."""
    settings = _prepared_settings()
    from dashboard.store.db import session_scope
    from dashboard.store.users import list_users

    with session_scope(settings.database_url) as session:
        for user in list_users(session):
            state = "" if user.active else " (inactive)"
            click.echo(f"{user.username:<16} {user.role:<10} {user.display_name}{state}")


from dashboard.cli_data import export_group, fetch_group, import_group  # noqa: E402

main.add_command(import_group, "import")
main.add_command(fetch_group, "fetch")
main.add_command(export_group, "export")


def _load_area_commands() -> None:
    """Import every ``dashboard/cli_*.py``: each attaches its subcommands to the groups above.

    Those modules import only click and the groups at top level, so start-up stays light.
    """
    import importlib
    import pkgutil

    import dashboard

    for info in pkgutil.iter_modules(dashboard.__path__):
        if info.name.startswith("cli_") and info.name != "cli_data":
            importlib.import_module(f"dashboard.{info.name}")


_load_area_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
