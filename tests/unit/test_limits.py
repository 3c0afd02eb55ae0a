"""The plausible ranges every importer checks against, and how values appear in messages."""

from __future__ import annotations

import datetime as dt

from dashboard.domain.aqi import BREAKPOINTS
from dashboard.domain.limits import CONCENTRATION_CEILINGS, READINGS_FROM, readings_until, records_until
from dashboard.ingest.cnemc import POLLUTANTS
from dashboard.ingest.report import clip


def test_every_stored_pollutant_has_a_ceiling_above_the_top_of_the_aqi_scale():
    assert set(CONCENTRATION_CEILINGS) == set(POLLUTANTS)
    for standard in BREAKPOINTS.values():
        for indicator, points in standard.items():
            pollutant = indicator.split("_")[0]
            assert CONCENTRATION_CEILINGS[pollutant] >= max(points), indicator


def test_the_era_of_readings_and_records():
    assert READINGS_FROM == dt.date(2013, 1, 1)
    assert readings_until(dt.date(2025, 12, 31)) == dt.date(2026, 1, 1)  # Beijing is ahead of UTC
    assert records_until(dt.date(2025, 2, 28)) == dt.date(2035, 12, 31)


def test_clip_cuts_long_values_and_escapes_invisible_characters():
    assert clip("x" * 10_000_000) == "x" * 40 + "…"
    assert clip("北京") == "北京" and clip(None) == "" and clip(1e400) == "inf"
    assert clip("a\x1b[2J\nb") == r"a\x1b[2J\nb"
