"""hourly_aqi reproduces the AQI the national platform (CNEMC) published, station-hour by station-hour."""


import pandas as pd
import pytest

from dashboard.domain.aqi import STANDARD_2012, hourly_aqi
from tests.conftest import SHARED_DATA, need, shared_data

DATA = SHARED_DATA / "cnemc"

SETS = {
    # name: (files, minimum number of published AQIs expected)
    "zhengzhou_2019": (lambda: sorted((DATA / "zhengzhou_wide_2019").glob("china_sites_2019*.csv")), 10_000),
    "zhengzhou_2025": (lambda: sorted((DATA / "zhengzhou_wide_2025").glob("china_sites_2025*.csv")), 10_000),
    "national_20191205": (lambda: [DATA / "original_full_day" / "china_sites_20191205.csv"], 30_000),
}


def station_hours(files) -> pd.DataFrame:
    """Wide CNEMC files (date,hour,type,<stations>) -> one row per station-hour, one column per type."""
    wide = pd.concat([pd.read_csv(f, dtype={"date": str}) for f in files], ignore_index=True)
    long = wide.set_index(["date", "hour", "type"]).rename_axis(columns="station").stack()
    frame = long.unstack("type").reset_index()
    frame.columns.name = None
    frame["time"] = (pd.to_datetime(frame["date"], format="%Y%m%d")
                     + pd.to_timedelta(frame["hour"], unit="h")).dt.tz_localize("Asia/Shanghai")
    return frame


@pytest.mark.parametrize("name", list(SETS))
def test_hourly_aqi_matches_published(name):
    files_of, minimum = SETS[name]
    shared_data("cnemc")
    files = [f for f in files_of() if f.exists()]
    if not files:
        need("data", f"the {name} files are missing under {DATA}")
    frame = station_hours(files)
    out = hourly_aqi(frame)
    published = frame["AQI"].notna()
    assert published.sum() > minimum
    assert (out["standard"] == STANDARD_2012).all()
    expected = frame.loc[published, "AQI"].astype("Int64")
    got = out.loc[published, "aqi"]
    mismatched = frame.loc[published][(got != expected).fillna(True).to_numpy()]
    assert mismatched.empty, f"{len(mismatched)} of {published.sum()} differ:\n{mismatched.head(10)}"
