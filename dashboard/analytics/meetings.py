"""What the meeting, ledger and scorecard pages show, computed from the store with the domain rules.

Air quality of a meeting. A meeting reviews the Beijing days since the previous meeting
(``analytics.meeting_periods``, the rule in ``domain.meetings``) and compares them with the
previous meeting's period. Daily values follow the air pages exactly (``analytics.air``: HJ 663
daily values per station, the district as the mean of its stations' daily values, HJ 633 daily
AQI), so a meeting's PM2.5 is the air page's PM2.5 for the same days. The figures are computed and *frozen* into
``Meeting.air_quality`` when the meeting is saved, with the time they were computed: later
corrections of readings do not rewrite what the meeting was told. Meetings recorded before this
system have none; their figures are computed from the stored readings when shown (marked as not
frozen) and an editor can freeze them.

"What happened since" a meeting covers ``(held_at, next meeting or now]``. Inspection results
are rated with ``domain.compliance`` (passed / applicable checks); escalations come from the
rectification loop (``analytics.rectifications.escalated``, level ≥ 2: 约谈 / 问责).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics import air as air_analytics
from dashboard.analytics import meeting_periods
from dashboard.analytics import rectifications as rectification_analytics
from dashboard.analytics.overview import wide_hourly
from dashboard.analytics.versioned import VersionedCache
from dashboard.domain import compliance, evaluation
from dashboard.domain import ledger as rules
from dashboard.domain import meetings as calendar
from dashboard.domain.aqi import STANDARD_2012, TIMEZONE, standard_for
from dashboard.domain.meeting_record import MEASURES
from dashboard.store import air as air_store
from dashboard.store import air_daily as air_daily_store
from dashboard.store import clock
from dashboard.store import ledger as ledger_store
from dashboard.store import meetings as store
from dashboard.store.models import Meeting
from dashboard.store.versions import LEDGER, RECORDS, records_version

DISTRICT = air_analytics.DISTRICT
WORST_DAYS = 3
#: Rectification escalation level the agenda reports (2 约谈 interview, 3 问责 accountability).
ESCALATION_LEVEL = 2
#: The chair of dispatch meetings: the district head (a deputy stands in now and then).
DEFAULT_CHAIR = "区长"


# --------------------------------------------------------------------------- air quality
def _num(value: Any, digits: int = 1) -> float | None:
    """A JSON-safe rounded float (None for NaN / missing)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, digits)


def _pct_change(new: float | None, old: float | None) -> float | None:
    if new is None or old is None or old == 0:
        return None
    return round((new - old) / old * 100, 1)


