"""The command groups and what every command shares: settings with the schema brought up to date.

Every command reads ``DATABASE_URL`` (settings) and creates or upgrades the schema first. Heavy
imports are deferred into the commands, so ``python -m dashboard import …`` does not pay for Dash.
Commands act as ``Actor.system()``: whoever runs them has the machine, and so the database.
"""

from __future__ import annotations

import click

from dashboard.settings import Settings, load_settings

DATE = click.DateTime(formats=["%Y-%m-%d", "%Y%m%d"])


def safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def prepared_settings() -> Settings:
    """The settings, with the database reachable and its schema up to date (or a clear error)."""
    from dashboard.store.db import ensure_schema

    settings = load_settings()
    try:
        ensure_schema(settings.database_url)
    except Exception as exc:  # a wrong URL or an unreachable server: say so, no traceback
        raise click.ClickException(f"cannot open the database {safe_url(settings.database_url)}: {exc}") from exc
    return settings


def system_actor():
    from dashboard.services.access import Actor

    return Actor.system()


class _Main(click.Group):
    """The top group: a database error in any command is a message, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from sqlalchemy.exc import SQLAlchemyError

            if not isinstance(exc, SQLAlchemyError):
                raise
            raise click.ClickException(
                f"database error, nothing of this command's last step was saved: "
                f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:300]}"
            ) from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """大气污染防治攻坚 指挥调度看板 — campaign dashboard for district air-pollution control."""


@main.group("import")
def import_group() -> None:
    """Import data files: CNEMC daily files, station lists, sites, inspections, ledgers."""


@main.group("export")
def export_group() -> None:
    """Export tables (CSV or Excel)."""


@main.group("fetch")
def fetch_group() -> None:
    """Download data (CNEMC mirror, OpenAQ) and import it."""
