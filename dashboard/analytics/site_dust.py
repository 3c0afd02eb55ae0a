"""Site dust monitors' readings as the exports (and, later, the site pages) need them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.domain.hj212 import KIND_CNS, MAIN_FIELD
from dashboard.store import site_dust as store


def site_exists(session: Session, code: str) -> bool:
    return store.site_by_code(session, code) is not None


def main_values(session: Session, kind: str, *, site_code: str | None = None, first: dt.datetime | None = None,
                last: dt.datetime | None = None) -> pd.DataFrame:
    """The main value of each pollutant (Avg, Rtd for real-time data) per monitor and DataTime
    of one kind of data: site_code, mn, data_time (UTC), pollutant, value, flag."""
    frame = store.readings_frame(session, site_code=site_code, first=first, last=last, cn=KIND_CNS[kind],
                                 field=MAIN_FIELD[kind])
    return frame[["site_code", "mn", "data_time", "pollutant", "value", "flag"]]
