"""Compliance per township per day (and week), kept current by the writes (``compliance_daily``,
``compliance_daily_items``), and their consistency check.

A day's counts depend only on the submitted inspections of that Beijing day at the township's
sites, so a write refreshes exactly the township-days it touched (``refresh``); a site moved to
another township refreshes both townships (``refresh_townships``); the demo loader, a bulk
statement and the migration that creates the tables rebuild everything (``rebuild``). The counts
are ``domain.compliance``'s: passed, failed and not-applicable checks, inspections, failed
inspections (a failed item or work during a stop order, as ``chronic_offenders`` counts them)
and inspections that found work during a stop order. ``check`` recomputes every row from the
inspections and lists the differences (``python -m dashboard db check``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from dashboard.domain.compliance import week_start
from dashboard.store import compliance as raw
from dashboard.store import compliance_daily as store

TZ = store.TZ
COUNT_COLUMNS = store.COUNT_COLUMNS


def from_frames(results: pd.DataFrame, inspections: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables' rows from ``store.compliance`` frames (``results_frame``, ``inspections_frame``
    of Beijing days): (daily, items)."""
    flags = pd.DataFrame({
        "township_id": results["township_id"].astype("int64"),
        "date": pd.to_datetime(results["date"]).astype("datetime64[us]"),
        "item_key": results["item_key"].astype(str),
        "passed": (results["result"] == "pass").astype("int64"),
        "failed": (results["result"] == "fail").astype("int64"),
        "na": (results["result"] == "na").astype("int64"),
    })
    items = flags.groupby(["township_id", "date", "item_key"], sort=True).sum().reset_index()
    checks = flags.drop(columns="item_key").groupby(["township_id", "date"], sort=True).sum()
    visits = pd.DataFrame({
        "township_id": inspections["township_id"].astype("int64"),
        "date": pd.to_datetime(inspections["date"]).astype("datetime64[us]"),
        "inspections": np.ones(len(inspections), dtype="int64"),
        "failed_inspections": ((inspections["n_fail"] > 0) | inspections["working_during_stop"].astype(bool))
        .astype("int64"),
        "working_during_stop": inspections["working_during_stop"].astype("int64"),
    }).groupby(["township_id", "date"], sort=True).sum()
    daily = visits.join(checks, how="outer").fillna(0).astype("int64").reset_index()
    daily["week"] = week_start(daily["date"]).astype("datetime64[us]")
    return daily[store.DAILY_COLUMNS], items[store.ITEM_COLUMNS]


