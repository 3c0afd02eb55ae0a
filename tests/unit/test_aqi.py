"""HJ 633 AQI engine: worked vectors, breakpoints, 2012/2026 switch, fallbacks, properties."""

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.domain import aqi as A
from dashboard.domain.aqi import (
    BREAKPOINTS,
    CATEGORIES,
    IAQI_LEVELS,
    STANDARD_2012,
    STANDARD_2026,
    SWITCH_DATE,
    category_of,
    daily_aqi,
    hourly_aqi,
    iaqi,
    standard_for,
)

TZ = "Asia/Shanghai"


def one(indicator, conc, standard=STANDARD_2012):
    return iaqi(indicator, [conc], standard)[0]


def hourly_row(standard=STANDARD_2012, **values):
    return hourly_aqi(pd.DataFrame({k: [v] for k, v in values.items()}), standard=standard).iloc[0]


# --------------------------------------------------------------------------- worked vectors
@pytest.mark.parametrize(
    ("indicator", "conc", "expected"),
    [
        ("PM2.5_24h", 103, 135),
        ("PM2.5_24h", 40, 57),
        ("SO2_24h", 523, 158),
        ("CO_24h", 2.2, 55),  # floating point gives 55.000000001 -> 56
        ("CO_24h", 2.5, 63),
        ("PM10_24h", 400, 272),
        ("O3_8h", 200, 137),
        ("NO2_1h", 250, 105),
    ],
)
def test_worked_vectors(indicator, conc, expected):
    assert one(indicator, conc) == expected


def test_float_trap_really_is_a_trap():
    # the naive float formula rounds CO 2.2 up to 56; the engine must not
    assert math.ceil((100 - 50) / (4 - 2) * (2.2 - 2) + 50) == 56
    assert one("CO_24h", 2.2) == 55


def test_pm25_alias():
    assert one("PM25_24h", 103) == 135


def test_daily_worked_example():
    frame = pd.DataFrame(
        {"SO2": [15], "NO2": [62], "PM10": [186], "CO": [1.6], "O3_8h": [58], "O3_1h": [85],
         "PM2.5": [142], "date": [pd.Timestamp("2019-12-05")]}
    )
    row = daily_aqi(frame).iloc[0]
    assert row["aqi"] == 189
    assert row["category"] == 4
    assert CATEGORIES[row["category"] - 1]["zh"] == "中度污染"
    assert row["primary_pollutants"] == "PM2.5"
    assert row["over_standard"] == "PM2.5,PM10"
    assert (row["iaqi_so2"], row["iaqi_no2"], row["iaqi_pm10"], row["iaqi_co"]) == (15, 78, 118, 40)
    assert (row["iaqi_o3_8h"], row["iaqi_o3_1h"], row["iaqi_o3"]) == (29, 27, 29)
    assert row["standard"] == STANDARD_2012


# --------------------------------------------------------------------------- breakpoints
@pytest.mark.parametrize("standard", [STANDARD_2012, STANDARD_2026])
@pytest.mark.parametrize("indicator", list(BREAKPOINTS[STANDARD_2012]))
def test_every_breakpoint_maps_to_its_iaqi(standard, indicator):
    bps = BREAKPOINTS[standard][indicator]
    got = iaqi(indicator, list(bps), standard)
    assert list(got) == list(IAQI_LEVELS[: len(bps)])


def test_2026_particulate_breakpoints():
    assert one("PM2.5_24h", 60, STANDARD_2026) == 100
    assert one("PM2.5_24h", 75, STANDARD_2012) == 100
    assert one("PM2.5_24h", 60, STANDARD_2012) == 82  # 50 + 50*25/40 = 81.25 -> 82
    assert one("PM10_24h", 120, STANDARD_2026) == 100
    assert one("PM10_24h", 150, STANDARD_2012) == 100
    assert one("PM2.5_24h", 35, STANDARD_2026) == one("PM2.5_24h", 35, STANDARD_2012) == 50
    assert one("PM2.5_24h", 115, STANDARD_2026) == 150


