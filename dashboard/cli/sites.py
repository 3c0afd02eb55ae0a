"""Site registry commands: ``import sites FILE.xlsx`` and ``export sites --out FILE.xlsx``.

The file format (Chinese headers, one site per row) is described in
``dashboard/ingest/sites_excel.py``. An import upserts by 工地编号 in one transaction: any problem
in any row refuses the whole file (every problem is listed with file, row, column and reason,
exit status 1) and nothing is saved; importing the same file again changes nothing.
Messages about the file's content are in the default language (DASHBOARD_LANGUAGE, zh).
"""

from __future__ import annotations

from pathlib import Path

import click

from dashboard.cli.groups import export_group, import_group, prepared_settings, system_actor


@import_group.command("sites")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_sites(file: Path) -> None:
    """Import or update construction sites from an Excel file (工地台账, Chinese headers)."""
    settings = prepared_settings()
    from dashboard.services.sites import SitesRefused, import_sites

    try:
        checked, result = import_sites(settings, system_actor(), file, str(file), settings.default_language)
    except SitesRefused as refused:
        for problem in refused.checked.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"REFUSED {file}: {len(refused.checked.problems)} problem(s) in {refused.checked.rows_read} row(s); "
            "nothing was saved"
        ) from None
    click.echo(f"{file}: {checked.rows_read} row(s) read, {len(result['added'])} site(s) added, "
               f"{len(result['updated'])} updated, {len(result['unchanged'])} unchanged")


@export_group.command("sites")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output .xlsx file (same columns as the import).")
def export_sites(out: Path) -> None:
    """Write every site in the import format (coordinates in the system they were entered in)."""
    if out.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"{out.name}: use an .xlsx file name", param_hint="--out")
    settings = prepared_settings()
    from dashboard.analytics import reading
    from dashboard.analytics.sites import registry
    from dashboard.ingest.sites_excel import export_rows, write_sites

    with reading(settings.database_url) as session:
        frame = registry(session)
        names = dict(zip(frame["township_id"], frame["township"], strict=True))
    rows = export_rows(frame.astype(object).where(frame.notna(), None).to_dict("records"), names)
    try:
        write_sites(rows, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"{len(rows)} site(s) written to {out}")
