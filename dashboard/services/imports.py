"""Air-quality data coming in: hourly readings (CNEMC files, OpenAQ) and official station lists.

Editors and admins only (the command line acts as an admin). Each file, day or location is one
transaction: a refused one leaves nothing behind, and importing the same data again adds nothing.
The readers in ``ingest/`` have checked every value; here the rows land and are audited.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from dashboard.domain.aqi import TIMEZONE
from dashboard.ingest.report import ImportReport, Problem
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import readings as store
from dashboard.store.db import session_scope
from dashboard.store.readings import ReadingConflict
from dashboard.store.users import audit


def import_readings(settings: Settings, actor: Actor, frame: pd.DataFrame, report: ImportReport, source: str,
                    on_conflict: str = "refuse", stations: pd.DataFrame | None = None,
                    defer_daily: bool = False) -> ImportReport:
    """Save one file's (or location's) readings in one transaction; returns ``report`` with the
    counts, or with ``refused`` set (a value that differs from a stored one under
    ``on_conflict="refuse"``, or a database error) and nothing saved. ``defer_daily``: part of
    a batch that ends with ``refresh_air_daily`` (the daily values wait for it)."""
    require(actor, "editor")
    try:
        with session_scope(settings.database_url) as session:
            counts = store.import_readings(session, frame, source, on_conflict=on_conflict, stations=stations,
                                           defer_daily=defer_daily)
            if counts.added or counts.conflicts:
                audit(session, actor.user_id, "import", "readings", None,
                      {"file": report.file, "source": source, "added": counts.added,
                       "replaced": counts.conflicts if on_conflict == "update" else 0})
    except ReadingConflict as exc:
        examples = "; ".join(
            f"{r.station_code} {r.pollutant} {r.time.tz_convert(TIMEZONE):%Y-%m-%d %H:%M}: "
            f"stored {r.stored:g}, new {r.new:g}"
            for r in exc.rows.head(5).itertuples()
        )
        report.refused = Problem(
            report.file, None, None,
            f"{len(exc.rows)} value(s) differ from those already stored ({examples}); nothing of this file "
            "was saved (--on-conflict update replaces them)",
        )
        return report
    except SQLAlchemyError as exc:
        report.refused = Problem(report.file, None, None,
                                 f"database error, nothing saved: {exc.__class__.__name__}: {str(exc)[:200]}")
        return report
    report.added = counts.added
    report.skipped += counts.skipped
    report.conflicts = counts.conflicts
    return report


def import_station_list(settings: Settings, actor: Actor, frame: pd.DataFrame, valid_from: dt.date,
                        file: Path | str) -> dict[str, int]:
    """Save a checked station list (``ingest.cnemc.read_station_list``) in force from ``valid_from``."""
    require(actor, "editor")
    with session_scope(settings.database_url) as session:
        counts = store.upsert_stations(session, frame, valid_from)
        audit(session, actor.user_id, "import", "stations", None,
              {"file": str(file), "valid_from": valid_from.isoformat(), **counts})
    return counts


def refresh_air_daily(settings: Settings, actor: Actor) -> int:
    """End a batch import: refresh the daily air values its files left pending, in one
    transaction (idempotent: nothing pending, nothing done). Returns the station-days refreshed."""
    require(actor, "editor")
    from dashboard.analytics.air_daily import refresh_pending

    with session_scope(settings.database_url) as session:
        return refresh_pending(session)


def rebuild_air_daily(settings: Settings, actor: Actor) -> int:
    """Recompute every daily air row from the readings in one transaction (``db check --repair``);
    admins only. Returns the rows written."""
    require(actor, "admin")
    from dashboard.analytics.air_daily import rebuild

    with session_scope(settings.database_url) as session:
        written = rebuild(session)
        audit(session, actor.user_id, "rebuild", "air_daily", None, {"rows": written})
    return written


def rebuild_compliance_daily(settings: Settings, actor: Actor) -> int:
    """Recompute the compliance rows per township and day from the inspections in one
    transaction (``db check --repair``); admins only. Returns the daily rows written."""
    require(actor, "admin")
    from dashboard.analytics.compliance_daily import rebuild

    with session_scope(settings.database_url) as session:
        written = rebuild(session)
        audit(session, actor.user_id, "rebuild", "compliance_daily", None, {"rows": written})
    return written
