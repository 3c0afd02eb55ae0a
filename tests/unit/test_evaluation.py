"""HJ 663-2013 evaluation: validity rules, O3 8h, period statistics, composite index; real CNEMC check."""


import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.domain.aqi import daily_aqi
from dashboard.domain.evaluation import (
    composite_index,
    daily_values,
    day_of_hour,
    exceedance_days,
    good_days,
    group_mean,
    o3_8h_moving,
    percentile,
    period_stats,
    required_days,
)
from tests.conftest import shared_data

TZ = "Asia/Shanghai"


def hours(start: str, n: int, station: str = "S1", **values) -> pd.DataFrame:
    """n consecutive CNEMC hour labels starting at ``start`` (Beijing time)."""
    frame = pd.DataFrame({"station": station, "time": pd.date_range(start, periods=n, freq="h", tz=TZ)})
    for k, v in values.items():
        frame[k] = v
    return frame


# --------------------------------------------------------------------------- hourly -> daily
def test_hour_label_belongs_to_previous_day_at_midnight():
    t = pd.Series(pd.to_datetime(["2019-12-05 00:00", "2019-12-05 01:00", "2019-12-05 23:00"]).tz_localize(TZ))
    assert list(day_of_hour(t)) == [pd.Timestamp("2019-12-04"), pd.Timestamp("2019-12-05"), pd.Timestamp("2019-12-05")]
    # UTC input is converted first: 16:00 UTC = 00:00 Beijing -> previous day
    utc = pd.Series(pd.to_datetime(["2019-12-04 16:00", "2019-12-04 17:00"]).tz_localize("UTC"))
    assert list(day_of_hour(utc)) == [pd.Timestamp("2019-12-04"), pd.Timestamp("2019-12-05")]


@pytest.mark.parametrize(("n_hours", "valid"), [(24, True), (20, True), (19, False)])
def test_daily_mean_needs_20_hours(n_hours, valid):
    frame = hours("2019-12-05 01:00", 24, **{"PM2.5": 50.0, "SO2": 10.0})
    frame.loc[n_hours:, "PM2.5"] = np.nan
    day = daily_values(frame).set_index("date").loc[pd.Timestamp("2019-12-05")]
    assert day["SO2"] == 10.0
    assert (day["PM2.5"] == 50.0) if valid else np.isnan(day["PM2.5"])


def test_absent_hours_count_as_missing():
    frame = hours("2019-12-05 01:00", 24, O3=100.0, CO=1.0).drop(index=range(5, 10))  # 19 rows left
    day = daily_values(frame).iloc[0]
    assert np.isnan(day["CO"]) and np.isnan(day["O3_1h"])


def test_o3_8h_moving_needs_6_of_8():
    frame = hours("2019-07-01 01:00", 8, O3=[10.0, 20, 30, 40, 50, 60, 70, 80])
    assert o3_8h_moving(frame).iloc[-1] == 45.0
    frame.loc[[0, 1], "O3"] = np.nan
    assert o3_8h_moving(frame).iloc[-1] == 55.0  # 6 of 8
    frame.loc[2, "O3"] = np.nan
    assert np.isnan(o3_8h_moving(frame).iloc[-1])  # 5 of 8
    # an absent row is missing too, and results follow the caller's row order
    shuffled = hours("2019-07-01 01:00", 8, O3=10.0).drop(index=[0, 1, 2]).iloc[::-1]
    assert o3_8h_moving(shuffled).isna().all()


def test_daily_max_8h_uses_windows_ending_08_to_24():
    # 2 days + 1 hour of labels; a spike in the hour labelled D 00:00 (23:00-24:00 of D-1)
    frame = hours("2019-07-01 01:00", 48, O3=80.0)
    frame.loc[frame["time"] == pd.Timestamp("2019-07-02 00:00", tz=TZ), "O3"] = 800.0
    daily = daily_values(frame).set_index("date")
    assert daily.loc[pd.Timestamp("2019-07-01"), "O3_8h"] == (7 * 80 + 800) / 8  # window ending 24:00
    assert daily.loc[pd.Timestamp("2019-07-01"), "O3_1h"] == 800
    # windows ending 01:00-07:00 of 2 July contain the spike but do not count for 2 July
    assert daily.loc[pd.Timestamp("2019-07-02"), "O3_8h"] == 80.0


