"""Compliance with the "8个100%" checklist, and the red / yellow / green site plates.

Definition used everywhere (and shown on the compliance page):

    compliance rate = passed checks / applicable checks,   applicable = pass + fail

A "check" is one checklist item of one submitted inspection; items marked not applicable
(``na``) count neither way. A group without applicable checks has no rate (NaN), never 0 or 1.

Inputs are tidy frames (see ``RESULT_COLUMNS`` / ``INSPECTION_COLUMNS``) with ``date`` the
Beijing calendar day of the inspection. Pure pandas: no SQL, no Dash.

Plate rules (configurable, ``PlateRules``; these defaults are the ones the demo district used):
red for work during a stop order, ≥ 6 failed items or ≥ 2 overdue rectifications within the
28-day window; yellow for ≥ 2 failed items or any open rectification; green otherwise (green
sites are exempt from temporary controls).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import pandas as pd

RESULTS = ("pass", "fail", "na")
#: One row per checked item: inspection_id, site_id, township_id, date, item_key, result.
RESULT_COLUMNS = ["inspection_id", "site_id", "township_id", "date", "item_key", "result"]
#: One row per inspection: inspection_id, site_id, township_id, date, n_fail, working_during_stop.
INSPECTION_COLUMNS = ["inspection_id", "site_id", "township_id", "date", "n_fail", "working_during_stop"]

# Defaults of the compliance page's configurable views.
CHRONIC_MIN_FAILED = 3  # failed inspections ...
CHRONIC_DAYS = 28  # ... within this many days make a chronic offender
COVERAGE_DAYS = 7  # routine visits are weekly: an active site unseen for longer is a coverage gap
RANKING_WINDOW_DAYS = 28  # township ranking: rate over the 28 days ending at the reference day


# --------------------------------------------------------------------------- rates
def pass_rate(passed: pd.Series, applicable: pd.Series) -> pd.Series:
    """Passed / applicable checks, element-wise; NaN where no check applied."""
    return (passed / applicable.where(applicable > 0)).astype("float64")


def _counts(results: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    flags = pd.DataFrame({
        "passed": (results["result"] == "pass").astype("int64"),
        "failed": (results["result"] == "fail").astype("int64"),
        "na": (results["result"] == "na").astype("int64"),
    })
    if by:
        flags[list(by)] = results[list(by)]
        out = flags.groupby(list(by), sort=True, dropna=False).sum().reset_index()
    else:
        out = flags.sum().to_frame().T
    out["applicable"] = out["passed"] + out["failed"]
    out["rate"] = pass_rate(out["passed"], out["applicable"])
    return out


def compliance_rate(results: pd.DataFrame) -> float:
    """Passed / applicable checks of ``results``; NaN without applicable checks."""
    passed = int((results["result"] == "pass").sum())
    applicable = passed + int((results["result"] == "fail").sum())
    return passed / applicable if applicable else float("nan")


def rates_by(results: pd.DataFrame, by: Sequence[str] | str) -> pd.DataFrame:
    """Per group of ``by`` (e.g. "item_key", "site_id", "township_id"): passed, failed, na,
    applicable, rate. Groups with only ``na`` results appear with rate NaN."""
    by = [by] if isinstance(by, str) else list(by)
    return _counts(results, by)


def week_start(dates: pd.Series) -> pd.Series:
    """The Monday of each date's week (weeks run Monday..Sunday, as dispatch work does)."""
    d = pd.to_datetime(dates)
    return (d - pd.to_timedelta(d.dt.day_of_week, unit="D")).dt.normalize()


def weekly_rates(results: pd.DataFrame, by: Sequence[str] | str | None = None) -> pd.DataFrame:
    """Rates per week (column ``week``, its Monday), optionally per group of ``by``."""
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    frame = results.assign(week=week_start(results["date"]))
    return _counts(frame, ["week", *by])


