"""Ledger commands: ``export ledger --out FILE.xlsx`` and ``import ledger FILE.xlsx``.

The file has the columns staff already use (``ingest.ledger_excel.COLUMNS``). An import is one
transaction: a file with any bad row (or an unknown meeting or unit) is refused whole with every
problem listed by file, row, column and reason, and the command exits with status 1. Importing
the same file again changes nothing (lines are keyed by 会议 and 序号).
"""

from __future__ import annotations

from pathlib import Path

import click

from dashboard.cli.groups import export_group, import_group, prepared_settings, system_actor


@export_group.command("ledger")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output .xlsx file.")
@click.option("--meeting", "meeting", type=int, help="Only the items assigned by this meeting (its number).")
@click.option("--open-only", is_flag=True, help="Only items not done or verified.")
def export_ledger(out: Path, meeting: int | None, open_only: bool) -> None:
    """Write the task ledger (任务台账) as an Excel file."""
    if out.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"{out.name}: use an .xlsx file name", param_hint="--out")
    settings = prepared_settings()
    from dashboard.analytics import reading, today
    from dashboard.analytics.meetings import get_meeting, ledger_table
    from dashboard.domain.ledger import CLOSED_STATUSES
    from dashboard.ingest.ledger_excel import export_rows, write_ledger

    with reading(settings.database_url) as session:
        ids = None
        if meeting is not None:
            found = get_meeting(session, meeting)
            if found is None:
                raise click.ClickException(f"no meeting number {meeting} is recorded")
            ids = [found.id]
        frame = ledger_table(session, today(session, settings.tz), settings.tz, ids)
    if open_only and not frame.empty:
        frame = frame[~frame["status"].isin(CLOSED_STATUSES)]
    rows = export_rows(frame) if not frame.empty else []
    try:
        write_ledger(rows, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"{len(rows)} ledger line(s) written to {out}")


@import_group.command("ledger")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_ledger(file: Path) -> None:
    """Import a ledger kept in Excel (same columns as the export)."""
    settings = prepared_settings()
    from sqlalchemy.exc import SQLAlchemyError

    from dashboard.ingest.ledger_excel import LedgerFileError
    from dashboard.services import ledger as service

    try:
        resolved, counts = service.import_ledger(settings, system_actor(), file)
    except LedgerFileError as exc:
        click.echo(f"REFUSED {file.name}: {len(exc.problems)} problem(s), nothing was saved", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"{file.name}: database error, nothing saved: {exc.__class__.__name__}: {exc}"
        ) from None
    click.echo(
        f"{file.name}: {len(resolved)} line(s) read, {counts['added']} added, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged"
    )