def test_standard_for_switch():
    before = pd.Timestamp("2026-02-28 23:59:59", tz=TZ)
    assert SWITCH_DATE == pd.Timestamp("2026-03-01 00:00", tz=TZ)
    got = standard_for(pd.Series([before, SWITCH_DATE]))
    assert list(got) == [STANDARD_2012, STANDARD_2026]
    # 16:00 UTC on 28 Feb is midnight in Beijing
    utc = pd.to_datetime(["2026-02-28 15:59", "2026-02-28 16:00"]).tz_localize("UTC")
    assert list(standard_for(utc)) == [STANDARD_2012, STANDARD_2026]
    # naive values are Beijing time; dates work too; NaT gives ""
    assert list(standard_for(["2026-02-28 23:00", "2026-03-01", None])) == [STANDARD_2012, STANDARD_2026, ""]


def test_hourly_standard_chosen_by_time_across_switch():
    times = pd.date_range("2026-02-28 22:00", periods=4, freq="h", tz=TZ)
    frame = pd.DataFrame({"time": times, "PM2.5": [60.0] * 4, "PM10": [120.0] * 4})
    out = hourly_aqi(frame)
    assert list(out["standard"]) == [STANDARD_2012, STANDARD_2012, STANDARD_2026, STANDARD_2026]
    assert list(out["iaqi_pm25"]) == [82, 82, 100, 100]
    assert list(out["iaqi_pm10"]) == [85, 85, 100, 100]
    assert list(out["aqi"]) == [85, 85, 100, 100]
    assert list(out["primary_pollutants"]) == ["PM10", "PM10", "PM2.5,PM10", "PM2.5,PM10"]


def test_hourly_rows_out_of_time_order_get_the_same_answers_as_in_order():
    """Rows in time order are computed as two slices, rows in any other order row by row: the
    answers must not depend on it (values on and off the lookup grid, both standards)."""
    times = pd.date_range("2026-02-27 00:00", periods=96, freq="h", tz=TZ)
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"time": times, "PM2.5": rng.integers(0, 400, 96).astype(float),
                          "PM10": rng.integers(0, 600, 96) + rng.choice([0.0, 0.5], 96),
                          "O3": rng.integers(0, 900, 96).astype(float), "NO2": rng.integers(0, 500, 96).astype(float),
                          "SO2": rng.integers(0, 700, 96).astype(float), "CO": rng.integers(0, 400, 96) / 10})
    ordered = hourly_aqi(frame)
    assert set(ordered["standard"]) == {STANDARD_2012, STANDARD_2026}
    shuffled = frame.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(hourly_aqi(shuffled).sort_index(), ordered)


def test_hourly_needs_time_or_standard():
    with pytest.raises(ValueError, match="time"):
        hourly_aqi(pd.DataFrame({"PM2.5": [10]}))
    with pytest.raises(ValueError, match="unknown standard"):
        hourly_aqi(pd.DataFrame({"PM2.5": [10]}), standard="GB 3095")
    with pytest.raises(ValueError, match="unknown indicator"):
        iaqi("PM1_24h", [1])


# --------------------------------------------------------------------------- fallbacks above the table
def test_so2_1h_above_800():
    assert one("SO2_1h", 800) == 200
    assert pd.isna(one("SO2_1h", 801))  # 2012: no 1h IAQI, use the 24h one
    assert one("SO2_1h", 801, STANDARD_2026) == 200
    # hourly, 2012: SO2_24h column gives the IAQI (200 -> 100 + 50*50/325 = 107.7 -> 108)
    row = hourly_row(SO2=900, SO2_24h=200, PM10=10)
    assert row["iaqi_so2"] == 108 and row["aqi"] == 108 and row["primary_pollutants"] == "SO2"
    # no SO2_24h column: SO2 is left out
    row = hourly_row(SO2=900, PM10=10)
    assert pd.isna(row["iaqi_so2"]) and row["aqi"] == 10 and row["n_iaqi"] == 1
    # 2026: counts as 200 whatever the 24h mean
    row = hourly_row(STANDARD_2026, SO2=900, SO2_24h=200, PM10=10)
    assert row["iaqi_so2"] == 200 and row["aqi"] == 200


def test_o3_8h_above_800():
    assert one("O3_8h", 800) == 300
    assert pd.isna(one("O3_8h", 801))
    assert one("O3_8h", 801, STANDARD_2026) == 300
    frame = pd.DataFrame({"O3_8h": [850, 850], "O3_1h": [900, 900], "PM2.5": [10, 10]})
    r12 = daily_aqi(frame, standard=STANDARD_2012).iloc[0]
    # 2012: 8h left out, O3 1h counts: 300 + 100*100/200 = 350
    assert pd.isna(r12["iaqi_o3_8h"]) and r12["iaqi_o3_1h"] == 350 and r12["iaqi_o3"] == 350
    assert r12["aqi"] == 350 and r12["primary_pollutants"] == "O3"
    r26 = daily_aqi(frame, standard=STANDARD_2026).iloc[0]
    assert r26["iaqi_o3_8h"] == 300 and pd.isna(r26["iaqi_o3_1h"]) and r26["aqi"] == 300


