"""``serve``: the dashboard on the development server (gunicorn for production, see README)."""

from __future__ import annotations

import click

from dashboard.cli.groups import main, prepared_settings, safe_url


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Dash dev tools and reloading (never in production).")
def serve(host: str, port: int, debug: bool) -> None:
    """Serve the dashboard (development server; see README for gunicorn)."""
    settings = prepared_settings()
    from dashboard.app import create_app

    app = create_app(settings)
    click.echo(f"Database: {safe_url(settings.database_url)}")
    click.echo(f"Dashboard on http://{host}:{port}/")
    app.run(host=host, port=port, debug=debug)
