"""Plausible ranges of imported values, in one place for every importer.

These are guards against garbage, not quality control: a value outside them cannot be a
measurement or a record typed by a person, so it is never stored. They catch overflow (``inf``,
``1e400``), fill values (``999999999``), a file in the wrong unit and dates from a broken
clock or a typo, while leaving every real extreme inside. An importer reports what it refused
with file, row, column and the limit.
"""

from __future__ import annotations

import datetime as dt

#: Highest plausible hourly concentration of each pollutant (µg/m³; CO mg/m³), inclusive.
CONCENTRATION_CEILINGS: dict[str, float] = {
    # Dust storms put hourly particulates in the thousands (PM10 above 7 000 µg/m³ in Beijing
    # on 15 March 2021, unverified) and beta-gauge monitors read up to 10 000 µg/m³ (their
    # extended range, unverified); twice that is room for any real storm. Dust can be almost
    # all fine particles, so PM2.5 gets the same ceiling. The real files peak at PM10 829.
    "PM10": 20_000.0,
    "PM2.5": 20_000.0,
    # The HJ 633 scale ends (IAQI 500) at SO2 2 620 (24 h), NO2 3 840 (1 h) and O3 1 200 (1 h):
    # 10 000 is beyond the top of the scale for every gas; the real files peak at SO2 777,
    # NO2 270 and O3 286.
    "SO2": 10_000.0,
    "NO2": 10_000.0,
    "O3": 10_000.0,
    # CO is in mg/m³: the scale ends at 150 (IAQI 500, 1 h) and the real files peak at 9. A
    # file written in µg/m³ by mistake (1.1 mg/m³ as 1100) lands above it on ordinary hours.
    "CO": 150.0,
}

#: CNEMC began publishing hourly station data in January 2013 (74 cities): a reading dated
#: earlier is a wrong date, not old data.
READINGS_FROM = dt.date(2013, 1, 1)

#: Dates people type into the dashboard's records (a site's start, a ledger deadline): the
#: campaigns it serves began after 2000, and a plan more than this many years ahead is a typo
#: (2205 for 2025), not a plan.
RECORDS_FROM = dt.date(2000, 1, 1)
RECORD_YEARS_AHEAD = 10

#: 10 km²: larger than any single construction site (a whole new-town land preparation is a
#: few km²); a bigger number is extra digits or a value from another column.
SITE_AREA_MAX_M2 = 10_000_000.0

#: A meeting assigns tens of tasks; five digits leave room for any numbering scheme (running
#: numbers over a whole campaign) and stay far inside every database's integer column.
LEDGER_SEQ_MAX = 99_999

#: China with a margin (73.5–135.1 °E, 3.8–53.6 °N): a station of the national network is
#: inside, a swapped or shifted coordinate is not.
CHINA_BOX = (73.0, 136.0, 3.0, 54.0)


def readings_until(today: dt.date | None = None) -> dt.date:
    """The last plausible date of a reading: tomorrow by UTC.

    Readings are labelled in Beijing time (UTC+8), whose date is at most one day after the UTC
    date, so a server anywhere with a right clock never refuses today's file.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    return today + dt.timedelta(days=1)


def records_until(today: dt.date | None = None) -> dt.date:
    """The last plausible date of a record: the end of the year ``RECORD_YEARS_AHEAD`` ahead."""
    today = today or dt.date.today()
    return dt.date(today.year + RECORD_YEARS_AHEAD, 12, 31)



def unit(pollutant: str) -> str:
    """The unit of a pollutant's concentrations: mg/m³ for CO, µg/m³ for the others."""
    return "mg/m³" if pollutant == "CO" else "µg/m³"
