"""Write a generated demo district into the database: ``load_demo(session, district)``.

The only place where the demo meets SQL. Inside the caller's transaction it deletes every domain
row (all tables of ``models.py`` except ``users``, ``audit_log`` and Alembic's version table),
bulk-inserts the district with its explicit ids (the site dust monitors' readings through
``store.site_dust.insert_readings``, as the receiver stores them), pins the demo clock in ``app_settings``
(``frozen_today``, ``demo_seed``; also the district's name, ``district.name``) and returns row
counts per table. Loading twice gives the same database. Works on SQLite and PostgreSQL (on
PostgreSQL the id sequences are moved past the inserted ids, so rows created later by the app
do not collide).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy.orm import Session

from dashboard.demo.generate import DISTRICT_NAME, DemoDistrict, bj
from dashboard.domain.district import DISTRICT_NAME_KEY
from dashboard.store import models as M
from dashboard.store.site_dust import READING_COLUMNS
from dashboard.store.site_dust import insert_readings as insert_dust_readings

DEMO_SOURCE = "demo"
# Readings older than this many days before the frozen day are marked validated (审核数据).
VALIDATED_AFTER_DAYS = 2
_CHUNK = 20_000

_TABLES: dict[str, type[M.Base]] = {
    "townships": M.Township,
    "units": M.Unit,
    "checklist_versions": M.ChecklistVersion,
    "checklist_items": M.ChecklistItem,
    "sites": M.Site,
    "plate_changes": M.PlateChange,
    "alerts": M.Alert,
    "inspections": M.Inspection,
    "inspection_results": M.InspectionResult,
    "rectifications": M.Rectification,
    "meetings": M.Meeting,
    "meeting_problems": M.MeetingProblem,
    "meeting_decisions": M.MeetingDecision,
    "accountability_records": M.AccountabilityRecord,
    "action_items": M.ActionItem,
    "action_item_changes": M.ActionItemChange,
    "stations": M.Station,
    "station_versions": M.StationVersion,
    "dust_monitors": M.DustMonitor,
}

# Children before parents.
_DELETE_ORDER: tuple[type[M.Base], ...] = (
    # Site dust monitors stand on the demo's sites: a rebuilt demo starts without them.
    M.DustReading,
    M.DustMonitor,
    M.TownshipStation,
    M.ActionItemChange,
    M.ActionItem,
    M.AccountabilityRecord,
    M.MeetingDecision,
    M.MeetingProblem,
    M.Meeting,
    M.Rectification,
    M.InspectionResult,
    M.Inspection,
    M.PlateChange,
    M.Site,
    M.ChecklistItem,
    M.ChecklistVersion,
    M.Reading,
    M.AirDaily,
    M.ComplianceDaily,
    M.ComplianceDailyItem,
    M.StationVersion,
    M.Station,
    M.Alert,
    M.Unit,
    M.AppSetting,
    M.Township,
)


def _table(model: type[M.Base]) -> Table:
    return model.__table__  # type: ignore[return-value]


def _clear(session: Session) -> dict[int, str]:
    """Delete the domain rows; return the township code each user was assigned to."""
    user_townships = {
        uid: code
        for uid, code in session.execute(
            select(M.User.id, M.Township.code).join(M.Township, M.User.township_id == M.Township.id)
        )
    }
    session.execute(update(_table(M.User)).where(M.User.township_id.is_not(None)).values(township_id=None))
    for model in _DELETE_ORDER:
        session.execute(delete(_table(model)))
    return user_townships


def _reading_rows(district: DemoDistrict, station_ids: dict[str, int]) -> list[dict[str, Any]]:
    frame = district.readings
    if frame.empty:
        return []
    sid = frame["station_code"].map(station_ids)
    if sid.isna().any():
        missing = sorted(set(frame.loc[sid.isna(), "station_code"]))
        raise ValueError(f"readings for unknown stations: {missing}")
    cutoff = bj(district.today - timedelta(days=VALIDATED_AFTER_DAYS))
    times = frame["time"].dt.to_pydatetime()
    validated = (frame["time"] < cutoff).to_numpy()
    return [
        {"station_id": s, "pollutant": p, "time": t, "value": v, "source": DEMO_SOURCE, "validated": ok}
        for s, p, t, v, ok in zip(
            sid.astype(int).tolist(),
            frame["pollutant"].tolist(),
            times,
            frame["value"].astype(float).tolist(),
            np.asarray(validated, dtype=bool).tolist(),
            strict=True,
        )
    ]


def _reset_sequences(session: Session) -> None:
    for model in _TABLES.values():
        table = _table(model)
        if "id" not in table.c:
            continue
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
            )
        )


def load_demo(session: Session, district: DemoDistrict) -> dict[str, int]:
    """Replace all domain data by ``district``; returns the number of rows written per table."""
    user_townships = _clear(session)
    counts: dict[str, int] = {}
    for name, rows in district.records().items():
        if rows:
            session.execute(insert(_table(_TABLES[name])), rows)
        counts[name] = len(rows)

    station_ids = {s["code"]: s["id"] for s in district.stations}
    readings = _reading_rows(district, station_ids)
    for start in range(0, len(readings), _CHUNK):
        session.execute(insert(_table(M.Reading)), readings[start : start + _CHUNK])
    counts["readings"] = len(readings)
    # The receiver's own insert: the demo's monitors hold what a receiver would have stored.
    frame = district.dust_readings
    dust_rows = list(zip(*(frame[c].tolist() for c in READING_COLUMNS), strict=True)) if len(frame) else []
    insert_dust_readings(session, dust_rows)
    counts["dust_readings"] = len(dust_rows)

    settings = [
        {"key": "frozen_today", "value": district.today.isoformat()},
        {"key": "demo_seed", "value": str(district.seed)},
        {"key": DISTRICT_NAME_KEY, "value": DISTRICT_NAME},
    ]
    session.execute(insert(_table(M.AppSetting)), settings)
    counts["app_settings"] = len(settings)

    # Give inspectors back their township (same code, new id) where it still exists.
    if user_townships:
        ids = {t["code"]: t["id"] for t in district.townships}
        for uid, code in user_townships.items():
            if code in ids:
                session.execute(update(_table(M.User)).where(M.User.id == uid).values(township_id=ids[code]))

    if session.get_bind().dialect.name == "postgresql":
        _reset_sequences(session)
    session.flush()
    # Derived daily values (and the data version caches key on) follow the new readings.
    from dashboard.analytics.air_daily import rebuild

    counts["air_daily"] = rebuild(session)
    from dashboard.analytics import compliance_daily

    counts["compliance_daily"] = compliance_daily.rebuild(session)
    return counts
