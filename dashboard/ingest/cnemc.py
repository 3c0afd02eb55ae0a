"""Readers for CNEMC data: the daily wide files ``china_sites_YYYYMMDD.csv`` and the official
station lists ``站点列表-YYYY.MM.DD起.csv``.

Daily files: ``date,hour,type,<station codes…>``, one row per (hour, type). Hour H of date D is
the mean over the hour *ending* at H Beijing time (hour 0 = 23:00–24:00 of the previous day);
a reading is labelled D + H hours in Beijing time, exactly as the source labels it, and stored
as that instant in UTC.

Only the six hourly concentrations are kept (PM2.5, PM10, SO2, NO2, O3 in µg/m³, CO in mg/m³).
The ``*_24h``, ``O3_8h`` and ``O3_8h_24h`` rows are running statistics of those same hourly
values and the ``AQI`` row is derived from them, so storing them would only store numbers
that can be recomputed (``dashboard.domain``) and could disagree with the hourly values.

Validation. A file is refused whole (``RefusedError``, naming file, row and column) when it
is empty, not UTF-8, has a wrong header, truncated or over-long rows, a bad date, a date that
differs from the file name's, an hour outside 0–23, or two rows for the same
(date, hour, type) with different values (identical repeats are dropped). Problems in single
cells (not a number, negative) skip only that cell and are listed in the ``ImportReport``;
so are rows of an unknown type. Rows are numbered as lines of the file, the header being 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.domain.aqi import TIMEZONE
from dashboard.ingest.report import ImportReport, RefusedError

#: The hourly concentration types that are stored (keys shared with ``dashboard.domain.aqi``).
POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")
#: Every type the platform publishes; anything else is reported and skipped.
KNOWN_TYPES = frozenset({
    "AQI", "PM2.5", "PM2.5_24h", "PM10", "PM10_24h", "SO2", "SO2_24h", "NO2", "NO2_24h",
    "O3", "O3_24h", "O3_8h", "O3_8h_24h", "CO", "CO_24h",
})
ID_COLUMNS = ["date", "hour", "type"]
FILE_NAME = re.compile(r"china_sites_(\d{8})\.csv$", re.IGNORECASE)
# National codes are 4 digits + "A" (1001A…3871A); leave room for longer numbers and other
# suffix letters, but catch a shifted or garbled header.
STATION_CODE = re.compile(r"[0-9]{3,6}[A-Z]")


# --------------------------------------------------------------------------- shared helpers
def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        row = raw.count(b"\n", 0, exc.start) + 1
        col_index = raw.count(b",", line_start, exc.start)
        header = raw[: raw.find(b"\n")].decode("utf-8-sig", "replace").rstrip("\r").split(",")
        column = header[col_index] if row > 1 and col_index < len(header) else f"#{col_index + 1}"
        raise RefusedError(
            name, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", row, column
        ) from None


def _line_layout(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Line numbers (1-based) of the non-blank lines and their comma-separated field counts.

    numpy over the bytes: a national file has 360 rows × 1644 fields, no Python loop per row.
    Commas and newlines are single bytes in UTF-8, never part of a multi-byte character.
    """
    b = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(b == 10)
    ends = newlines if (len(b) and b[-1] == 10) else np.append(newlines, len(b))
    starts = np.concatenate([[0], newlines + 1])[: len(ends)]
    lengths = ends - starts
    has_cr = np.zeros(len(ends), dtype=bool)
    nonzero = lengths > 0
    has_cr[nonzero] = b[ends[nonzero] - 1] == 13
    lengths = lengths - has_cr
    commas = np.bincount(np.searchsorted(ends, np.flatnonzero(b == 44)), minlength=len(ends))
    keep = lengths > 0
    return np.flatnonzero(keep) + 1, commas[keep] + 1


def _cell_problems(report: ImportReport, rows: np.ndarray, columns, reasons) -> None:
    for row, column, reason in sorted(zip(rows.tolist(), columns, reasons)):
        report.problem(row, column, reason)


