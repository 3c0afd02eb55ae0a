"""Frames of the sites page (the registry grid) and of one site's detail page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics.compliance import RATE_DAYS, site_rates
from dashboard.domain import compliance as measures
from dashboard.store import clock
from dashboard.store import compliance as compliance_store
from dashboard.store import sites as store

#: The grid's compliance filter: band → (lowest rate, highest rate), rates as fractions.
COMPLIANCE_BANDS: dict[str, tuple[float, float]] = {
    "below80": (0.0, 0.8),
    "80to95": (0.8, 0.95),
    "from95": (0.95, 1.0 + 1e-9),
}
NO_RATE_BAND = "none"


def site_table(session: Session, tz: ZoneInfo) -> tuple[pd.DataFrame, dt.date]:
    """Every site with its 30-day compliance (rate, checks, inspections), last inspection and
    open rectifications; and today."""
    today = clock.today(session, tz)
    sites = store.sites_frame(session)
    rates = site_rates(session, tz, today, RATE_DAYS).rename(columns={"site_id": "id"})
    frame = sites.merge(rates, on="id", how="left")
    for col in ("applicable", "inspections", "failed_inspections", "open_rectifications"):
        frame[col] = frame[col].fillna(0).astype("int64")
    return frame, today


def filter_sites(frame: pd.DataFrame, townships: list[int] | None = None, statuses: list[str] | None = None,
                 plates: list[str] | None = None, band: str | None = None) -> pd.DataFrame:
    """Rows matching every given filter (an empty or None filter keeps all rows).

    ``band``: a ``COMPLIANCE_BANDS`` key (rate in [low, high)) or ``"none"`` (no applicable
    check in the last 30 days).
    """
    keep = pd.Series(True, index=frame.index)
    if townships:
        keep &= frame["township_id"].isin([int(t) for t in townships])
    if statuses:
        keep &= frame["status"].isin(statuses)
    if plates:
        keep &= frame["plate"].isin(plates)
    if band == NO_RATE_BAND:
        keep &= frame["rate"].isna()
    elif band in COMPLIANCE_BANDS:
        low, high = COMPLIANCE_BANDS[band]
        keep &= (frame["rate"] >= low) & (frame["rate"] < high)
    return frame[keep]


@dataclass(frozen=True)
class SiteDetail:
    today: dt.date
    site: dict[str, Any]
    neighbours: pd.DataFrame  # the township's sites: id, code, name, longitude, latitude, plate, status
    inspections: pd.DataFrame  # store INSPECTION_FRAME_COLUMNS, newest first
    results: pd.DataFrame  # inspection_id, date, inspected_at, item_key, result: the heat map's weeks
    labels: pd.DataFrame  # key, label, label_en, position
    rectifications: pd.DataFrame  # open ones: ..., days_overdue
    plates: pd.DataFrame  # plate, changed_at, reason
    alerts: pd.DataFrame  # id, level, starts_at, ends_at, checks, violations
    rate: float  # over the last RATE_DAYS days
    applicable: int


def _alerts_of_site(alerts: pd.DataFrame, inspections: pd.DataFrame, site: dict[str, Any], today: dt.date,
                    tz: ZoneInfo) -> pd.DataFrame:
    """Alerts that overlapped the site's life (from its start, or its first inspection, to
    today) with the number of checks during each and how many found it working."""
    first = site.get("started_on")
    if first is None and not inspections.empty:
        first = min(inspections["date"])
    rows = []
    for alert in alerts.itertuples():
        start_day = alert.starts_at.tz_convert(tz).date()
        end_day = alert.ends_at.tz_convert(tz).date() if pd.notna(alert.ends_at) else today
        if start_day > today or (first is not None and end_day < first):
            continue
        end = alert.ends_at if pd.notna(alert.ends_at) else pd.Timestamp.max.tz_localize("UTC")
        times = pd.to_datetime(inspections["inspected_at"], utc=True)
        during = inspections[((times >= alert.starts_at) & (times < end)) | (inspections["alert_id"] == alert.id)]
        rows.append({"id": alert.id, "level": alert.level, "starts_at": alert.starts_at, "ends_at": alert.ends_at,
                     "checks": len(during), "violations": int(during["working_during_stop"].sum())})
    return pd.DataFrame(rows, columns=["id", "level", "starts_at", "ends_at", "checks", "violations"])


#: The heat map's spans in weeks, the first the page opens on; a column per inspection, so five
#: years of weekly checks (260 columns) never go to a browser in one figure.
HEAT_WEEKS = (13, 26, 52)


def heat_start(today: dt.date, weeks: int) -> dt.date:
    """The first day of a heat map span of ``weeks`` weeks ending today."""
    return today - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)


def site_detail(session: Session, site_id: int, tz: ZoneInfo, heat_weeks: int = HEAT_WEEKS[1]) -> SiteDetail | None:
    """Everything the site page shows, or None for an unknown site; ``results`` covers the last
    ``heat_weeks`` weeks (the heat map's span)."""
    site = store.get_site(session, site_id)
    if site is None:
        return None
    today = clock.today(session, tz)
    info = store.site_values(site) | {
        "id": site.id, "plate": site.plate, "version": site.version,
        "township": site.township.name, "township_en": site.township.name_en,
    }
    sites = store.sites_frame(session)
    neighbours = sites[sites["township_id"] == site.township_id][
        ["id", "code", "name", "longitude", "latitude", "plate", "status"]]
    inspections = compliance_store.inspections_frame(session, None, today, tz, site_id=site_id)
    since = today - dt.timedelta(days=RATE_DAYS - 1)
    first = heat_start(today, heat_weeks)
    loaded = compliance_store.results_frame(session, min(since, first), today, tz, site_id=site_id)
    # Boolean Series, not lists: an empty list would select no columns instead of no rows.
    recent = loaded[pd.Series([d >= since for d in loaded["date"]], index=loaded.index, dtype=bool)]
    results = loaded[pd.Series([d >= first for d in loaded["date"]], index=loaded.index, dtype=bool)]
    rects = store.rectifications(session, site_id)
    open_rects = rects[rects["status"] == "open"].copy()
    open_rects["days_overdue"] = [max(0, (today - d).days) for d in open_rects["deadline"]]
    return SiteDetail(
        today=today,
        site=info,
        neighbours=neighbours.reset_index(drop=True),
        inspections=inspections.iloc[::-1].reset_index(drop=True),
        results=results,
        labels=compliance_store.item_labels(session),
        rectifications=open_rects.reset_index(drop=True),
        plates=store.plate_history(session, site_id),
        alerts=_alerts_of_site(compliance_store.alerts(session), inspections, info, today, tz),
        rate=measures.compliance_rate(recent),
        applicable=int(recent["result"].isin(["pass", "fail"]).sum()),
    )


def site_heat(session: Session, site_id: int, tz: ZoneInfo, weeks: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The results and inspections of the site's last ``weeks`` weeks (the heat map's data)."""
    today = clock.today(session, tz)
    first = heat_start(today, weeks)
    return (compliance_store.results_frame(session, first, today, tz, site_id=site_id),
            compliance_store.inspections_frame(session, first, today, tz, site_id=site_id))


def site_inspections(session: Session, site_id: int, tz: ZoneInfo) -> pd.DataFrame:
    """The site's submitted inspections (store INSPECTION_FRAME_COLUMNS), newest first."""
    today = clock.today(session, tz)
    frame = compliance_store.inspections_frame(session, None, today, tz, site_id=site_id)
    return frame.iloc[::-1].reset_index(drop=True)


def item_labels(session: Session) -> pd.DataFrame:
    return compliance_store.item_labels(session)


def today(session: Session, tz: ZoneInfo) -> dt.date:
    return clock.today(session, tz)


def townships(session: Session) -> pd.DataFrame:
    """Every township: id, name, name_en, in display order."""
    return store.townships(session)


def next_code(session: Session) -> str:
    """The code a new site is offered (GD-0001 style)."""
    return store.next_code(session)


def site_for_edit(session: Session, site_id: int) -> tuple[dict[str, Any], int] | None:
    """The editable values of a site (coordinates in WGS-84) and its version, or None."""
    site = store.get_site(session, site_id)
    return (store.site_values(site), site.version) if site is not None else None


def fields_changed(loaded: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """What someone else changed: fields whose stored values differ from those the form loaded."""
    return store.changed_fields(store.normalise_loaded(loaded) or {}, current)


def with_positions(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (sites by ``id``, in its order) with each site's stored WGS-84 ``longitude`` and
    ``latitude`` (missing where none was entered)."""
    positions = store.sites_frame(session)[["id", "longitude", "latitude"]]
    return frame.merge(positions, on="id", how="left", validate="one_to_one")


def registry(session: Session) -> pd.DataFrame:
    """Every site with its township's names, by township then code (the export's rows)."""
    return store.sites_frame(session)