# --------------------------------------------------------------------------- ranking
def daily_counts(results: pd.DataFrame) -> pd.DataFrame:
    """Checks per township and day: township_id, date, passed, failed, na (the shape of the
    ``compliance_daily`` rows, which the rankings also accept)."""
    flags = pd.DataFrame({
        "township_id": results["township_id"],
        "date": pd.to_datetime(results["date"]),
        "passed": (results["result"] == "pass").astype("int64"),
        "failed": (results["result"] == "fail").astype("int64"),
        "na": (results["result"] == "na").astype("int64"),
    })
    return flags.groupby(["township_id", "date"], sort=True).sum().reset_index()


def township_ranking(results: pd.DataFrame, day: dt.date, window_days: int = RANKING_WINDOW_DAYS,
                     townships: Iterable[int] | None = None) -> pd.DataFrame:
    """Townships ranked by rate over the ``window_days`` ending on ``day`` (inclusive).

    Rank 1 is the highest rate; ties share the better rank; townships without applicable
    checks get no rank (NaN) and come last. ``townships`` lists every township to include.
    """
    return township_ranking_of_counts(daily_counts(results), day, window_days, townships)


def township_ranking_of_counts(counts: pd.DataFrame, day: dt.date, window_days: int = RANKING_WINDOW_DAYS,
                               townships: Iterable[int] | None = None) -> pd.DataFrame:
    """``township_ranking`` from checks counted per township and day (``daily_counts``)."""
    start = day - dt.timedelta(days=window_days - 1)
    dates = pd.to_datetime(counts["date"]).dt.date
    part = counts[(dates >= start) & (dates <= day)]
    part = part[(part["passed"] + part["failed"] + part["na"]) > 0]
    rates = part.groupby("township_id", sort=True)[["passed", "failed", "na"]].sum().reset_index()
    rates["applicable"] = rates["passed"] + rates["failed"]
    rates["rate"] = pass_rate(rates["passed"], rates["applicable"])
    rates = rates[["township_id", "applicable", "rate"]]
    if townships is not None:
        ids = pd.Series(list(townships), dtype="int64")
        rates = pd.DataFrame({"township_id": ids}).merge(rates.astype({"township_id": "int64"}), on="township_id",
                                                         how="left")
        rates["applicable"] = rates["applicable"].fillna(0).astype("int64")
    rates["rank"] = rates["rate"].rank(ascending=False, method="min")
    return rates.sort_values(["rank", "township_id"], na_position="last").reset_index(drop=True)


def ranking_change(results: pd.DataFrame, then: dt.date, now: dt.date, window_days: int = RANKING_WINDOW_DAYS,
                   townships: Iterable[int] | None = None) -> pd.DataFrame:
    """The ranking on ``now`` beside the ranking on ``then`` (e.g. the last dispatch meeting).

    Columns: township_id, rate_now, rank_now, rate_then, rank_then, rank_change (positive =
    moved up), rate_change (in rate units, positive = better); sorted by rank_now.
    """
    ids = list(townships) if townships is not None else sorted(set(results["township_id"]))
    return ranking_change_of_counts(daily_counts(results), then, now, window_days, ids)