# --------------------------------------------------------------------------- daily files
def file_date(path: str | Path) -> dt.date | None:
    """The date in a ``china_sites_YYYYMMDD.csv`` file name, or None for another name."""
    m = FILE_NAME.search(Path(path).name)
    if not m:
        return None
    try:
        return dt.datetime.strptime(m.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def _check_header(header: list[str], name: str) -> list[str]:
    for i, expected in enumerate(ID_COLUMNS):
        found = header[i] if i < len(header) else None
        if found != expected:
            raise RefusedError(
                name,
                f"expected the header to start with {','.join(ID_COLUMNS)}; column {i + 1} is "
                f"{found!r} instead of {expected!r}",
                1,
                found if found and len(found) <= 16 else f"#{i + 1}",
            )
    stations = header[3:]
    if not stations:
        raise RefusedError(name, "no station columns after date,hour,type", 1, None)
    for i, code in enumerate(stations, start=4):
        if not STATION_CODE.fullmatch(code):
            raise RefusedError(name, f"column {i} is {code!r}, not a station code like 1316A", 1, code or f"#{i}")
    return stations


def _unique(codes: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for code in codes:
        seen[code] = seen.get(code, 0) + 1
        out.append(code if seen[code] == 1 else f"{code}#{seen[code]}")
    return out


def _merge_repeated_columns(frame: pd.DataFrame, stations: list[str], lines: np.ndarray, name: str) -> list[str]:
    """A station repeated in the header (the real 20191205 national file repeats 3207A with
    identical values) is kept once; repeats that disagree refuse the file."""
    unique = list(dict.fromkeys(stations))
    if len(unique) == len(stations):
        return stations
    for column in frame.columns[len(ID_COLUMNS):]:
        if "#" not in column:
            continue
        code = column.split("#")[0]
        a, b = frame[code], frame[column]
        differ = ~((a == b).fillna(False) | (a.isna() & b.isna())).to_numpy()
        if differ.any():
            i = int(np.flatnonzero(differ)[0])
            raise RefusedError(name, f"station {code} appears twice in the header with different values "
                               f"({a.iloc[i]} vs {b.iloc[i]})", int(lines[i]), code)
        frame.drop(columns=column, inplace=True)
    return unique


def _refuse_first(mask: pd.Series, lines: np.ndarray, values: pd.Series, name: str, column: str, why) -> None:
    if mask.any():
        i = int(np.flatnonzero(mask.to_numpy())[0])
        raise RefusedError(name, why(values.iloc[i]), int(lines[i]), column)


def read_cnemc_file(path: str | Path) -> tuple[pd.DataFrame, ImportReport]:
    """Read one daily file; see ``read_cnemc_bytes``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RefusedError(str(path), f"cannot read the file: {exc.strerror or exc}") from None
    return read_cnemc_bytes(raw, str(path), file_date(path))


def read_cnemc_bytes(raw: bytes, name: str, expected_date: dt.date | None = None
                     ) -> tuple[pd.DataFrame, ImportReport]:
    """Validate and melt one daily wide file into readings.

    Returns (readings, report): readings has columns station_code, pollutant, time (UTC),
    value, one row per non-blank valid cell of the six hourly types. ``expected_date`` (from
    the file name) must match the date column. Raises ``RefusedError`` for a refused file.
    """
    report = ImportReport(file=name)
    text = _decode(raw, name)
    if not text.strip():
        raise RefusedError(name, "the file is empty")
    header = text.split("\n", 1)[0].rstrip("\r").split(",")
    stations = _check_header(header, name)

    lines, fields = _line_layout(raw)
    wrong = np.flatnonzero(fields != len(header))
    if len(wrong):
        i = int(wrong[0])
        kind = "truncated" if fields[i] < len(header) else "too long"
        column = header[fields[i] - 1] if fields[i] < len(header) else None
        raise RefusedError(
            name, f"{kind} row: {fields[i]} fields where the header has {len(header)}",
            int(lines[i]), column,
        )
    data_lines = lines[1:]
    if not len(data_lines):
        raise RefusedError(name, "the file has a header but no data rows", 1)

    frame = pd.read_csv(
        io.StringIO(text),
        dtype={"date": str, "hour": str, "type": str},
        keep_default_na=False,  # only an empty cell is blank; "NA" or "-" is reported
        na_values=[""],
        quoting=csv.QUOTE_NONE,
        engine="c",
        low_memory=False,
    )
    if len(frame) != len(data_lines):  # a layout the byte scan did not foresee: be safe
        raise RefusedError(name, f"could not split the file into rows ({len(frame)} vs {len(data_lines)})")
    frame.columns = ID_COLUMNS + _unique(stations)
    stations = _merge_repeated_columns(frame, stations, data_lines, name)

    date, hour, kind = frame["date"].fillna(""), frame["hour"].fillna(""), frame["type"].fillna("")
    parsed = pd.to_datetime(date, format="%Y%m%d", errors="coerce")
    _refuse_first(~date.str.fullmatch(r"\d{8}") | parsed.isna(), data_lines, date, name, "date",
                  lambda v: f"bad date {v!r} (expected YYYYMMDD)")
    day = expected_date or parsed.iloc[0].date()
    other = parsed != pd.Timestamp(day)
    origin = "the file name's date" if expected_date else "the first row's date"
    _refuse_first(other, data_lines, date, name, "date",
                  lambda v: f"date {v} does not match {origin} {day:%Y%m%d}")
    hours = pd.to_numeric(hour.where(hour.str.fullmatch(r"\d{1,2}")), errors="coerce")
    _refuse_first(hours.isna() | (hours > 23), data_lines, hour, name, "hour",
                  lambda v: f"hour {v!r} is not an integer 0–23")

    unknown = ~kind.isin(KNOWN_TYPES)
    for i in np.flatnonzero(unknown.to_numpy()):
        report.problem(int(data_lines[i]), "type", f"unknown type {kind.iloc[i]!r}: row skipped")

    key = pd.DataFrame({"hour": hours.astype(int), "type": kind})
    dup = key.duplicated(keep=False).to_numpy()
    drop = np.zeros(len(frame), dtype=bool)
    if dup.any():
        drop = _check_duplicates(frame, key, dup, data_lines, stations, name)

    keep = (kind.isin(POLLUTANTS) & ~pd.Series(drop, index=frame.index)).to_numpy()
    values = frame.loc[keep, stations]
    rows = data_lines[keep]
    values = _numeric_cells(values, rows, report)

    times = (pd.Timestamp(day) + pd.to_timedelta(hours[keep].to_numpy(), unit="h"))
    times = times.tz_localize(TIMEZONE).tz_convert("UTC")
    n_cols = values.shape[1]
    flat = values.to_numpy(dtype="float64").ravel()  # row-major: row r, station c at r*n_cols+c
    present = ~np.isnan(flat)
    negative = present & (flat < 0)
    report.rows_read += int(present.sum())
    if negative.any():
        idx = np.flatnonzero(negative)
        _cell_problems(report, rows[idx // n_cols], [stations[c] for c in idx % n_cols],
                       [f"negative value {flat[j]:g}" for j in idx])
        report.skipped += len(idx)
    good = present & ~negative
    take = np.flatnonzero(good)
    readings = pd.DataFrame({
        "station_code": pd.array(np.asarray(stations, dtype=object)[take % n_cols], dtype="str"),
        "pollutant": pd.array(kind[keep].to_numpy(dtype=object)[take // n_cols], dtype="str"),
        "time": times[take // n_cols],
        "value": flat[take],
    })
    return readings, report


def _check_duplicates(frame, key, dup, lines, stations, name) -> np.ndarray:
    """Refuse conflicting repeats of a (date, hour, type) row; return the identical repeats to drop."""
    sub = frame.loc[dup, stations].astype("str").fillna("")  # blanks compare equal
    sub_key = key[dup]
    whole = pd.concat([sub_key, sub], axis=1)
    distinct = whole.drop_duplicates()
    clash = distinct.duplicated(subset=["hour", "type"], keep=False)
    if clash.any():
        first = distinct[clash].iloc[0]
        same = whole[(whole["hour"] == first["hour"]) & (whole["type"] == first["type"])]
        a, b = same.iloc[0], same[(same[stations] != same.iloc[0][stations]).any(axis=1)].iloc[0]
        column = next(c for c in stations if a[c] != b[c])
        pos = [frame.index.get_loc(i) for i in (a.name, b.name)]
        raise RefusedError(
            name,
            f"rows {lines[pos[0]]} and {lines[pos[1]]} are both hour {first['hour']} {first['type']} "
            f"but differ ({a[column]} vs {b[column]})",
            int(lines[pos[1]]),
            column,
        )
    return (dup & key.duplicated(keep="first").to_numpy())


def _numeric_cells(values: pd.DataFrame, rows: np.ndarray, report: ImportReport) -> pd.DataFrame:
    """Columns pandas could not read as numbers: blank out and report the offending cells."""
    bad_columns = [c for c in values.columns if values[c].dtype.kind not in "fiu"]
    if not bad_columns:
        return values
    values = values.copy()
    for column in bad_columns:
        raw = values[column]
        number = pd.to_numeric(raw, errors="coerce").astype("float64")
        number = number.where(np.isfinite(number))
        bad = (raw.notna() & number.isna()).to_numpy()
        if bad.any():
            idx = np.flatnonzero(bad)
            _cell_problems(report, rows[idx], [column] * len(idx),
                           [f"not a number: {v!r}" for v in raw.to_numpy()[idx]])
            report.rows_read += len(idx)
            report.skipped += len(idx)
        values[column] = number
    return values


# --------------------------------------------------------------------------- station lists
LIST_NAME = re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})")
LIST_COLUMNS = {"监测点编码": "code", "监测点名称": "name", "城市": "city",
                "经度": "longitude", "纬度": "latitude"}
BACKGROUND_COLUMN = "对照点"
STATION_COLUMNS = ["code", "name", "city", "longitude", "latitude", "is_background"]


def list_date(path: str | Path) -> dt.date | None:
    """The start date in a ``站点列表-YYYY.MM.DD起.csv`` file name, or None."""
    m = LIST_NAME.search(Path(path).name)
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        return None


def read_station_list(path: str | Path) -> tuple[pd.DataFrame, ImportReport]:
    """Read an official station list (UTF-8, BOM optional).

    Header 监测点编码,监测点名称,城市,经度,纬度 [,对照点]. Returns (stations, report) with
    columns code, name, city, longitude, latitude (float, NaN if blank), is_background (bool).
    Lists without the 对照点 column (before 2022) flag a station as background when its name
    says "对照点", as those lists do. Bad coordinates and flags are reported and left blank;
    a repeated code keeps its last row (the 2019.08.01 list repeats 3207A).
    """
    path = Path(path)
    name = str(path)
    report = ImportReport(file=name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RefusedError(name, f"cannot read the file: {exc.strerror or exc}") from None
    if not raw.strip():
        raise RefusedError(name, "the file is empty")
    text = _decode(raw, name)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RefusedError(name, f"not a CSV table: {exc}") from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in LIST_COLUMNS if c not in frame.columns]
    if missing:
        raise RefusedError(name, f"missing column(s) {', '.join(missing)}; header is {','.join(frame.columns)}", 1)
    lines = np.arange(len(frame)) + 2
    out = frame[list(LIST_COLUMNS)].rename(columns=LIST_COLUMNS)
    for col in ("code", "name", "city"):
        out[col] = out[col].str.strip()
    report.rows_read = len(out)

    no_code = (out["code"] == "").to_numpy()
    for i in np.flatnonzero(no_code):
        report.problem(int(lines[i]), "监测点编码", "empty station code: row skipped")
    for src, col, lo, hi in (("经度", "longitude", -180, 180), ("纬度", "latitude", -90, 90)):
        number = pd.to_numeric(out[col], errors="coerce")
        bad = ((out[col] != "") & (number.isna() | (number < lo) | (number > hi))).to_numpy() & ~no_code
        for i in np.flatnonzero(bad):
            report.problem(int(lines[i]), src, f"bad coordinate {out[col].iloc[i]!r}: left blank")
        out[col] = number.where(~bad).astype("float64")

    by_name = out["name"].str.contains("对照点", regex=False)
    if BACKGROUND_COLUMN in frame.columns:
        flag = frame[BACKGROUND_COLUMN].str.strip().str.upper()
        bad = (~flag.isin(["Y", "N", ""])).to_numpy() & ~no_code
        for i in np.flatnonzero(bad):
            report.problem(int(lines[i]), BACKGROUND_COLUMN,
                           f"flag {flag.iloc[i]!r} is not Y or N: taken from the name")
        out["is_background"] = np.where(flag == "Y", True, np.where(flag == "N", False, by_name))
    else:
        out["is_background"] = by_name
    out["is_background"] = out["is_background"].astype(bool)
    out["name"] = out["name"].where(out["name"] != "", out["code"])

    out["_line"] = lines
    out = out[~no_code]
    repeated = out["code"].duplicated(keep="last").to_numpy()
    for i in np.flatnonzero(repeated):
        row = out.iloc[i]
        report.problem(int(row["_line"]), "监测点编码",
                       f"station {row['code']} listed again later: this row ignored")
    out = out[~repeated]
    report.skipped = report.rows_read - len(out)
    return out[STATION_COLUMNS].reset_index(drop=True), report
