"""CNEMC import through the CLI into a real SQLite file: real 2019 files, re-import, refused
files, skipped cells, station lists, and the exported hourly AQI against the published one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from dashboard.cli import main
from dashboard.store.db import session_scope
from dashboard.store.models import Reading, Station, StationVersion
from tests.conftest import SHARED_DATA, new_database_url, shared_data

DATA = SHARED_DATA / "cnemc"
WIDE_2019 = DATA / "zhengzhou_wide_2019"
LISTS = DATA / "station_lists"
POLLUTANTS = ["PM2.5", "PM10", "SO2", "NO2", "O3", "CO"]


def needs(path: Path) -> None:
    shared_data(*path.relative_to(SHARED_DATA).parts)


def use_db(monkeypatch, folder: Path, url: str | None = None) -> str:
    """Point the command line at ``url``, or at a new database for ``folder``."""
    url = url or new_database_url(folder)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(folder / "data"))
    monkeypatch.setenv("SECRET_KEY", "test")
    return url


def cli(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def count_readings(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Reading))


# --------------------------------------------------------------------------- real 2019 files
@pytest.fixture(scope="module")
def zhengzhou(tmp_path_factory):
    """The 61 Zhengzhou 2019 files imported once through the CLI: (url, folder, first output)."""
    needs(WIDE_2019)
    folder = tmp_path_factory.mktemp("zhengzhou")
    with pytest.MonkeyPatch.context() as mp:
        url = use_db(mp, folder)
        result = cli("import", "cnemc", WIDE_2019)
    assert result.exit_code == 0, result.output
    return url, folder, result.output


def published_cells(files) -> pd.DataFrame:
    wide = pd.concat([pd.read_csv(f, dtype={"date": str}) for f in files], ignore_index=True)
    long = wide.melt(id_vars=["date", "hour", "type"], var_name="station_code").dropna(subset=["value"])
    long["time"] = (long["date"].str[:4] + "-" + long["date"].str[4:6] + "-" + long["date"].str[6:] + "T"
                    + long["hour"].astype(int).map("{:02d}".format) + ":00:00+08:00")
    return long


def test_import_stores_every_hourly_value_and_reimport_adds_nothing(zhengzhou, monkeypatch):
    url, folder, output = zhengzhou
    files = sorted(WIDE_2019.glob("china_sites_*.csv"))
    expected = published_cells(files)
    expected = expected[expected["type"].isin(POLLUTANTS)]
    assert len(files) == 61
    assert f"61 file(s): 61 imported, 0 refused, {len(expected)} values added" in output
    assert count_readings(url) == len(expected)

    use_db(monkeypatch, folder, url)
    again = cli("import", "cnemc", WIDE_2019)
    assert again.exit_code == 0, again.output
    assert "61 imported, 0 refused, 0 values added" in again.output
    assert count_readings(url) == len(expected)

    # time = end of the hour in UTC: file 20191205 hour 0 is 2019-12-04 16:00 UTC
    with session_scope(url) as session:
        value = session.scalar(
            select(Reading.value).join(Station, Station.id == Reading.station_id)
            .where(Station.code == "1316A", Reading.pollutant == "PM2.5",
                   Reading.time == pd.Timestamp("2019-12-04 16:00", tz="UTC").to_pydatetime())
        )
        unknown = session.scalar(select(Station.name).where(Station.code == "1316A"))
    assert value == 32.0
    assert unknown == "1316A"  # created from the file, no station list yet: the code is the name


def test_exported_hourly_aqi_equals_published(zhengzhou, monkeypatch):
    url, folder, _ = zhengzhou
    use_db(monkeypatch, folder, url)
    out = folder / "hourly.csv"
    result = cli("export", "aqi", "--hourly", "--out", out)
    assert result.exit_code == 0, result.output
    export = pd.read_csv(out, dtype={"time": str, "station_code": str})
    assert list(export.columns[:16]) == [
        "station_code", "station_name", "time", "aqi", "category", "category_zh", "primary_pollutants",
        "over_standard", "iaqi_pm25", "iaqi_pm10", "iaqi_o3", "iaqi_no2", "iaqi_so2", "iaqi_co", "standard",
        "n_iaqi"]

    published = published_cells(sorted(WIDE_2019.glob("china_sites_*.csv")))
    published = published[published["type"] == "AQI"].rename(columns={"value": "published"})
    both = published.merge(export, on=["station_code", "time"], how="left")
    assert len(both) > 10_000
    assert both["aqi"].notna().all(), both[both["aqi"].isna()].head()
    differ = both[both["aqi"].astype(int) != both["published"].astype(int)]
    assert differ.empty, f"{len(differ)} of {len(both)} differ:\n{differ.head(10)}"

    first = export[(export["station_code"] == "1316A") & (export["time"] == "2019-12-05T00:00:00+08:00")]
    assert len(first) == 1
    row = first.iloc[0]
    assert (row["aqi"], row["pm25"], row["pm10"]) == (54, 32.0, 57.0)  # file 20191205, hour 0
    assert row["category"] == "Good" and row["category_zh"] == "良" and row["standard"] == "HJ 633-2012"


def test_export_daily_to_excel(zhengzhou, monkeypatch, tmp_path):
    url, folder, _ = zhengzhou
    use_db(monkeypatch, folder, url)
    out = tmp_path / "daily.xlsx"
    result = cli("export", "aqi", "--daily", "--stations", "1316A,1323A", "--from", "2019-12-04",
                 "--to", "2019-12-05", "--out", out)
    assert result.exit_code == 0, result.output
    daily = pd.read_excel(out, dtype={"time": str})
    assert daily.columns[0] == "station_code" and "o3_8h" in daily.columns
    assert sorted(zip(daily["station_code"], daily["time"])) == [
        ("1316A", "2019-12-04T00:00:00+08:00"), ("1316A", "2019-12-05T00:00:00+08:00"),
        ("1323A", "2019-12-04T00:00:00+08:00"), ("1323A", "2019-12-05T00:00:00+08:00")]
    # A natural day is hours ending 01:00 ... 24:00; CNEMC's running PM2.5_24h at the hour labelled
    # 2019-12-06 00:00 covers exactly that day (published rounded half to even).
    wide = pd.read_csv(WIDE_2019 / "china_sites_20191206.csv")
    published = wide[(wide["hour"] == 0) & (wide["type"] == "PM2.5_24h")]["1323A"].iloc[0]
    ours = daily[(daily["station_code"] == "1323A") & daily["time"].str.startswith("2019-12-05")]["pm25"].iloc[0]
    assert round(ours) == published

    unknown = cli("export", "aqi", "--daily", "--stations", "9999Z", "--out", tmp_path / "x.csv")
    assert unknown.exit_code == 1 and "unknown station code(s): 9999Z" in unknown.output


# --------------------------------------------------------------------------- refused files
HEADER = "date,hour,type,1316A,1317A\n"
GOOD_ROWS = [
    "20191205,0,AQI,54,54",
    "20191205,0,PM2.5,32,32",
    "20191205,0,PM10,57,57",
    "20191205,1,PM2.5,30,31",
    "20191205,1,PM10,50,52",
]


def write(folder: Path, body: bytes | str, name: str = "china_sites_20191205.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(body.encode() if isinstance(body, str) else body)
    return path


def good_file(folder: Path) -> Path:
    return write(folder, HEADER + "\n".join(GOOD_ROWS) + "\n")


BAD_FILES = {
    # name: (content, text the message must contain)
    "empty": ("", "the file is empty"),
    "wrong column": ("date,hour,kind,1316A\n20191205,0,PM2.5,3\n", "row 1, column kind"),
    "missing stations": ("date,hour,type\n20191205,0,PM2.5\n", "no station columns"),
    "not a station": ("date,hour,type,1316A,value\n20191205,0,PM2.5,3,4\n", "row 1, column value"),
    "garbage bytes": (HEADER.encode() + b"20191205,0,PM2.5,32,\xff\xfe\x00\x81\n", "row 2, column 1317A: not UTF-8"),
    "bad date": (HEADER + "20191205,0,PM2.5,32,32\n20191335,1,PM2.5,30,31\n", "row 3, column date: bad date"),
    "other date": (HEADER + "20191206,0,PM2.5,32,32\n", "row 2, column date: date 20191206 does not match"),
    "hour 24": (HEADER + "20191205,0,PM2.5,32,32\n20191205,24,PM2.5,30,31\n", "row 3, column hour: hour '24'"),
    "hour not a number": (HEADER + "20191205,x,PM2.5,32,32\n", "row 2, column hour"),
    "truncated row": (HEADER + "20191205,0,PM2.5,32,32\n20191205,1,PM2.5,30\n", "row 3, column 1316A: truncated"),
    "too long row": (HEADER + "20191205,0,PM2.5,32,32,7\n", "row 2: too long"),
    "conflicting duplicates": (HEADER + "20191205,0,PM2.5,32,32\n20191205,0,PM10,57,57\n20191205,0,PM2.5,32,33\n",
                               "row 4, column 1317A: rows 2 and 4 are both hour 0 PM2.5 but differ"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_whole(case, tmp_path, monkeypatch):
    url = use_db(monkeypatch, tmp_path)
    body, message = BAD_FILES[case]
    path = write(tmp_path / "in", body)
    result = cli("import", "cnemc", path)
    assert result.exit_code == 1, result.output
    assert f"REFUSED {path}" in result.output
    assert message in result.output
    assert "1 of 1 file(s) refused; nothing of them was saved" in result.output
    assert count_readings(url) == 0


def test_identical_duplicate_rows_are_dropped(tmp_path, monkeypatch):
    url = use_db(monkeypatch, tmp_path)
    path = write(tmp_path / "in", HEADER + "\n".join(GOOD_ROWS + GOOD_ROWS[1:2]) + "\n")
    result = cli("import", "cnemc", path)
    assert result.exit_code == 0, result.output
    assert count_readings(url) == 8


def test_bad_cells_are_skipped_and_reported(tmp_path, monkeypatch):
    url = use_db(monkeypatch, tmp_path)
    rows = GOOD_ROWS + ["20191205,2,PM2.5,abc,31", "20191205,2,CO,-0.5,1.1", "20191205,2,AQI,x,y"]
    path = write(tmp_path / "in", HEADER + "\n".join(rows) + "\n")
    result = cli("import", "cnemc", path)
    assert result.exit_code == 0, result.output
    assert f"skipped {path}, row 7, column 1316A: not a number: 'abc'" in result.output
    assert f"skipped {path}, row 8, column 1316A: negative value -0.5" in result.output
    assert "2 problem(s)" in result.output  # the AQI row is not imported, so not checked
    assert count_readings(url) == 8 + 2


def test_refused_file_does_not_block_the_others(tmp_path, monkeypatch):
    url = use_db(monkeypatch, tmp_path)
    good = good_file(tmp_path / "a")
    bad = write(tmp_path / "b", HEADER + "20191205,25,PM2.5,1,1\n")
    result = cli("import", "cnemc", bad, good)
    assert result.exit_code == 1
    assert "2 file(s): 1 imported, 1 refused, 8 values added" in result.output
    assert count_readings(url) == 8


def test_conflicting_value_refuses_the_file_unless_update(tmp_path, monkeypatch):
    url = use_db(monkeypatch, tmp_path)
    assert cli("import", "cnemc", good_file(tmp_path / "a")).exit_code == 0
    changed = GOOD_ROWS[:3] + ["20191205,1,PM2.5,30,99", "20191205,1,PM10,50,52", "20191205,2,PM2.5,40,41"]
    path = write(tmp_path / "b", HEADER + "\n".join(changed) + "\n")

    refused = cli("import", "cnemc", path)
    assert refused.exit_code == 1
    assert ("1 value(s) differ from those already stored (1317A PM2.5 2019-12-05 01:00: stored 31, new 99)"
            in refused.output)
    assert count_readings(url) == 8  # the two new hour-2 values were not saved either

    updated = cli("import", "cnemc", "--on-conflict", "update", path)
    assert updated.exit_code == 0, updated.output
    assert "2 added" in updated.output and "1 stored value(s) replaced" in updated.output
    with session_scope(url) as session:
        values = session.scalars(select(Reading.value).where(Reading.pollutant == "PM2.5")).all()
    assert count_readings(url) == 10 and 99.0 in values and 31.0 not in values


# --------------------------------------------------------------------------- station lists
def test_station_lists_are_versioned(tmp_path, monkeypatch):
    needs(LISTS)
    url = use_db(monkeypatch, tmp_path)
    assert cli("import", "cnemc", good_file(tmp_path / "in")).exit_code == 0
    list_2019 = LISTS / "站点列表-2019.08.01起.csv"
    list_2022 = LISTS / "站点列表-2022.02.13起.csv"

    first = cli("import", "stations", list_2019)
    assert first.exit_code == 0, first.output
    assert "station 3207A listed again later: this row ignored" in first.output
    assert cli("import", "stations", list_2022).exit_code == 0
    again = cli("import", "stations", list_2022)
    assert "versions added: 0" in again.output
    older = cli("import", "stations", LISTS / "站点列表-2017.12.01起.csv")
    assert older.exit_code == 0, older.output

    with session_scope(url) as session:
        station = session.scalars(select(Station).where(Station.code == "1324A")).one()
        versions = session.scalars(
            select(StationVersion).where(StationVersion.station_id == station.id).order_by(StationVersion.valid_from)
        ).all()
        names = {code: name for code, name in session.execute(select(Station.code, Station.name))}
        # the 2022 list is the newest: its name, coordinates and 对照点 flag are current
        assert (station.name, station.longitude, station.is_background) == ("岗李水库(对照点)", 113.51488, True)
        assert station.valid_from.isoformat() == "2017-12-01"
        assert [(v.valid_from.isoformat(), v.longitude, v.is_background) for v in versions] == [
            ("2017-12-01", 113.6113, False), ("2019-08-01", 113.6113, False), ("2022-02-13", 113.51488, True)]
    assert names["1316A"] == "烟厂"  # the station created from readings got its official name
    assert len(names) > 2000

    not_a_list = write(tmp_path / "l", "code,name\n1,a\n", "list.csv")
    missing = cli("import", "stations", not_a_list, "--valid-from", "2020-01-01")
    assert missing.exit_code == 1 and "missing column(s) 监测点编码" in missing.output


# --------------------------------------------------------------------------- PostgreSQL
@pytest.mark.postgres
def test_import_and_export_on_postgresql(pg_url, tmp_path, monkeypatch):
    """On PostgreSQL: import, idempotence, a refused change, the published AQI exported, and the
    same export as from SQLite, byte for byte."""
    needs(WIDE_2019)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", "test")
    files = sorted(WIDE_2019.glob("china_sites_201912*.csv"))[:3]
    first = cli("import", "cnemc", *files)
    assert first.exit_code == 0, first.output
    n = count_readings(pg_url)
    assert n > 3000 and f"{n} values added" in first.output
    assert "3 imported, 0 refused, 0 values added" in cli("import", "cnemc", *files).output

    changed = tmp_path / "in" / files[0].name
    changed.parent.mkdir()
    changed.write_text(files[0].read_text().replace("20191201,0,PM2.5,", "20191201,0,PM2.5,1", 1))
    refused = cli("import", "cnemc", changed)
    assert refused.exit_code == 1 and "differ from those already stored" in refused.output
    assert count_readings(pg_url) == n

    out = tmp_path / "hourly.csv"
    assert cli("export", "aqi", "--hourly", "--out", out).exit_code == 0
    export = pd.read_csv(out, dtype={"time": str})
    published = published_cells(files)
    published = published[published["type"] == "AQI"].rename(columns={"value": "published"})
    both = published.merge(export, on=["station_code", "time"])
    assert len(both) == len(published) > 500
    assert (both["aqi"] == both["published"]).all()

    # The same files into SQLite export the very same file, byte for byte.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'same.db'}")
    assert cli("import", "cnemc", *files).exit_code == 0
    on_sqlite = tmp_path / "hourly-sqlite.csv"
    assert cli("export", "aqi", "--hourly", "--out", on_sqlite).exit_code == 0
    assert on_sqlite.read_bytes() == out.read_bytes()
