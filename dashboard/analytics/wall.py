"""Everything the command-centre wall shows, read in one go for one refresh.

The wall refreshes every minute all day, so each read is bounded whatever the history holds:
the last 24 hours of readings, a 35-day compliance window, the oldest overdue ledger items
(an indexed query with a limit) and the year to date (cached by ``analytics.air`` until the
data changes). ``benchmarks/bench_wall.py`` measures it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.analytics.dust_tasks import OpenTask, wall_tasks
from dashboard.analytics.overview import AlertInfo, district_hourly_aqi, latest_station_aqi, wide_hourly
from dashboard.analytics.targets import YearProgress, year_progress
from dashboard.domain import compliance as measures
from dashboard.domain import ledger as ledger_rules
from dashboard.domain.aqi import hourly_aqi
from dashboard.store import air, clock, overview
from dashboard.store import compliance as compliance_store
from dashboard.store import display as display_store
from dashboard.store import ledger as ledger_store
from dashboard.store import sites as site_store

HOURS = 24  # the sparklines' span
RANKING_DAYS = measures.RANKING_WINDOW_DAYS
COMPARE_DAYS = 7  # the leaderboard's arrows: rank now against a week ago
OVERDUE_LIMIT = 30  # the ticker and the ledger scene show the oldest this many
DUST_LIMIT = 6  # the ledger scene lists the dust checks waiting longest


@dataclass(frozen=True)
class WallData:
    now: dt.datetime
    today: dt.date
    newest: dt.datetime | None  # newest reading's hour label
    stale_minutes: int
    district: dict | None  # aqi, category, primary, time
    district_spark: list[float | None]
    stations: pd.DataFrame  # latest_station_aqi columns + spark (list of 24 AQIs)
    alert: AlertInfo | None  # only an alert in force
    ranking: pd.DataFrame  # township, township_en, rate_now, rank_now, rank_change, applicable_now
    overdue: pd.DataFrame  # number, seq, task, unit, unit_en, deadline, days_overdue
    ledger: dict[str, int]  # open, overdue
    targets: YearProgress
    dust_open: int = 0  # open 待核查 tasks from site dust monitors, district-wide
    dust_tasks: tuple[OpenTask, ...] = ()  # the longest waiting (DUST_LIMIT)

    @property
    def stale(self) -> bool:
        """No reading, or the newest older than the limit set by the admins."""
        return self.newest is None or self.now - self.newest > dt.timedelta(minutes=self.stale_minutes)


def _hours(latest: dt.datetime) -> pd.DatetimeIndex:
    end = pd.Timestamp(latest)
    return pd.date_range(end - pd.Timedelta(hours=HOURS - 1), end, freq="h")


def _sparks(wide: pd.DataFrame, latest: dt.datetime) -> dict[str, list[float | None]]:
    """Each station's hourly AQI over the last 24 hours (None for an hour without one)."""
    if wide.empty:
        return {}
    frame = pd.concat([wide[["station_code", "time"]], hourly_aqi(wide)[["aqi"]]], axis=1)
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame["aqi"] = pd.to_numeric(frame["aqi"].astype("Float64"), errors="coerce").astype(float)
    table = frame.pivot_table(index="time", columns="station_code", values="aqi", aggfunc="first")
    table = table.reindex(_hours(latest))
    return {code: [None if pd.isna(v) else float(v) for v in table[code]] for code in table.columns}


def _district(hours: pd.DataFrame, latest: dt.datetime) -> tuple[dict | None, list[float | None]]:
    hours = hours[hours["aqi"].notna()].copy() if not hours.empty else hours
    if hours.empty:
        return None, [None] * HOURS
    hours["time"] = pd.to_datetime(hours["time"], utc=True)
    hours = hours.sort_values("time")
    last = hours.iloc[-1]
    series = hours.set_index("time")["aqi"].astype(float).reindex(_hours(latest))
    primary = last.get("primary_pollutants")
    return ({"aqi": int(last["aqi"]), "category": int(last["category"]),
             "primary": primary if isinstance(primary, str) else "", "time": last["time"]},
            [None if pd.isna(v) else float(v) for v in series])


def _ranking(session: Session, today: dt.date, tz: ZoneInfo) -> pd.DataFrame:
    townships = site_store.townships(session)
    townships = townships[townships["active"]]
    first = today - dt.timedelta(days=RANKING_DAYS + COMPARE_DAYS - 1)
    results = compliance_store.results_frame(session, first, today, tz)
    ranking = measures.ranking_change(results, today - dt.timedelta(days=COMPARE_DAYS), today, RANKING_DAYS,
                                      townships["id"].tolist())
    names = townships.rename(columns={"id": "township_id", "name": "township", "name_en": "township_en"})
    return ranking.merge(names[["township_id", "township", "township_en"]], on="township_id", how="left")


def _overdue(session: Session, today: dt.date) -> pd.DataFrame:
    items = ledger_store.overdue_items(session, today, OVERDUE_LIMIT)
    items["days_overdue"] = [ledger_rules.days_overdue("open", d, today) for d in items["deadline"]]
    return items


def wall_data(session: Session, database_url: str, tz: ZoneInfo) -> WallData:
    now = clock.now(session, tz)
    today = clock.today(session, tz)
    newest = overview.latest_reading_time(session, now)
    stations = pd.DataFrame(columns=["station_code", "name", "time", "aqi", "category", "primary_pollutants",
                                     "is_background", "spark"])
    district, district_spark = None, [None] * HOURS
    if newest is not None:
        readings = air.hourly_readings(session, newest - dt.timedelta(hours=HOURS), newest)
        station_frame = air.stations(session)
        latest = latest_station_aqi(readings, station_frame)
        if not latest.empty:
            sparks = _sparks(wide_hourly(readings, ["station_code"]), newest)
            latest["spark"] = [sparks.get(code, [None] * HOURS) for code in latest["station_code"]]
            stations = latest
        district, district_spark = _district(district_hourly_aqi(readings, station_frame), newest)
    alert = overview.alert_at(session, now)
    counts = overview.ledger_counts(session, today)
    dust_open, dust_tasks = wall_tasks(session, DUST_LIMIT)
    return WallData(
        now=now,
        today=today,
        newest=newest,
        stale_minutes=display_store.stale_minutes(session),
        district=district,
        district_spark=district_spark,
        stations=stations,
        alert=AlertInfo(alert.level, alert.starts_at, alert.ends_at, True) if alert is not None else None,
        ranking=_ranking(session, today, tz),
        overdue=_overdue(session, today),
        ledger={"open": counts["open"], "overdue": counts["overdue"]},
        targets=year_progress(session, database_url, today.year, today, tz),
        dust_open=dust_open,
        dust_tasks=tuple(dust_tasks),
    )