def daily_frame(readings: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """Daily values and daily AQI per station and for the district (``series`` = DISTRICT)."""
    wide = wide_hourly(readings, ["station_code"]).rename(columns={"station_code": "series"})
    if not wide.empty:
        wide["time"] = pd.to_datetime(wide["time"], utc=True)
    s_daily = air_analytics.station_daily(wide)
    d_daily = air_analytics.district_daily(s_daily, stations)
    frames = [f for f in (s_daily, d_daily) if not f.empty]
    if not frames:
        return s_daily
    daily = pd.concat([f[s_daily.columns] for f in frames], ignore_index=True)
    daily["date"] = pd.to_datetime(daily["date"])
    return daily


def period_summary(daily: pd.DataFrame, series: str, first: dt.date, last: dt.date,
                   composite: bool = True) -> dict[str, Any]:
    """PM2.5 / PM10 means, 综合指数 (unless ``composite`` is False: it is the dearest part), good
    days and share, days per AQI category and the worst days."""
    rows = _period_rows(daily, series, first, last)
    return _summary(rows, _composite(rows) if composite else None)


def period_mean(daily: pd.DataFrame, series: str, first: dt.date, last: dt.date, column: str) -> float | None:
    """``period_summary``'s mean of one concentration (``column``, e.g. "PM10"), without the rest
    of the summary (its categories and worst days cost far more than the mean)."""
    rows = _period_rows(daily, series, first, last)
    return _num(rows[column].astype(float).mean()) if not rows.empty else None


def _period_rows(daily: pd.DataFrame, series: str, first: dt.date, last: dt.date) -> pd.DataFrame:
    if daily.empty:
        return daily
    return daily[(daily["series"] == series) & (daily["date"] >= pd.Timestamp(first))
                 & (daily["date"] <= pd.Timestamp(last))]


def period_summaries(daily: pd.DataFrame, series: list[str], first: dt.date,
                     last: dt.date) -> dict[str, dict[str, Any]]:
    """``period_summary`` of each of ``series`` over the same days, in one pass: the 综合指数
    of every series from one grouped statistic (the same per-group arithmetic as one at a time)."""
    if daily.empty:
        return {s: _summary(daily, None) for s in series}
    rows = daily[daily["series"].isin(series) & (daily["date"] >= pd.Timestamp(first))
                 & (daily["date"] <= pd.Timestamp(last))]
    composites: dict[str, float | None] = {}
    if not rows.empty:
        stats = evaluation.span_stats(rows[["series", *evaluation.DAILY_COLUMNS]].astype(
            {c: float for c in evaluation.DAILY_COLUMNS}), by="series")
        index = evaluation.composite_index(stats)["composite"]
        composites = {str(k): _num(v, 2) for k, v in zip(stats["series"], index, strict=True)}
    groups = {str(k): g for k, g in rows.groupby("series", sort=False)}
    return {s: _summary(groups.get(s, rows.iloc[:0]), composites.get(s)) for s in series}


def _summary(rows: pd.DataFrame, composite: float | None) -> dict[str, Any]:
    with_aqi = rows[rows["aqi"].notna()] if not rows.empty else rows
    aqi = with_aqi["aqi"].astype(float) if not rows.empty else pd.Series(dtype=float)
    n_valid = int(len(aqi))
    n_good = int((aqi <= 100).sum())
    categories = (
        {str(level): int(n) for level, n in with_aqi["category"].astype(int).value_counts().sort_index().items()}
        if n_valid
        else {}
    )
    worst = []
    if n_valid:
        for row in (
            with_aqi.assign(_a=aqi).sort_values(["_a", "date"], ascending=[False, True]).head(WORST_DAYS).itertuples()
        ):
            worst.append(
                {
                    "date": row.date.date().isoformat(),
                    "aqi": int(row.aqi),
                    "category": int(row.category),
                    "primary": str(row.primary_pollutants or ""),
                }
            )
    return {
        "pm25": _num(rows["PM2.5"].astype(float).mean()) if not rows.empty else None,
        "pm10": _num(rows["PM10"].astype(float).mean()) if not rows.empty else None,
        "composite": composite,
        "n_valid": n_valid,
        "n_good": n_good,
        "good_share": round(n_good / n_valid, 4) if n_valid else None,
        "categories": categories,
        "worst_days": worst,
    }


def _composite(rows: pd.DataFrame) -> float | None:
    """综合指数 of the days given (HJ 663 statistics over the span, Σ C_i/S_i); None unless every
    pollutant has a value."""
    if rows.empty:
        return None
    values = rows[list(evaluation.DAILY_COLUMNS)].astype(float).assign(series="x")
    stats = evaluation.span_stats(values, by="series")
    return _num(evaluation.composite_index(stats.iloc[0])["composite"], 2)


def _change(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    share_now, share_before = now.get("good_share"), before.get("good_share")
    return {
        "pm25_pct": _pct_change(now.get("pm25"), before.get("pm25")),
        "pm10_pct": _pct_change(now.get("pm10"), before.get("pm10")),
        "composite_pct": _pct_change(now.get("composite"), before.get("composite")),
        "good_share_pts": None
        if share_now is None or share_before is None
        else round((share_now - share_before) * 100, 1),
    }


def air_quality_record(
    daily: pd.DataFrame,
    stations: pd.DataFrame,
    period: tuple[dt.date, dt.date],
    before: tuple[dt.date, dt.date],
    computed_at: dt.datetime,
) -> dict[str, Any]:
    """The JSON figure frozen into a meeting: district and per-station summaries of ``period``
    and of ``before``, the change between them, and when it was computed."""
    codes = [DISTRICT, *stations["code"].astype(str)]
    summaries_now = period_summaries(daily, codes, *period)
    summaries_before = period_summaries(daily, codes, *before)
    district_now, district_before = summaries_now[DISTRICT], summaries_before[DISTRICT]
    station_rows = []
    for st in stations.sort_values("code").itertuples():
        now, prev = summaries_now[st.code], summaries_before[st.code]
        if not now["n_valid"] and not prev["n_valid"]:
            continue
        station_rows.append(
            {
                "code": st.code,
                "name": st.name,
                "background": bool(st.is_background),
                "in_district": bool(st.in_district),
                **{k: now[k] for k in ("pm25", "pm10", "n_valid", "n_good", "good_share")},
                "pm25_before": prev["pm25"],
                "change": _change(now, prev),
            }
        )
    standards = sorted(
        {str(s) for s in standard_for(pd.Series(pd.to_datetime([period[0], period[1]]).tz_localize(TIMEZONE)))}
    )
    return {
        "computed_at": computed_at.astimezone(dt.UTC).isoformat(),
        "period": {
            "start": period[0].isoformat(),
            "end": period[1].isoformat(),
            "days": (period[1] - period[0]).days + 1,
        },
        "before": {
            "start": before[0].isoformat(),
            "end": before[1].isoformat(),
            "days": (before[1] - before[0]).days + 1,
        },
        "standard": " / ".join(standards) or STANDARD_2012,
        "district": district_now,
        "district_before": district_before,
        "change": _change(district_now, district_before),
        "stations": station_rows,
    }


def _load_daily(session: Session, first: dt.date, last: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily rows of ``first..last`` (and the stations) from ``air_daily``, kept by the writes."""
    stations = air_store.stations(session)
    rows = air_daily_store.read(session, first, last)
    _, daily, _, _ = air_analytics.from_daily_rows(rows, stations)
    if not daily.empty:
        daily["date"] = pd.to_datetime(daily["date"])
    return daily, stations


def cached_daily(
    session: Session, database_url: str, first: dt.date, last: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily frames for whole months around ``first..last`` (``air_daily``), cached on the data
    version stored in the database."""
    daily, _ = air_analytics.daily_frame(database_url, first, last)
    if not daily.empty:
        daily = daily.assign(date=pd.to_datetime(daily["date"]))
    return daily, air_store.stations(session)


def periods_for(
    session: Session, held_at: dt.datetime, tz: ZoneInfo
) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """The days a meeting at ``held_at`` reviews (``analytics.meeting_periods``), and the period
    they are compared with."""
    period = meeting_periods.period_at(session, held_at, tz)
    return (period.first, period.last), meeting_periods.before(session, period, tz)


def compute_air_quality(session: Session, held_at: dt.datetime, tz: ZoneInfo, now: dt.datetime) -> dict[str, Any]:
    """Air quality for a meeting held at ``held_at``, computed from the readings stored now."""
    period, before = periods_for(session, held_at, tz)
    daily, stations = _load_daily(session, before[0], period[1])
    return air_quality_record(daily, stations, period, before, now)


_air_records = VersionedCache(16)
_escalations = VersionedCache(16)


def draft_air_quality(session: Session, held_at: dt.datetime, tz: ZoneInfo, now: dt.datetime) -> dict[str, Any]:
    """``compute_air_quality`` for a page view, cached (``_air_record``)."""
    period, before = periods_for(session, held_at, tz)
    return _air_record(session, period, before, now)


def _air_record(session: Session, period: tuple[dt.date, dt.date], before: tuple[dt.date, dt.date],
                now: dt.datetime) -> dict[str, Any]:
    """``air_quality_record`` of ``period`` and ``before`` computed at ``now``, cached per process
    on the air data version stored in the database (every write of readings, stations or alerts
    bumps it) and the two periods."""
    key = (str(session.get_bind().url), air_daily_store.version(session), period, before)

    def compute() -> dict[str, Any]:
        daily, stations = _load_daily(session, before[0], period[1])
        return air_quality_record(daily, stations, period, before, now)

    return {**_air_records.get_key(session, key, compute), "computed_at": now.astimezone(dt.UTC).isoformat()}


@dataclass(frozen=True)
class MeetingAir:
    record: dict[str, Any]
    frozen: bool  # False: computed now because the meeting was recorded without figures


def meeting_air_quality(session: Session, database_url: str, meeting: Meeting, tz: ZoneInfo) -> MeetingAir:
    """The meeting's frozen air quality, or (for old records) figures computed now."""
    if meeting.air_quality:
        return MeetingAir(meeting.air_quality, True)
    period, before = periods_for(session, meeting.held_at, tz)
    return MeetingAir(_air_record(session, period, before, clock.now(session, tz)), False)


def air_summaries(
    session: Session, database_url: str, meetings: list[Meeting], tz: ZoneInfo
) -> dict[int, dict[str, Any]]:
    """District summary per meeting number for the list page (frozen, else computed in one pass)."""
    out: dict[int, dict[str, Any]] = {}
    missing = []
    for m in meetings:
        if m.air_quality:
            out[m.number] = {**m.air_quality.get("district", {}), "frozen": True}
        else:
            missing.append(m)
    if missing:
        times = [m.held_at for m in meetings]
        yesterday = clock.today(session, tz) - dt.timedelta(days=1)
        spans = {}
        for m in missing:
            prev = max((t for t in times if t < m.held_at), default=None)
            prev_day = prev.astimezone(tz).date() if prev else None
            spans[m.number] = calendar.review_period(m.held_at.astimezone(tz).date(), prev_day, yesterday)
        version = air_analytics.data_version(database_url)
        for number, summary in _district_summaries(database_url, version, tuple(sorted(spans.items()))):
            out[number] = {**summary, "frozen": False}
    return out


@lru_cache(maxsize=8)
def _district_summaries(database_url: str, version: int,
                        spans: tuple[tuple[int, tuple[dt.date, dt.date]], ...]) -> list[tuple[int, dict[str, Any]]]:
    """``period_summary`` of the district per meeting span, from ``air_daily``; cached on the
    data version (a hundred meetings cost a second of pandas; the list page asks on every view)."""
    first = min(s[0] for _, s in spans)
    last = max(s[1] for _, s in spans)
    daily, _ = air_analytics.daily_frame(database_url, first, last)
    district = daily[daily["series"] == DISTRICT].assign(date=lambda d: pd.to_datetime(d["date"]))
    return [(number, period_summary(district, DISTRICT, a, b)) for number, (a, b) in spans]


# --------------------------------------------------------------------------- ledger
def _local_date(value: dt.datetime | None, tz: ZoneInfo) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert(tz).date()


def ledger_table(session: Session, today: dt.date, tz: ZoneInfo, meeting_ids: list[int] | None = None,
                 open_only: bool = False) -> pd.DataFrame:
    """The ledger now: every item (the open ones only if ``open_only``: the closed ones are
    what grows with history) with days overdue (as of ``today``) and times carried so far."""
    statuses = sorted(rules.OPEN_STATUSES) if open_only else None
    items = ledger_store.items_frame(session, meeting_ids, statuses)
    if items.empty:
        return items.assign(
            days_overdue=pd.Series(dtype=int),
            carried=pd.Series(dtype=int),
            overdue=pd.Series(dtype=bool),
            done_on=pd.Series(dtype=object),
        )
    times = store.meeting_times(session)
    changes = ledger_store.status_changes(session, items["id"].tolist())
    items["days_overdue"] = [
        rules.days_overdue(s, d, today) for s, d in zip(items["status"], items["deadline"], strict=True)
    ]
    items["overdue"] = items["days_overdue"] > 0
    items["carried"] = [
        rules.times_carried(held, times, changes.get(item_id) or _fallback_changes(status, done_at))
        for item_id, held, status, done_at in zip(
            items["id"], items["meeting_held_at"], items["status"], items["done_at"], strict=True
        )
    ]
    items["done_on"] = [_local_date(v, tz) for v in items["done_at"]]
    return items


_ledgers = VersionedCache(4)


def ledger_now(session: Session, today: dt.date, tz: ZoneInfo) -> pd.DataFrame:
    """``ledger_table`` of every item, kept until a write to the ledger or the district's records
    (their data versions) or another day: the ledger page asks for it once per block of rows it
    shows. Callers read the frame, never change it."""
    return _ledgers.get(session, (LEDGER, RECORDS), (today, str(tz)), lambda: ledger_table(session, today, tz))


def _fallback_changes(status: str, done_at) -> list[tuple[dt.datetime, str]]:
    """Items without status history (imported): closed from ``done_at`` if known, else never
    before now (an imported closed item without a date counts as closed at every meeting would
    be a guess; counting it as closed only now is the conservative reading)."""
    if rules.is_closed(status) and done_at is not None and not pd.isna(done_at):
        return [(pd.Timestamp(done_at).to_pydatetime(), status)]
    return []


def meeting_ledger(session: Session, meeting: Meeting, tz: ZoneInfo, today: dt.date,
                   everything: bool = False) -> pd.DataFrame:
    """The ledger as it stood at ``meeting``: its own new items and the items carried into it
    (assigned earlier, not closed when it started), with times carried and days overdue as of
    the meeting's day, plus each item's status now. Reads only the items that can be on it
    (``store.ledger.items_frame(relevant_at=...)``); ``everything`` reads the whole ledger, as
    the definition (tests compare the two)."""
    items = ledger_store.items_frame(session, relevant_at=None if everything else meeting)
    if items.empty:
        return items
    times = store.meeting_times(session)
    changes = ledger_store.status_changes(session, items["id"].tolist())
    day = meeting.held_at.astimezone(tz).date()
    rows = []
    for row in items.itertuples(index=False):
        hist = changes.get(row.id) or _fallback_changes(row.status, row.done_at)
        if row.meeting_id == meeting.id:
            kind = "new"
        elif row.meeting_held_at < meeting.held_at and not rules.is_closed(rules.status_at(hist, meeting.held_at)):
            kind = "carried"
        else:
            continue
        status_then = rules.status_at(hist, meeting.held_at) if kind == "carried" else "open"
        rows.append(
            {
                **row._asdict(),
                "kind": kind,
                "status_then": status_then,
                "carried": rules.times_carried(row.meeting_held_at, times, hist, until=meeting.held_at),
                "days_overdue": rules.days_overdue(status_then, row.deadline, day),
                "days_overdue_now": rules.days_overdue(row.status, row.deadline, today),
                "age_days": (day - row.meeting_held_at.astimezone(tz).date()).days,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(
        ["kind", "days_overdue", "meeting_number", "seq"], ascending=[False, False, True, True]
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- scorecard
def scorecard(session: Session, today: dt.date, tz: ZoneInfo) -> pd.DataFrame:
    """Per responsible unit: items, closed, on-time closure rate, overdue now, times carried,
    accountability received (total and per measure). Units with neither items nor
    accountability are left out."""
    ledger = ledger_table(session, today, tz)
    account = store.accountability_frame(session)
    rows = []
    for unit in ledger_store.units(session):
        mine = ledger[ledger["responsible_unit_id"] == unit.id] if not ledger.empty else ledger
        acc = account[account["unit_id"] == unit.id]
        if mine.empty and acc.empty:
            continue
        score = rules.unit_score(
            zip(mine["status"], mine["deadline"], mine["done_on"], mine["carried"], strict=True)
            if not mine.empty
            else [],
            today,
            accountability=len(acc),
        )
        per_measure = acc["measure"].value_counts()
        rows.append(
            {
                "unit_id": unit.id,
                "unit": unit.name,
                "unit_en": unit.name_en or unit.name,
                "kind": unit.kind,
                "items": score.items,
                "closed": score.closed,
                "due": score.due,
                "on_time": score.on_time,
                "on_time_rate": score.on_time_rate,
                "overdue": score.overdue,
                "carried": score.carried,
                "accountability": score.accountability,
                **{f"acc_{m}": int(per_measure.get(m, 0)) for m in MEASURES},
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(
        ["overdue", "carried", "accountability", "unit_id"], ascending=[False, False, False, True]
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- what happened since
@dataclass(frozen=True)
class SinceReport:
    start: dt.datetime
    end: dt.datetime  # not after ``start`` for a meeting that has not been held yet
    next_number: int | None  # the next meeting, when one was held
    air_before: dict[str, Any]  # district, the meeting's own period
    air_after: dict[str, Any]  # district, the days since
    air_after_period: tuple[dt.date, dt.date] | None
    air_change: dict[str, Any]
    items_total: int  # this meeting's ledger lines
    items_closed: int
    items_verified: int
    items_overdue: int
    closed_since: int  # ledger-wide: done / verified changes in the window
    verified_since: int
    checks_before: dict[str, Any]  # applicable checks and pass rate in the meeting's own period
    checks_after: dict[str, Any]
    accountability: pd.DataFrame  # decided at later meetings
    escalations: int


def check_summary(results: pd.DataFrame) -> dict[str, Any]:
    """Applicable checks and the pass rate (``domain.compliance``; None without checks)."""
    rate = compliance.compliance_rate(results) if len(results) else float("nan")
    applicable = int(results["result"].isin(("pass", "fail")).sum()) if len(results) else 0
    return {"applicable": applicable, "rate": None if math.isnan(rate) else rate}


def worst_townships(results: pd.DataFrame, names: dict[int, tuple[str, str]]) -> pd.DataFrame:
    """Townships by failed checks (most first): township_id, township, township_en, failed, checks."""
    if results.empty:
        return pd.DataFrame(columns=["township_id", "township", "township_en", "failed", "checks"])
    rates = compliance.rates_by(results, "township_id")
    rates = rates[rates["failed"] > 0].sort_values(["failed", "township_id"], ascending=[False, True])
    return pd.DataFrame(
        {
            "township_id": rates["township_id"].astype(int),
            "failed": rates["failed"].astype(int),
            "checks": rates["applicable"].astype(int),
            "township": [names.get(int(i), ("", ""))[0] for i in rates["township_id"]],
            "township_en": [names.get(int(i), ("", ""))[1] for i in rates["township_id"]],
        }
    ).reset_index(drop=True)


def worst_sites(results: pd.DataFrame) -> pd.DataFrame:
    """Sites by failed checks (most first) with the item they failed most: site_id, site,
    township_id, failed, item_key."""
    fails = results[results["result"] == "fail"] if not results.empty else results
    if fails.empty:
        return pd.DataFrame(columns=["site_id", "site", "township_id", "failed", "item_key"])
    per_item = fails.groupby(["site_id", "site", "township_id", "item_key"]).size().rename("n").reset_index()
    top = per_item.sort_values(["n", "item_key"], ascending=[False, True]).drop_duplicates("site_id")
    total = per_item.groupby("site_id")["n"].sum().rename("failed")
    out = top.drop(columns="n").merge(total, on="site_id")
    return out.sort_values(["failed", "site_id"], ascending=[False, True]).reset_index(drop=True)


def findings(results: pd.DataFrame) -> pd.DataFrame:
    """Failed checks per checklist item (``domain.compliance.most_failed_items``), failed ones only."""
    if results.empty:
        return pd.DataFrame(columns=["item_key", "failed"])
    items = compliance.most_failed_items(results)
    return items[items["failed"] > 0][["item_key", "failed"]].reset_index(drop=True)


def escalations(session: Session, since_at: dt.datetime, today: dt.date, tz: ZoneInfo) -> pd.DataFrame:
    """Rectifications escalated to ESCALATION_LEVEL or above (``analytics.rectifications.escalated``),
    cached per process on the records version (inspections, rectifications and their rules are
    records) and the day. The frame is shared: read it, do not change it."""
    key = (str(session.get_bind().url), records_version(session), str(tz), since_at, today)
    return _escalations.get_key(session, key, lambda: rectification_analytics.escalated(
        session, since_at, today, tz, min_level=ESCALATION_LEVEL))


def since(session: Session, database_url: str, meeting: Meeting, tz: ZoneInfo) -> SinceReport:
    """What changed after ``meeting``: air quality, ledger closures, compliance, accountability."""
    now = clock.now(session, tz)
    today = clock.today(session, tz)
    nxt = store.next_meeting(session, meeting.held_at)
    prev = store.previous_meeting(session, meeting.held_at)
    period = meeting_periods.since(session, meeting, tz)
    end = period.end_at

    own = meeting_air_quality(session, database_url, meeting, tz).record
    air_before = own.get("district", {})
    day = meeting.held_at.astimezone(tz).date()
    # None for a meeting recorded ahead of its time or held today: no whole day after it yet.
    after_period = period.dates if end > meeting.held_at else None
    if after_period:
        daily, _ = cached_daily(session, database_url, *after_period)
        air_after = period_summary(daily, DISTRICT, *after_period)
    else:
        air_after = period_summary(pd.DataFrame(), DISTRICT, day, day)

    ledger = ledger_table(session, today, tz, [meeting.id])
    events = store.status_events(session, meeting.held_at, end)
    prev_start = prev.held_at if prev else meeting.held_at - dt.timedelta(days=calendar.DEFAULT_PERIOD_DAYS)
    return SinceReport(
        start=meeting.held_at,
        end=end,
        next_number=nxt.number if nxt else None,
        air_before=air_before,
        air_after=air_after,
        air_after_period=after_period,
        air_change=_change(air_after, air_before),
        items_total=len(ledger),
        items_closed=int(ledger["status"].isin(rules.CLOSED_STATUSES).sum()) if len(ledger) else 0,
        items_verified=int((ledger["status"] == "verified").sum()) if len(ledger) else 0,
        items_overdue=int(ledger["overdue"].sum()) if len(ledger) else 0,
        closed_since=int((events["status"] == "done").sum()),
        verified_since=int((events["status"] == "verified").sum()),
        checks_before=check_summary(store.results_between(session, prev_start, meeting.held_at)),
        checks_after=check_summary(store.results_between(session, meeting.held_at, end)),
        accountability=store.accountability_frame(session, meeting.held_at, now if nxt is None else None),
        escalations=len(escalations(session, meeting.held_at, today, tz)),
    )


# --------------------------------------------------------------------------- preparing the next meeting
@dataclass(frozen=True)
class MeetingDraft:
    """The facts a new meeting's form is pre-filled from (the page words them)."""

    number: int
    held_at: dt.datetime
    chair_title: str
    location: str
    attendees: list[str]
    last_number: int | None
    since: dt.datetime | None
    air: dict[str, Any]  # air_quality_record for the new meeting (as computed now)
    open_items: pd.DataFrame  # carried / overdue ledger items, oldest and most overdue first
    worst_townships: pd.DataFrame
    worst_sites: pd.DataFrame
    findings: pd.DataFrame  # failed checks per checklist item
    working_during_stop: int
    escalations: pd.DataFrame


def draft_next_meeting(session: Session, tz: ZoneInfo, top: int = 3) -> MeetingDraft:
    """Pre-fill for the next meeting: number, time (next working day 09:00), chair, attendees of
    the last meeting and everything since it that the agenda should cover."""
    today = clock.today(session, tz)
    now = clock.now(session, tz)
    last = store.latest_meeting(session)
    day = calendar.next_working_day(today)
    held_at = dt.datetime.combine(day, dt.time(calendar.DEFAULT_HOUR), tz)
    since_at = meeting_periods.period_at(session, held_at, tz).start_at
    results = store.results_between(session, since_at, now)
    open_items = ledger_table(session, today, tz, open_only=True)
    if not open_items.empty:
        open_items = open_items.assign(
            age_days=[(today - h.astimezone(tz).date()).days for h in open_items["meeting_held_at"]]
        )
        open_items = open_items.sort_values(
            ["days_overdue", "carried", "meeting_number", "seq"], ascending=[False, False, True, True]
        )
        # The agenda reviews what is overdue or was assigned before the last meeting.
        keep = open_items["overdue"] | (open_items["meeting_held_at"] < since_at) if last else open_items["overdue"]
        open_items = open_items[keep].reset_index(drop=True)
    return MeetingDraft(
        number=store.next_number(session),
        held_at=held_at,
        chair_title=DEFAULT_CHAIR,
        location=last.location if last else "",
        attendees=list(last.attendees) if last else [],
        last_number=last.number if last else None,
        since=last.held_at if last else None,
        air=draft_air_quality(session, held_at, tz, now),
        open_items=open_items,
        worst_townships=worst_townships(results, store.township_names(session)).head(top),
        worst_sites=worst_sites(results).head(top),
        findings=findings(results),
        working_during_stop=store.working_during_stop(session, since_at, now),
        escalations=escalations(session, since_at, today, tz),
    )


def ledger_item(session: Session, item_id: int | None):
    """One ledger item (with its meeting), or None."""
    return ledger_store.get_item(session, item_id) if item_id is not None else None


def ledger_history(session: Session, item_id: int) -> list[dict[str, Any]]:
    """The item's changes, oldest first: field, old, new, at, user."""
    return ledger_store.history(session, item_id)


def units(session: Session):
    """Responsible units and lead departments, in display order."""
    return ledger_store.units(session)


def all_meetings(session: Session) -> list[Meeting]:
    return store.all_meetings(session)


def meetings_page(session: Session, page: int, size: int) -> tuple[list[Meeting], Meeting | None, int]:
    """Page ``page`` (1-based, clamped) of the meetings, newest first; the meeting just before its
    oldest (a review period starts after the previous meeting), and how many there are."""
    count = store.meeting_count(session)
    page = min(max(page, 1), max(1, -(-count // size)))
    rows = store.meetings_newest_first(session, (page - 1) * size, size + 1)
    return rows[:size], (rows[size] if len(rows) > size else None), count


def meeting_dates(session: Session) -> list[tuple[int, dt.datetime]]:
    """(number, held_at) of every meeting, newest first."""
    return store.meeting_dates(session)


def townships(session: Session):
    return store.townships(session)


def sites(session: Session):
    return store.sites(session)


def checklist_items(session: Session, on: dt.date):
    """The checklist items in force on ``on``."""
    return store.checklist_items(session, on)


def item_labels(session: Session) -> dict[str, tuple[str, str]]:
    """Checklist item key → (zh, en) label."""
    return store.item_labels(session)


def get_meeting(session: Session, number: int) -> Meeting | None:
    """A meeting with its problems, decisions and accountability loaded."""
    return store.get_meeting(session, number)


def neighbours(session: Session, held_at: dt.datetime) -> tuple[Meeting | None, Meeting | None]:
    """The meetings held just before and just after ``held_at``."""
    return store.previous_meeting(session, held_at), store.next_meeting(session, held_at)


def township_names(session: Session) -> dict[int, tuple[str, str]]:
    return store.township_names(session)


def site_names(session: Session, ids: list[int]) -> dict[int, str]:
    return store.site_names(session, ids)


def filter_ledger(frame: pd.DataFrame, unit: object = None, status: str | None = None, meeting: object = None,
                  overdue_only: bool = False) -> pd.DataFrame:
    """The ledger rows of one responsible unit (id), status and meeting (number), overdue ones
    only if asked; ``status`` may be "not_closed". Blank filters keep everything."""
    if frame.empty:
        return frame
    if unit not in (None, ""):
        frame = frame[frame["responsible_unit_id"] == _as_int(unit)]
    if status == "not_closed":
        frame = frame[~frame["status"].isin(rules.CLOSED_STATUSES)]
    elif status:
        frame = frame[frame["status"] == status]
    if meeting not in (None, ""):
        frame = frame[frame["meeting_number"] == _as_int(meeting)]
    if overdue_only:
        frame = frame[frame["overdue"]]
    return frame


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def meeting_counts(session: Session, meeting_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Per meeting number (these meetings, or all): problems, decisions, accountability records
    and action items."""
    return store.meeting_counts(session, meeting_ids)
