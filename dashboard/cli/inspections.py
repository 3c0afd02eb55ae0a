"""``python -m dashboard import inspections FILE.xlsx`` and ``export inspections-template``.

The file lands whole or not at all: any problem (listed with file, row, column and reason, in
the dashboard's default language) refuses it with exit status 1. Re-importing adds nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from dashboard.cli.groups import export_group, import_group, prepared_settings, system_actor


@import_group.command("inspections")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_inspections(file: Path) -> None:
    """Import paper inspections from the Excel template (one row per inspection)."""
    settings = prepared_settings()
    from dashboard.i18n import t
    from dashboard.ingest.inspections_excel import problem_text
    from dashboard.services.inspections import InspectionsRefused, import_inspections

    lang = settings.default_language
    try:
        _read, counts = import_inspections(settings, system_actor(), file.read_bytes(), str(file), lang)
    except InspectionsRefused as refused:
        for problem in refused.read.problems:
            click.echo(problem_text(problem, lang), err=True)
        raise click.ClickException(t("inspections.import.refused", lang, file=file,
                                     count=len(refused.read.problems))) from None
    click.echo(t("inspections.import.done", lang, file=file, added=counts.added, skipped=counts.skipped,
                 opened=counts.opened, closed=counts.closed))


@export_group.command("inspections-template")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output .xlsx file.")
def export_template(out: Path) -> None:
    """Write the blank Excel template for paper inspections (Chinese headers, one example row)."""
    settings = prepared_settings()
    from dashboard.analytics import inspections as store
    from dashboard.analytics import now as dashboard_now
    from dashboard.analytics import reading
    from dashboard.ingest.inspections_excel import template_workbook

    with reading(settings.database_url) as session:
        now = dashboard_now(session, settings.tz)
        checklist = store.checklist_for(session, now.date())
        if checklist is None:
            raise click.ClickException("no checklist version is in force today: load the checklists first")
        sites = store.site_options(session)
        rows = [(r.code, r.name, r.township) for r in sites.itertuples()]
    out.write_bytes(template_workbook(checklist, rows, now, "张伟"))
    click.echo(f"template written to {out}")