def test_daily_o3_uses_both_in_2012_and_8h_only_in_2026():
    frame = pd.DataFrame({"O3_1h": [300], "O3_8h": [100], "date": ["2026-02-28"]})
    assert daily_aqi(frame).iloc[0]["aqi"] == 150  # O3 1h 300 -> 150
    frame["date"] = ["2026-03-01"]
    row = daily_aqi(frame).iloc[0]
    assert row["aqi"] == 50 and row["standard"] == STANDARD_2026


def test_above_top_caps_at_500():
    # the platform publishes AQI 500 for PM10 829 / PM2.5 789 (Zhengzhou, 2025-01-29)
    assert one("PM10_24h", 829) == 500
    assert one("PM2.5_24h", 789) == 500
    assert one("CO_1h", 1e300) == 500
    assert hourly_row(PM10=829)["aqi"] == 500


def test_invalid_concentrations_are_missing():
    got = iaqi("PM2.5_24h", [-1, None, np.nan, "x", "35", pd.NA, np.inf])
    assert list(pd.isna(got)) == [True, True, True, True, False, True, True]
    assert got[4] == 50
    assert iaqi("NO2_1h", pd.array([100, None], dtype="Int64")).tolist() == [50, pd.NA]


# --------------------------------------------------------------------------- missing, ties, labels
def test_missing_pollutants():
    frame = pd.DataFrame(
        {"PM2.5": [np.nan, np.nan, 80], "PM10": [np.nan, 160, np.nan], "SO2": [np.nan, 5, 5],
         "NO2": [np.nan, 20, 20], "CO": [np.nan, 0.5, np.nan], "O3": [np.nan, 30, 30]},
        index=["a", "b", "c"],
    )
    out = hourly_aqi(frame, standard=STANDARD_2012)
    assert list(out.index) == ["a", "b", "c"]
    assert pd.isna(out.loc["a", "aqi"]) and pd.isna(out.loc["a", "category"])
    assert out.loc["a", "primary_pollutants"] == "" and out.loc["a", "n_iaqi"] == 0
    assert out.loc["b", "aqi"] == 105 and out.loc["b", "primary_pollutants"] == "PM10"
    assert out.loc["b", "n_iaqi"] == 5
    assert out.loc["c", "aqi"] == 107 and out.loc["c", "n_iaqi"] == 4
    assert str(out["aqi"].dtype) == "Int64"


def test_absent_columns_count_as_blank():
    out = hourly_aqi(pd.DataFrame({"CO": [2.2]}), standard=STANDARD_2012)
    assert out.loc[0, "aqi"] == 22 and out.loc[0, "n_iaqi"] == 1


def test_ties_primary_and_over_standard():
    row = hourly_row(**{"PM2.5": 75, "PM10": 150, "O3": 200, "NO2": 50, "SO2": 5, "CO": 0.5})
    assert row["aqi"] == 100
    assert row["primary_pollutants"] == "PM2.5,PM10,O3"
    assert row["over_standard"] == ""
    row = hourly_row(**{"PM2.5": 115, "PM10": 250, "CO": 35, "NO2": 10})
    assert row["primary_pollutants"] == "PM2.5,PM10,CO"
    assert row["over_standard"] == "PM2.5,PM10,CO"
    row = hourly_row(STANDARD_2026, **{"PM2.5": 115, "PM10": 250, "CO": 35})
    assert row["over_standard"] == ""  # removed in HJ 633-2026


def test_primary_only_above_50():
    assert hourly_row(**{"PM2.5": 35, "PM10": 50})["primary_pollutants"] == ""  # AQI 50
    row = hourly_row(**{"PM2.5": 35.1, "PM10": 50})
    assert row["aqi"] == 51 and row["primary_pollutants"] == "PM2.5"


def test_categories():
    aqis = [0, 50, 51, 100, 101, 150, 151, 200, 201, 300, 301, 500]
    assert list(category_of(aqis)) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert list(pd.isna(category_of([None, -1]))) == [True, True]
    assert [c["zh"] for c in CATEGORIES] == ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"]
    assert [c["colour"] for c in CATEGORIES] == ["#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023"]
    assert [c["level"] for c in CATEGORIES] == [1, 2, 3, 4, 5, 6]
    assert CATEGORIES[0]["en"] == "Excellent" and CATEGORIES[5]["en"] == "Severely polluted"