def ranking_change_of_counts(counts: pd.DataFrame, then: dt.date, now: dt.date,
                             window_days: int = RANKING_WINDOW_DAYS,
                             townships: Iterable[int] | None = None) -> pd.DataFrame:
    """``ranking_change`` from checks counted per township and day (``daily_counts``)."""
    ids = list(townships) if townships is not None else sorted(set(counts["township_id"]))
    current = township_ranking_of_counts(counts, now, window_days, ids)
    before = township_ranking_of_counts(counts, then, window_days, ids)
    out = current.rename(columns={"rate": "rate_now", "rank": "rank_now", "applicable": "applicable_now"}).merge(
        before.rename(columns={"rate": "rate_then", "rank": "rank_then", "applicable": "applicable_then"}),
        on="township_id", how="left",
    )
    out["rank_change"] = out["rank_then"] - out["rank_now"]
    out["rate_change"] = out["rate_now"] - out["rate_then"]
    return out.sort_values(["rank_now", "township_id"], na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------- offenders, items, coverage
def chronic_offenders(inspections: pd.DataFrame, today: dt.date, min_failed: int = CHRONIC_MIN_FAILED,
                      days: int = CHRONIC_DAYS) -> pd.DataFrame:
    """Sites with ≥ ``min_failed`` failed inspections in the ``days`` ending ``today``.

    A failed inspection has at least one failed item or found the site working during a stop
    order. Columns: site_id, failed_inspections, failed_items, inspections, last_failure;
    worst first.
    """
    start = today - dt.timedelta(days=days - 1)
    dates = pd.to_datetime(inspections["date"]).dt.date
    part = inspections[(dates >= start) & (dates <= today)].copy()
    part["date"] = pd.to_datetime(part["date"]).dt.date
    part["failed"] = (part["n_fail"] > 0) | part["working_during_stop"].astype(bool)
    grouped = part.groupby("site_id").agg(
        failed_inspections=("failed", "sum"),
        failed_items=("n_fail", "sum"),
        inspections=("inspection_id", "count"),
    )
    last = part[part["failed"]].groupby("site_id")["date"].max().rename("last_failure")
    out = grouped.join(last).reset_index()
    out = out[out["failed_inspections"] >= min_failed]
    out["failed_inspections"] = out["failed_inspections"].astype("int64")
    out["failed_items"] = out["failed_items"].astype("int64")
    return out.sort_values(["failed_inspections", "failed_items", "site_id"],
                           ascending=[False, False, True]).reset_index(drop=True)


def most_failed_items(results: pd.DataFrame) -> pd.DataFrame:
    """Items by number of failures: item_key, failed, applicable, fail_share (failed/applicable)."""
    out = _counts(results, ["item_key"])
    out["fail_share"] = 1 - out["rate"]
    return out.sort_values(["failed", "item_key"], ascending=[False, True]).reset_index(drop=True)


def coverage_gaps(sites: pd.DataFrame, last_inspected: pd.Series, today: dt.date,
                  days: int = COVERAGE_DAYS) -> pd.DataFrame:
    """Active sites not inspected in the last ``days`` days (never-inspected ones included).

    ``sites``: site_id, status; ``last_inspected``: last inspection date per site_id. Columns
    added: last_inspected (None if never), days_since (None if never); longest gap first.
    """
    active = sites[sites["status"] == "active"]
    known = {site: pd.Timestamp(day).date() for site, day in last_inspected.items() if not pd.isna(day)}
    cutoff = today - dt.timedelta(days=days)
    rows = []
    for record in active.to_dict("records"):
        last = known.get(record["site_id"])
        if last is None or last <= cutoff:
            rows.append(record | {"last_inspected": last, "days_since": None if last is None else (today - last).days})
    rows.sort(key=lambda r: (-(10**9 if r["days_since"] is None else r["days_since"]), r["site_id"]))
    out = pd.DataFrame(rows, columns=[*sites.columns, "last_inspected", "days_since"])
    # Object columns keep "never inspected" as None rather than NaN.
    out["days_since"] = pd.Series([r["days_since"] for r in rows], index=out.index, dtype=object)
    out["last_inspected"] = pd.Series([r["last_inspected"] for r in rows], index=out.index, dtype=object)
    return out


# --------------------------------------------------------------------------- plates
#: The range each count of ``PlateRules`` may take. A window shorter than a week could miss a
#: weekly-inspected site's only visit (green by absence); a year is the campaign's horizon.
#: ``yellow_open_rectifications`` 0 means open rectifications alone never make a site yellow.
PLATE_BOUNDS: dict[str, tuple[int, int]] = {
    "window_days": (7, 365),
    "red_failures": (1, 100),
    "red_overdue_rectifications": (1, 50),
    "yellow_failures": (1, 100),
    "yellow_open_rectifications": (0, 50),
}


@dataclass(frozen=True)
class PlateRules:
    """Thresholds of the plate rules; ``app_settings`` key ``plate_rules`` (JSON) overrides them."""

    window_days: int = 28
    red_failures: int = 6
    red_overdue_rectifications: int = 2
    red_on_working_during_stop: bool = True
    yellow_failures: int = 2
    yellow_open_rectifications: int = 1

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any] | None) -> PlateRules:
        """Defaults with the valid entries of ``overrides`` applied: unknown keys, wrong types and
        counts outside ``PLATE_BOUNDS`` are ignored, so a bad stored value never breaks a page."""
        rules = cls()
        if not isinstance(overrides, dict):
            return rules
        changes: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in overrides:
                continue
            value = overrides[f.name]
            if f.name == "red_on_working_during_stop":
                if isinstance(value, bool):
                    changes[f.name] = value
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                low, high = PLATE_BOUNDS[f.name]
                if low <= value <= high and value == int(value):
                    changes[f.name] = int(value)
        return replace(rules, **changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PlateFacts:
    """A site's record as the plate rules see it on one day."""

    failures: int = 0  # failed items in the window
    working_during_stop: int = 0  # inspections in the window that found work during a stop order
    open_rectifications: int = 0  # open on the day
    overdue_rectifications: int = 0  # open on the day with the deadline already passed


@dataclass(frozen=True)
class PlateDecision:
    plate: str
    # Why, as (i18n key, params) pairs, e.g. ("compliance.plate_reason.failures", {"n": 7, "days": 28}).
    reasons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def derive_plate(facts: PlateFacts, rules: PlateRules = PlateRules()) -> PlateDecision:
    """Red, yellow or green for ``facts`` under ``rules`` (red conditions first)."""
    red: list[tuple[str, dict[str, Any]]] = []
    if rules.red_on_working_during_stop and facts.working_during_stop > 0:
        red.append(("compliance.plate_reason.working_during_stop", {"n": facts.working_during_stop}))
    if facts.failures >= rules.red_failures:
        red.append(("compliance.plate_reason.failures", {"n": facts.failures, "days": rules.window_days}))
    if facts.overdue_rectifications >= rules.red_overdue_rectifications:
        red.append(("compliance.plate_reason.overdue", {"n": facts.overdue_rectifications}))
    if red:
        return PlateDecision("red", red)
    yellow: list[tuple[str, dict[str, Any]]] = []
    if facts.failures >= rules.yellow_failures:
        yellow.append(("compliance.plate_reason.failures", {"n": facts.failures, "days": rules.window_days}))
    if rules.yellow_open_rectifications > 0 and facts.open_rectifications >= rules.yellow_open_rectifications:
        yellow.append(("compliance.plate_reason.open", {"n": facts.open_rectifications}))
    if yellow:
        return PlateDecision("yellow", yellow)
    return PlateDecision("green", [("compliance.plate_reason.clean", {"days": rules.window_days})])


def plate_facts(
    failure_dates: Iterable[dt.date],
    working_during_stop_dates: Iterable[dt.date],
    rectifications: Iterable[tuple[dt.date, dt.date, dt.date | None]],
    today: dt.date,
    rules: PlateRules = PlateRules(),
) -> PlateFacts:
    """The facts on ``today`` from a site's history.

    ``failure_dates``: one date per failed item; ``working_during_stop_dates``: one per such
    inspection; ``rectifications``: (opened, deadline, closed or None). The window is the
    ``rules.window_days`` days ending ``today``. A rectification is open on ``today`` when it was
    opened by then and not closed by then; overdue when, in addition, its deadline has passed.
    """
    start = today - dt.timedelta(days=rules.window_days - 1)
    failures = sum(1 for d in failure_dates if start <= d <= today)
    wds = sum(1 for d in working_during_stop_dates if start <= d <= today)
    open_n = overdue = 0
    for opened, deadline, closed in rectifications:
        if opened <= today and (closed is None or closed > today):
            open_n += 1
            overdue += deadline < today
    return PlateFacts(failures, wds, open_n, overdue)