def computed(session: Session, first: dt.date | None = None, last: dt.date | None = None,
             township_ids: Iterable[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of Beijing days ``first..last`` (None: open) recomputed from the inspections."""
    results = raw.results_frame(session, first, last, TZ)
    inspections = raw.inspections_frame(session, first, last, TZ)
    if township_ids is not None:
        wanted = list(township_ids)
        results = results[results["township_id"].isin(wanted)]
        inspections = inspections[inspections["township_id"].isin(wanted)]
    return from_frames(results, inspections)


def _only(frame: pd.DataFrame, keys: set[tuple[int, dt.date]]) -> pd.DataFrame:
    if frame.empty:
        return frame
    mine = [(int(t), d.date()) in keys for t, d in zip(frame["township_id"], pd.to_datetime(frame["date"]),
                                                       strict=True)]
    return frame[mine]


def refresh(session: Session, keys: Iterable[tuple[int, dt.date]]) -> None:
    """Recompute the rows of the (township_id, Beijing day) ``keys``."""
    keys = {(int(t), d) for t, d in keys}
    if not keys:
        return
    days = [d for _, d in keys]
    daily, items = computed(session, min(days), max(days), {t for t, _ in keys})
    store.replace(session, _only(daily, keys), _only(items, keys), keys)


def refresh_townships(session: Session, township_ids: Iterable[int]) -> None:
    """Recompute every row of ``township_ids`` (a site moved between them)."""
    towns = [int(t) for t in township_ids if t is not None]
    stored = store.read_daily(session, township_ids=towns)
    daily, items = computed(session, township_ids=towns)
    keys = {(int(t), d.date()) for t, d in zip(stored["township_id"], stored["date"], strict=True)}
    keys |= {(int(t), d.date()) for t, d in zip(daily["township_id"], daily["date"], strict=True)}
    store.replace(session, daily, items, keys)


def rebuild(session: Session) -> int:
    """Recompute every row from the inspections; returns the daily rows written."""
    daily, items = computed(session)
    written = store.replace(session, daily, items)
    store.bump(session, store.COMPLIANCE)
    store.covered(session)
    return written


# --------------------------------------------------------------------------- check
@dataclass(frozen=True)
class Difference:
    """One row where the compliance tables and a recomputation from the inspections disagree."""

    table: str
    key: tuple
    column: str  # a count column, or "row" when the row is missing or extra
    stored: object
    expected: object

    def __str__(self) -> str:
        key = " ".join(k.isoformat() if isinstance(k, dt.date) else str(k) for k in self.key)
        return f"{self.table} {key} {self.column}: stored {self.stored!r}, expected {self.expected!r}"


def _compare(table: str, stored: pd.DataFrame, expected: pd.DataFrame, key: list[str],
             columns: list[str]) -> list[Difference]:
    both = stored.merge(expected, on=key, how="outer", suffixes=("_s", "_e"), indicator="where")

    def key_of(row) -> tuple:
        return tuple(pd.Timestamp(v).date() if k == "date" else v for k, v in zip(key, row, strict=True))

    out: list[Difference] = []
    for *values, where in zip(*(both[k] for k in key), both["where"], strict=True):
        if where != "both":
            missing = where == "right_only"
            out.append(Difference(table, key_of(values), "row", None if missing else "present",
                                  "present" if missing else None))
    matched = both[both["where"] == "both"]
    for c in columns:
        s, e = matched[f"{c}_s"], matched[f"{c}_e"]
        differ = (pd.to_datetime(s) != pd.to_datetime(e)) if c == "week" else (s.astype("int64") != e.astype("int64"))
        for i in np.flatnonzero(differ.to_numpy()):
            out.append(Difference(table, key_of([matched[k].iloc[i] for k in key]), c, s.iloc[i], e.iloc[i]))
    return out


def check(session: Session) -> list[Difference]:
    """Recompute both tables from the inspections and list every difference."""
    daily, items = computed(session)
    out = _compare("compliance_daily", store.read_daily(session), daily, ["township_id", "date"],
                   ["week", *store.COUNT_COLUMNS])
    out += _compare("compliance_daily_items", store.read_items(session), items, ["township_id", "date", "item_key"],
                    ["passed", "failed", "na"])
    return sorted(out, key=lambda d: (d.table, d.key, d.column))


# --------------------------------------------------------------------------- what the pages read
def _kept(tz) -> bool:
    """The stored rows are of Beijing days: a page shown in another zone recomputes its own."""
    return getattr(tz, "key", None) == TZ.key


def daily(session: Session, tz, first: dt.date | None, last: dt.date | None) -> pd.DataFrame:
    """``DAILY_COLUMNS`` rows of the days ``first..last`` in ``tz`` (stored, or recomputed from the
    inspections when ``tz`` is not Beijing's)."""
    if _kept(tz):
        return store.read_daily(session, first, last)
    return from_frames(raw.results_frame(session, first, last, tz), raw.inspections_frame(session, first, last, tz))[0]


def items(session: Session, tz, first: dt.date | None, last: dt.date | None) -> pd.DataFrame:
    """``ITEM_COLUMNS`` rows of the days ``first..last`` in ``tz``."""
    if _kept(tz):
        return store.read_items(session, first, last)
    return from_frames(raw.results_frame(session, first, last, tz), raw.inspections_frame(session, first, last, tz))[1]