# --------------------------------------------------------------------------- properties
INDICATOR_STANDARDS = [(i, s) for s in (STANDARD_2012, STANDARD_2026) for i in BREAKPOINTS[s]]


def reference_iaqi(indicator, milli, standard):
    """Textbook formula in exact rationals (concentration in thousandths)."""
    bps = BREAKPOINTS[standard][indicator]
    c = Fraction(milli, 1000)
    if c > bps[-1]:
        return None
    for k in range(1, len(bps)):
        if c <= bps[k]:
            lo, hi = bps[k - 1], bps[k]
            il, ih = IAQI_LEVELS[k - 1], IAQI_LEVELS[k]
            return math.ceil(Fraction(ih - il, hi - lo) * (c - lo) + il)
    raise AssertionError


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(INDICATOR_STANDARDS), st.integers(min_value=0, max_value=4_000_000))
def test_iaqi_equals_exact_rational_formula(ind_std, milli):
    indicator, standard = ind_std
    expected = reference_iaqi(indicator, milli, standard)
    got = one(indicator, milli / 1000, standard)
    if expected is None:
        assert got is pd.NA or got in (200, 300, 500)
    else:
        assert got == expected


RAW_VALUES = st.one_of(
    st.floats(min_value=-10, max_value=5000), st.integers(0, 3000).map(float),
    st.integers(0, 400).map(lambda x: x / 10),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0]),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(INDICATOR_STANDARDS), st.lists(RAW_VALUES, min_size=1, max_size=40))
def test_iaqi_of_a_column_is_each_value_by_the_formula(ind_std, values):
    """The column path (table lookup for values on the grid, the formula for the rest) gives
    every value the exact formula's IAQI; blanks, negatives and infinities give none."""
    indicator, standard = ind_std
    got = iaqi(indicator, values, standard)
    for value, result in zip(values, got, strict=True):
        if not math.isfinite(value) or value < 0:
            assert result is pd.NA, value
            continue
        expected = reference_iaqi(indicator, round(round(value, 3) * 1000), standard)
        if expected is None:
            assert result is pd.NA or result in (200, 300, 500), value
        else:
            assert result == expected, value


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(INDICATOR_STANDARDS),
    st.floats(min_value=0, max_value=5000, allow_nan=False),
    st.floats(min_value=0, max_value=5000, allow_nan=False),
)
def test_iaqi_monotone_and_bounded(ind_std, a, b):
    indicator, standard = ind_std
    lo, hi = sorted((a, b))
    top = BREAKPOINTS[standard][indicator][-1]
    got = iaqi(indicator, [lo, hi], standard)
    if pd.isna(got[1]):  # only the 2012 SO2 1h / O3 8h gaps above 800
        assert hi > top and standard == STANDARD_2012 and indicator in ("SO2_1h", "O3_8h")
        return
    assert 0 <= got[0] <= got[1] <= 500


optional = st.one_of(st.none(), st.floats(min_value=0, max_value=1500, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(optional, optional, optional, optional, optional, optional), min_size=1, max_size=20),
    st.sampled_from([STANDARD_2012, STANDARD_2026]),
)
def test_aqi_is_max_of_iaqis(rows, standard):
    frame = pd.DataFrame(rows, columns=["PM2.5", "PM10", "O3", "NO2", "SO2", "CO"], dtype=float)
    out = hourly_aqi(frame, standard=standard)
    iaqis = out[["iaqi_pm25", "iaqi_pm10", "iaqi_o3", "iaqi_no2", "iaqi_so2", "iaqi_co"]]
    expected = iaqis.max(axis=1, skipna=True)
    assert out["aqi"].isna().equals(iaqis.isna().all(axis=1))
    have = out["aqi"].notna()
    assert (out["aqi"][have] == expected[have]).all()
    assert ((out["aqi"][have] >= 0) & (out["aqi"][have] <= 500)).all()
    assert (out["n_iaqi"] == iaqis.notna().sum(axis=1)).all()
    for i in np.flatnonzero(have):
        listed = out["primary_pollutants"].iloc[i]
        if out["aqi"].iloc[i] <= 50:
            assert listed == ""
        else:
            assert listed and all(p in A.POLLUTANT_ORDER for p in listed.split(","))
