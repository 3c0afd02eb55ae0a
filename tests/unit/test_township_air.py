"""A township's daily air from its stations' daily values, worked by hand (HJ 633-2012)."""

import pandas as pd
import pytest

from dashboard.analytics import air
from dashboard.analytics.township_air import township_daily, township_id_of, township_series


def _daily() -> pd.DataFrame:
    """Two stations and the district on two days, with their daily AQI as daily_frame gives it."""
    values = pd.DataFrame({
        "series": ["1316A", "1317A", "1316A", "1317A", "district"],
        "date": pd.to_datetime(["2025-01-10", "2025-01-10", "2025-01-11", "2025-01-11", "2025-01-10"]),
        "SO2": [10.0, 20.0, 10.0, None, 1.0], "NO2": [40.0, 50.0, 40.0, 40.0, 1.0],
        "PM10": [100.0, 151.0, 100.0, 100.0, 1.0], "PM2.5": [70.0, 81.0, 30.0, None, 1.0],
        "CO": [1.0, 1.3, 1.0, 1.0, 1.0], "O3_1h": [50.0, 60.0, 50.0, 50.0, 1.0], "O3_8h": [40.0, 41.0, 40.0, 40.0, 1.0],
    })
    return air._with_daily_aqi(values)


def test_series_names_cannot_be_station_codes_or_the_district():
    assert township_series(7) == "township:7" and township_id_of("township:7") == 7
    assert township_id_of("1316A") is None and township_id_of("district") is None
    assert township_id_of("township:x") is None


def test_a_townships_day_is_the_mean_of_its_stations_and_its_aqi_comes_from_those_means():
    daily = _daily()
    out = township_daily(daily, {7: ["1316A", "1317A"], 8: ["1316A"], 9: ["9999Z"], 10: []})
    assert list(out.columns) == list(daily.columns)
    assert sorted(out["series"].unique()) == ["township:7", "township:8"]  # no rows for 9 and 10
    day1 = out[(out["series"] == "township:7") & (out["date"] == pd.Timestamp("2025-01-10"))].iloc[0]
    # PM2.5 (70 + 81) / 2 = 75.5 → 76 (half to even); IAQI (150-100)/(115-75)·(76-75)+100 = 101.25 → 102.
    # PM10 (100 + 151) / 2 = 125.5 → 126; IAQI 50/100·(126-50)+50 = 88. SO2 15, NO2 45, CO 1.15 → 1.2.
    assert (day1["PM2.5"], day1["PM10"], day1["SO2"], day1["NO2"], day1["CO"]) == (76, 126, 15, 45, 1.2)
    assert (day1["iaqi_pm25"], day1["iaqi_pm10"]) == (102, 88)
    assert (day1["aqi"], day1["category"], day1["primary_pollutants"]) == (102, 3, "PM2.5")
    day2 = out[(out["series"] == "township:7") & (out["date"] == pd.Timestamp("2025-01-11"))].iloc[0]
    # 1317A has no PM2.5 nor SO2 that day: the township takes 1316A's alone.
    assert (day2["PM2.5"], day2["SO2"], day2["iaqi_pm25"], day2["aqi"]) == (30, 10, 43, 75)
    assert day2["primary_pollutants"] == "PM10"
    alone = out[out["series"] == "township:8"].reset_index(drop=True)
    station = daily[daily["series"] == "1316A"].reset_index(drop=True)
    assert alone.drop(columns="series").equals(station.drop(columns="series"))


def test_the_district_rows_and_an_empty_frame_change_nothing():
    daily = _daily()
    stations_only = daily[daily["series"] != "district"]
    assert township_daily(daily, {1: ["1316A", "1317A"]}).equals(township_daily(stations_only, {1: ["1316A", "1317A"]}))
    assert township_daily(daily.iloc[0:0], {1: ["1316A"]}).empty
    assert township_daily(daily, {}).empty and list(township_daily(daily, {}).columns) == list(daily.columns)


def test_it_is_the_district_computation_for_a_one_township_group():
    daily = _daily()
    group = pd.DataFrame({"code": ["1316A", "1317A"], "in_district": True, "is_background": False})
    district = air.district_daily(daily, group)
    township = township_daily(daily, {3: ["1316A", "1317A"]})
    assert township["aqi"].tolist() == district["aqi"].tolist() == [102, 75]
    assert township["PM2.5"].tolist() == pytest.approx(district["PM2.5"].tolist())
