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

from dashboard.cli_data import export_group, import_group


@import_group.command("sites")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_sites(file: Path) -> None:
    """Import or update construction sites from an Excel file (工地台账, Chinese headers)."""
    from dashboard.cli import _prepared_settings

    settings = _prepared_settings()
    from dashboard.ingest.sites_excel import read_sites
    from dashboard.store import sites as store
    from dashboard.store.db import session_scope

    with session_scope(settings.database_url) as session:
        townships = store.township_ids_by_name(session)
    checked = read_sites(file, townships, file=str(file), lang=settings.default_language)
    if not checked.ok:
        for problem in checked.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"REFUSED {file}: {len(checked.problems)} problem(s) in {checked.rows_read} row(s); nothing was saved"
        )
    with session_scope(settings.database_url) as session:
        result = store.upsert_sites(session, checked.sites, user_id=None, source=f"cli:{file.name}")
    click.echo(f"{file}: {checked.rows_read} row(s) read, {len(result['added'])} site(s) added, "
               f"{len(result['updated'])} updated, {len(result['unchanged'])} unchanged")


@export_group.command("sites")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output .xlsx file (same columns as the import).")
def export_sites(out: Path) -> None:
    """Write every site in the import format (coordinates in the system they were entered in)."""
    if out.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"{out.name}: use an .xlsx file name", param_hint="--out")
    from dashboard.cli import _prepared_settings

    settings = _prepared_settings()
    from dashboard.ingest.sites_excel import export_rows, write_sites
    from dashboard.store import sites as store
    from dashboard.store.db import session_scope

    with session_scope(settings.database_url) as session:
        frame = store.sites_frame(session)
        names = dict(zip(frame["township_id"], frame["township"], strict=True))
    rows = export_rows(frame.astype(object).where(frame.notna(), None).to_dict("records"), names)
    try:
        write_sites(rows, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"{len(rows)} site(s) written to {out}")
