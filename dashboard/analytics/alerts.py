"""Frames of the alerts page: alert periods with the measures of their level, and per alert
which sites were checked, which were found working during the stop order, and which were not
checked at all.

A check belongs to an alert when it was made during the alert period or was recorded against
the alert (``alert_id``). Sites "in scope" of an alert: the site had started by the alert's end
and is either active now or was still inspected on or after the alert's first day (a site
suspended or completed since then was evidently still working at the time; the registry keeps
no status history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics.versioned import VersionedCache
from dashboard.domain.alerts import measures
from dashboard.store import clock
from dashboard.store import compliance as store
from dashboard.store import sites as site_store


@dataclass(frozen=True)
class AlertReport:
    alert: pd.Series  # id, level, starts_at, ends_at, issued_by, note
    checks: pd.DataFrame  # every check during the alert, with site names
    checked: pd.DataFrame  # one row per checked site: checks, violations, first/last check
    violations: pd.DataFrame  # checks that found the site working during the stop order
    unchecked: pd.DataFrame  # sites in scope never checked during the alert


#: The alerts page's inputs that change only with a write: inspections and sites (``compliance``),
#: alerts (``air``, which every alert write bumps).
_VERSIONS = ("compliance", "air")
_ENDED = VersionedCache(4)
_SITES = VersionedCache(4)


def alert_list(session: Session, tz: ZoneInfo) -> tuple[pd.DataFrame, dt.datetime]:
    """Every alert (newest first) with its measures, hours, checked sites, violations and
    unchecked sites; and the dashboard's "now". The rows of alerts that have ended change only
    with a write and are kept on the data versions; an alert in force is counted up to now."""
    now = clock.now(session, tz)
    alerts = store.alerts(session)
    ended = alerts["ends_at"].notna() & (alerts["ends_at"] <= pd.Timestamp(now)) if not alerts.empty \
        else pd.Series(dtype=bool)
    kept = _ENDED.get(session, _VERSIONS, (tz.key, tuple(alerts.loc[ended, "id"].tolist())),
                      lambda: _rows(session, tz, alerts[ended], now))
    live = _rows(session, tz, alerts[~ended], now) if not alerts.empty else {}
    rows = [kept.get(int(a), live.get(int(a))) for a in alerts["id"]]
    frame = pd.DataFrame([r for r in rows if r is not None],
                         columns=["id", "level", "starts_at", "ends_at", "hours", "measures", "checked_sites",
                                  "violations", "unchecked_sites", "active"])
    return frame.iloc[::-1].reset_index(drop=True), now


def _rows(session: Session, tz: ZoneInfo, alerts: pd.DataFrame, now: dt.datetime) -> dict[int, dict]:
    """The list's row of each of ``alerts``, by id; their checks in one query."""
    if alerts.empty:
        return {}
    ids = alerts["id"].tolist()
    checks = store.alert_checks(session, now, ids[0] if len(ids) == 1 else None)
    checks = checks[checks["alert_id"].isin(ids)]
    sites, last = _sites_and_last_checks(session, tz)
    by_alert = {int(key): group for key, group in checks.groupby("alert_id")}
    out = {}
    for alert in alerts.itertuples():
        end = alert.ends_at if pd.notna(alert.ends_at) else pd.Timestamp(now)
        own = by_alert.get(int(alert.id), checks.iloc[:0])
        checked = set(own["site_id"].tolist())
        scope = _in_scope(sites, last, alert.starts_at.tz_convert(tz).date(), end.tz_convert(tz).date())
        out[int(alert.id)] = {
            "id": alert.id, "level": alert.level, "starts_at": alert.starts_at, "ends_at": alert.ends_at,
            "hours": max(0.0, (end - alert.starts_at).total_seconds() / 3600),
            "measures": measures(alert.level), "checked_sites": len(checked),
            "violations": int(own["working_during_stop"].sum()),
            "unchecked_sites": int((~sites.loc[scope, "site_id"].isin(checked)).sum()),
            "active": pd.isna(alert.ends_at) or alert.ends_at > pd.Timestamp(now),
        }
    return out


def _sites_and_last_checks(session: Session, tz: ZoneInfo) -> tuple[pd.DataFrame, pd.Series]:
    def load() -> tuple[pd.DataFrame, pd.Series]:
        sites = site_store.sites_frame(session).rename(columns={"id": "site_id"})
        return sites, store.last_inspection_dates(session, tz)

    return _SITES.get(session, ("compliance",), tz.key, load)


def _in_scope(sites: pd.DataFrame, last: pd.Series, start_day: dt.date, end_day: dt.date) -> pd.Series:
    """Which sites an alert concerned (see the module's docstring), as a mask over ``sites``."""
    started = pd.Series([d is None or pd.isna(d) or d <= end_day for d in sites["started_on"]], index=sites.index)
    last_day = sites["site_id"].map(last.to_dict())
    seen_after = pd.Series([d is not None and not pd.isna(d) and d >= start_day for d in last_day],
                           index=sites.index)
    return started & ((sites["status"] == "active") | seen_after)


def alert_report(session: Session, tz: ZoneInfo, alert_id: int | None) -> AlertReport | None:
    """What happened on the sites during one alert (None if there is no such alert)."""
    alerts = store.alerts(session)
    found = alerts[alerts["id"] == alert_id]
    if found.empty:
        return None
    now = clock.now(session, tz)
    checks = store.alert_checks(session, now, int(found.iloc[0]["id"]))
    sites, last = _sites_and_last_checks(session, tz)
    return _report(found.iloc[0], checks, sites, last, pd.Timestamp(now), tz)


def _report(alert: pd.Series, checks: pd.DataFrame, sites: pd.DataFrame, last: pd.Series, now: pd.Timestamp,
            tz: ZoneInfo) -> AlertReport:
    end = alert["ends_at"] if pd.notna(alert["ends_at"]) else now
    names = sites[["site_id", "code", "name", "township", "township_en", "status", "plate"]]
    checks = checks.drop(columns="alert_id").reset_index(drop=True).merge(names, on="site_id", how="left")
    checked = (
        checks.groupby("site_id")
        .agg(checks=("inspection_id", "count"), violations=("working_during_stop", "sum"),
             failed_items=("n_fail", "sum"), first_check=("inspected_at", "min"), last_check=("inspected_at", "max"))
        .reset_index()
        .merge(names, on="site_id", how="left")
    )
    checked["violations"] = checked["violations"].astype("int64")
    checked = checked.sort_values(["violations", "checks", "code"], ascending=[False, False, True])
    violations = checks[checks["working_during_stop"]].sort_values("inspected_at")

    in_scope = sites[_in_scope(sites, last, alert["starts_at"].tz_convert(tz).date(), end.tz_convert(tz).date())]
    unchecked = in_scope[~in_scope["site_id"].isin(checked["site_id"])]
    unchecked = unchecked.assign(last_inspected=unchecked["site_id"].map(lambda sid: last.get(sid)))
    return AlertReport(
        alert=alert,
        checks=checks,
        checked=checked.reset_index(drop=True),
        violations=violations.reset_index(drop=True),
        unchecked=unchecked[["site_id", "code", "name", "township", "township_en", "status", "plate",
                             "last_inspected"]].sort_values(["township", "code"]).reset_index(drop=True),
    )