@pytest.mark.parametrize(("invalid_windows", "valid"), [(3, True), (4, False)])
def test_daily_max_8h_needs_14_of_17(invalid_windows, valid):
    frame = hours("2019-07-01 01:00", 24, O3=100.0)  # labels 01:00 .. 24:00 (row i = label i+1)
    # blank the last 5 (or 6) hours: the windows ending 22-24 (or 21-24) then hold < 6 values
    frame.loc[24 - invalid_windows - 2:, "O3"] = np.nan
    moving = o3_8h_moving(frame)
    hour = frame["time"].dt.hour
    assert moving[(hour >= 8) | (hour == 0)].notna().sum() == 17 - invalid_windows
    day = daily_values(frame).iloc[0]
    assert (day["O3_8h"] == 100.0) if valid else np.isnan(day["O3_8h"])


# --------------------------------------------------------------------------- periods
def test_percentile_is_numpy_linear():
    values = np.arange(1, 11, dtype=float)
    assert percentile(values, 95) == pytest.approx(1 + 9 * 0.95)  # k = 1 + (n-1)p
    assert percentile([3.0, np.nan, 1.0], 90) == pytest.approx(2.8)
    assert np.isnan(percentile([], 90))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=500, allow_nan=False), min_size=1, max_size=40))
def test_period_percentiles_match_definition(values):
    n = len(values)
    daily = pd.DataFrame({"station": "S1", "date": pd.date_range("2019-01-01", periods=n, freq="D"),
                          "SO2": values, "NO2": values, "PM10": values, "PM2.5": values,
                          "CO": values, "O3_8h": values})
    stats = period_stats(daily, freq="Y").iloc[0]
    assert stats["CO_p95"] == pytest.approx(np.percentile(values, 95))
    assert stats["O3_8h_p90"] == pytest.approx(np.percentile(values, 90))
    assert stats["PM2.5"] == pytest.approx(np.mean(values))
    assert not stats["valid"]  # fewer than 324 days


@pytest.mark.parametrize(("month", "days", "valid"), [
    ("2019-02", 25, True), ("2019-02", 24, False), ("2019-03", 27, True), ("2019-03", 26, False)])
def test_month_validity(month, days, valid):
    dates = pd.date_range(f"{month}-01", periods=days, freq="D")
    daily = pd.DataFrame({"station": "S1", "date": dates, "SO2": 10.0, "NO2": 30.0, "PM10": 70.0,
                          "PM2.5": 35.0, "CO": 1.0, "O3_8h": 100.0})
    stats = period_stats(daily).iloc[0]
    assert stats["valid"] == valid
    assert stats["n_PM2.5"] == days


def test_year_needs_324_days():
    assert list(required_days(pd.Series(pd.period_range("2019", periods=1, freq="Y")))) == [324]
    dates = pd.date_range("2019-01-01", periods=324, freq="D")
    daily = pd.DataFrame({"station": "S1", "date": dates, "SO2": 1.0, "NO2": 1.0, "PM10": 1.0,
                          "PM2.5": 1.0, "CO": 1.0, "O3_8h": 1.0})
    assert period_stats(daily, freq="Y").iloc[0]["valid"]
    assert not period_stats(daily.iloc[1:], freq="Y").iloc[0]["valid"]


def test_composite_index_published_example():
    stats = {"PM2.5": 21, "PM10": 39, "SO2": 9, "NO2": 15, "O3_8h_p90": 192, "CO_p95": 0.7}
    result = composite_index(stats)
    assert round(result["composite"], 2) == 3.06
    shares = result[[k for k in result.index if k.startswith("share_")]]
    assert shares.sum() == pytest.approx(1.0)
    assert result["share_O3_8h_p90"] == pytest.approx((192 / 160) / result["composite"])
    frame = composite_index(pd.DataFrame([stats, {**stats, "SO2": np.nan}]))
    assert frame["composite"].iloc[0] == pytest.approx(result["composite"]) and np.isnan(frame["composite"].iloc[1])


def test_good_days_share():
    daily = pd.DataFrame({"station": "S1", "date": pd.date_range("2019-03-01", periods=5, freq="D"),
                          "aqi": pd.array([50, 100, 101, None, 300], dtype="Int64")})
    row = good_days(daily).iloc[0]
    assert (row["n_valid"], row["n_good"]) == (4, 2)
    assert row["good_share"] == 0.5


def test_exceedance_days_round_half_even_first():
    daily = pd.DataFrame({"station": "S1", "date": pd.date_range("2019-03-01", periods=5, freq="D"),
                          "PM2.5": [75.4, 75.5, 76.5, 74.5, np.nan], "O3_8h": [100, 161, 100, 100, np.nan],
                          "CO": [4.05, 4.15, 1, 1, np.nan]})
    row = exceedance_days(daily).iloc[0]
    assert row["exceed_PM2.5"] == 2  # 75.4 -> 75 no; 75.5 -> 76 yes; 76.5 -> 76 yes; 74.5 -> 74 no
    assert row["exceed_O3_8h"] == 1
    assert row["exceed_CO"] == 1  # 4.05 -> 4.0 no; 4.15 -> 4.2 yes
    assert row["exceed_any"] == 2 and row["n_days"] == 4


