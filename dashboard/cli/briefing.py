"""``briefing``: the pre-meeting briefing as a PDF, the same page the browser prints."""

from __future__ import annotations

import time
from pathlib import Path

import click

from dashboard.cli.groups import main, prepared_settings


@main.command()
@click.option("--meeting", "number", type=int, default=None,
              help="Meeting number (default: the next meeting, the days since the last one).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="PDF file to write.")
@click.option("--user", "username", default=None,
              help="Account whose view is printed (default: the first active administrator).")
def briefing(number: int | None, lang: str, out: Path, username: str | None) -> None:
    """Write the briefing for a dispatch meeting to a PDF (A4, needs Chromium)."""
    from dashboard import printing

    try:
        printing.chromium()
    except printing.RendererMissing as exc:
        raise click.ClickException(str(exc)) from None
    settings = prepared_settings()
    from dashboard.analytics import briefing as briefing_analytics
    from dashboard.analytics.accounts import print_account
    from dashboard.app import create_app
    from dashboard.auth import ONE_TIME_PARAM, grant_one_login, new_one_time_token
    from dashboard.store.db import read_scope

    started = time.perf_counter()
    with read_scope(settings.database_url) as session:
        user_id = print_account(session, username)
        if user_id is None:
            raise click.ClickException(
                f"no active user named {username}" if username else
                "no active administrator: create one first (python -m dashboard users add …) or name one with --user")
        if number is not None and not briefing_analytics.briefing_exists(session, number):
            raise click.ClickException(f"there is no meeting No. {number}")
    token = new_one_time_token()
    path = f"/briefing/{number}" if number is not None else "/briefing"
    with printing.serving() as (base, serve):
        job = printing.PrintJob(f"{base}{path}?{ONE_TIME_PARAM}={token}")
        try:
            app = create_app(settings)
        except BaseException:
            job.cancel()
            raise
        grant_one_login(app.server, user_id, token, lang)
        serve(app.server)
        try:
            job.finish(out)
        except printing.RenderFailed as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{out} written in {time.perf_counter() - started:.1f} s")
