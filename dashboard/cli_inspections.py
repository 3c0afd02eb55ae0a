"""``python -m dashboard import inspections FILE.xlsx`` and ``export inspections-template``.

The file lands whole or not at all: any problem (listed with file, row, column and reason, in
the dashboard's default language) refuses it with exit status 1. Re-importing adds nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from dashboard.cli_data import export_group, import_group


@import_group.command("inspections")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_inspections(file: Path) -> None:
    """Import paper inspections from the Excel template (one row per inspection)."""
    from dashboard.cli import _prepared_settings

    settings = _prepared_settings()
    from dashboard.i18n import t
    from dashboard.ingest.inspections_excel import import_file, problem_text
    from dashboard.store.db import session_factory

    lang = settings.default_language
    session = session_factory(settings.database_url)()
    try:
        read, counts = import_file(session, file.read_bytes(), str(file), user_id=None, tz=settings.tz, lang=lang)
        if counts is None:
            session.rollback()
            for problem in read.problems:
                click.echo(problem_text(problem, lang), err=True)
            raise click.ClickException(t("inspections.import.refused", lang, file=file, count=len(read.problems)))
        session.commit()
    finally:
        session.close()
    click.echo(t("inspections.import.done", lang, file=file, added=counts.added, skipped=counts.skipped,
                 opened=counts.opened, closed=counts.closed))


@export_group.command("inspections-template")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output .xlsx file.")
def export_template(out: Path) -> None:
    """Write the blank Excel template for paper inspections (Chinese headers, one example row)."""
    from dashboard.cli import _prepared_settings

    settings = _prepared_settings()
    from dashboard.ingest.inspections_excel import template_workbook
    from dashboard.store import clock
    from dashboard.store import inspections as store
    from dashboard.store.db import session_scope

    with session_scope(settings.database_url) as session:
        now = clock.now(session, settings.tz)
        checklist = store.checklist_for(session, now.date())
        if checklist is None:
            raise click.ClickException("no checklist version is in force today: load the checklists first")
        sites = store.site_options(session)
        rows = [(r.code, r.name, r.township) for r in sites.itertuples()]
    out.write_bytes(template_workbook(checklist, rows, now, "张伟"))
    click.echo(f"template written to {out}")