def test_group_mean_excludes_background():
    daily = pd.DataFrame({"station": ["A", "B", "BG", "C"], "date": pd.Timestamp("2019-12-05"),
                          "PM2.5": [40.0, 60.0, 10.0, 90.0]})
    groups = {"A": "East", "B": "East", "BG": "East", "C": "West"}
    out = group_mean(daily, groups, background={"A": False, "B": False, "BG": True})
    east = out.set_index("group").loc["East"]
    assert east["PM2.5"] == 50.0 and east["n_stations"] == 2
    assert group_mean(daily, groups, background=["BG"]).set_index("group").loc["West", "PM2.5"] == 90.0
    assert group_mean(daily, groups).set_index("group").loc["East", "PM2.5"] == pytest.approx(110 / 3)


def test_daily_values_feed_daily_aqi():
    frame = hours("2019-12-05 01:00", 24, SO2=15.0, NO2=62.0, PM10=186.0, CO=1.6, O3=58.0, **{"PM2.5": 142.0})
    out = daily_aqi(daily_values(frame))
    assert out["aqi"].iloc[0] == 189 and out["primary_pollutants"].iloc[0] == "PM2.5"


# --------------------------------------------------------------------------- real CNEMC data
def zhengzhou_2019() -> pd.DataFrame:
    files = sorted(shared_data("cnemc", "zhengzhou_wide_2019").glob("china_sites_2019*.csv"))
    wide = pd.concat([pd.read_csv(f, dtype={"date": str}) for f in files], ignore_index=True)
    frame = wide.set_index(["date", "hour", "type"]).rename_axis(columns="station").stack().unstack("type")
    frame = frame.reset_index()
    frame.columns.name = None
    frame["time"] = (pd.to_datetime(frame["date"], format="%Y%m%d")
                     + pd.to_timedelta(frame["hour"], unit="h")).dt.tz_localize(TZ)
    return frame.drop(columns="date")


@pytest.fixture(scope="module")
def cnemc_2019():
    return zhengzhou_2019()


def full_window_count(frame, column, window):
    ordered = frame.sort_values(["station", "time"])
    counts = ordered.groupby("station").rolling(window, on="time")[column].count().to_numpy()
    return pd.Series(counts, index=ordered.index).reindex(frame.index)


def test_o3_8h_matches_cnemc(cnemc_2019):
    frame = cnemc_2019
    ours = o3_8h_moving(frame)
    hour = frame["time"].dt.hour
    # the windows HJ 663 uses (ending 08:00-24:00) with all 8 hours present
    use = ((hour >= 8) | (hour == 0)) & (full_window_count(frame, "O3", "8h") == 8) & frame["O3_8h"].notna()
    assert use.sum() > 5000
    assert (ours[use].round() == frame.loc[use, "O3_8h"]).all()  # round half even, like CNEMC


def test_daily_means_match_cnemc_24h(cnemc_2019):
    frame = cnemc_2019
    daily = daily_values(frame)
    # the 24h running mean published at label 00:00 of D+1 covers exactly day D
    at_midnight = frame[frame["time"].dt.hour == 0].assign(date=lambda f: day_of_hour(f["time"]))
    for p in ("PM2.5", "PM10", "SO2", "NO2"):
        at_midnight[f"n_{p}"] = full_window_count(frame, p, "24h")[at_midnight.index]
    merged = daily.merge(at_midnight, on=["station", "date"], suffixes=("", "_hourly"))
    checked = 0
    for p in ("PM2.5", "PM10", "SO2", "NO2"):
        rows = merged[(merged[f"n_{p}"] == 24) & merged[f"{p}_24h"].notna()]
        assert (rows[p].round() == rows[f"{p}_24h"]).all(), p
        checked += len(rows)
    assert checked > 1000


def test_daily_max_8h_matches_published_8h_values(cnemc_2019):
    frame = cnemc_2019
    daily = daily_values(frame)
    hour = frame["time"].dt.hour
    sel = frame[(hour >= 8) | (hour == 0)].assign(date=lambda f: day_of_hour(f["time"]))
    complete = sel.groupby(["station", "date"])["O3_8h"].count() == 17
    full = (full_window_count(frame, "O3", "8h") == 8)[sel.index].groupby([sel["station"], sel["date"]]).all()
    published_max = sel.groupby(["station", "date"])["O3_8h"].max()[complete & full]
    ours = daily.set_index(["station", "date"])["O3_8h"].reindex(published_max.index)
    assert len(published_max) > 300
    assert (ours.round() == published_max).all()
