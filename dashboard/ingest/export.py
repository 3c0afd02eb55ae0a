"""AQI tables for export (CSV or Excel): hourly as the platform publishes it, or daily per HJ 633.

Input is the store's long readings frame (station_code, station_name, pollutant, time UTC,
value). ``time`` in the output is ISO 8601 Beijing time with its offset: for hourly rows the
CNEMC hour label (file 20191205 hour 0 -> ``2019-12-05T00:00:00+08:00``), for daily rows the
start of the natural day. Daily values come from ``dashboard.domain.evaluation.daily_values``
(24h means with ≥ 20 hours, O3 daily max 1h and max 8h).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.domain.aqi import CATEGORIES, TIMEZONE, daily_aqi, hourly_aqi
from dashboard.ingest.formulas import neutralise_frame

POLLUTANTS = ("PM2.5", "PM10", "O3", "NO2", "SO2", "CO")
CONCENTRATION_KEYS = {"PM2.5": "pm25", "PM10": "pm10", "O3": "o3", "NO2": "no2", "SO2": "so2", "CO": "co"}
IAQI_COLUMNS = ["iaqi_pm25", "iaqi_pm10", "iaqi_o3", "iaqi_no2", "iaqi_so2", "iaqi_co"]
LEADING = ["station_code", "station_name", "time", "aqi", "category", "category_zh", "primary_pollutants",
           "over_standard", *IAQI_COLUMNS, "standard", "n_iaqi"]
HOURLY_COLUMNS = [*LEADING, "pm25", "pm10", "o3", "no2", "so2", "co"]
DAILY_COLUMNS = [*LEADING, "iaqi_o3_1h", "iaqi_o3_8h", "pm25", "pm10", "no2", "so2", "co", "o3_1h", "o3_8h"]
FORMATS = (".csv", ".xlsx")

_CATEGORY_EN = np.array([""] + [c["en"] for c in CATEGORIES], dtype=object)
_CATEGORY_ZH = np.array([""] + [c["zh"] for c in CATEGORIES], dtype=object)


def iso_beijing(times: pd.Series) -> pd.Series:
    """tz-aware times -> ``YYYY-MM-DDTHH:MM:SS+08:00`` strings (formatted once per distinct time)."""
    codes, uniques = pd.factorize(times)
    local = pd.DatetimeIndex(uniques).tz_convert(TIMEZONE)
    text = local.strftime("%Y-%m-%dT%H:%M:%S%z")
    text = np.array([s[:-2] + ":" + s[-2:] for s in text] + [""], dtype=object)
    return pd.Series(text[codes], index=times.index, dtype="str")


def _wide(readings: pd.DataFrame) -> pd.DataFrame:
    """Long readings -> one row per station and hour, a column per pollutant."""
    wide = (readings.set_index(["station_code", "station_name", "time", "pollutant"])["value"]
            .unstack("pollutant"))
    wide = wide.reindex(columns=list(POLLUTANTS)).reset_index()
    wide.columns.name = None
    return wide


def _labels(out: pd.DataFrame, aqi: pd.DataFrame) -> pd.DataFrame:
    level = aqi["category"].to_numpy(dtype="int64", na_value=0)
    out["aqi"] = aqi["aqi"].to_numpy()
    out["category"] = pd.array(_CATEGORY_EN[level], dtype="str")
    out["category_zh"] = pd.array(_CATEGORY_ZH[level], dtype="str")
    for col in ("primary_pollutants", "over_standard", *IAQI_COLUMNS, "standard", "n_iaqi"):
        out[col] = aqi[col].to_numpy() if col not in IAQI_COLUMNS else aqi[col].array
    return out


def hourly_table(readings: pd.DataFrame) -> pd.DataFrame:
    """One row per station-hour with the platform's hourly AQI (``HOURLY_COLUMNS``)."""
    if readings.empty:
        return pd.DataFrame(columns=HOURLY_COLUMNS)
    wide = _wide(readings)
    aqi = hourly_aqi(wide)
    out = pd.DataFrame({"station_code": wide["station_code"], "station_name": wide["station_name"],
                        "time": iso_beijing(wide["time"])})
    out = _labels(out, aqi)
    for pollutant, key in CONCENTRATION_KEYS.items():
        out[key] = wide[pollutant]
    return out[HOURLY_COLUMNS]


def daily_table(readings: pd.DataFrame) -> pd.DataFrame:
    """One row per station and natural day with the daily AQI (``DAILY_COLUMNS``).

    Days are natural Beijing days: hour labels D 01:00 … D+1 00:00. A station-day appears when
    it has at least one reading; pollutants without a valid daily value are left out of its AQI.
    """
    if readings.empty:
        return pd.DataFrame(columns=DAILY_COLUMNS)
    from dashboard.domain.evaluation import daily_values

    wide = _wide(readings)
    names = wide.drop_duplicates("station_code").set_index("station_code")["station_name"]
    daily = daily_values(wide.drop(columns="station_name").rename(columns={"station_code": "station"}))
    aqi = daily_aqi(daily)
    start = pd.DatetimeIndex(daily["date"]).tz_localize(TIMEZONE)
    out = pd.DataFrame({"station_code": daily["station"].astype("str"),
                        "station_name": daily["station"].map(names).astype("str"),
                        "time": iso_beijing(pd.Series(start, index=daily.index))})
    out = _labels(out, aqi)
    out["iaqi_o3_1h"] = aqi["iaqi_o3_1h"].array
    out["iaqi_o3_8h"] = aqi["iaqi_o3_8h"].array
    for pollutant in ("PM2.5", "PM10", "NO2", "SO2", "CO"):
        out[CONCENTRATION_KEYS[pollutant]] = daily[pollutant]
    out["o3_1h"], out["o3_8h"] = daily["O3_1h"], daily["O3_8h"]
    return out[DAILY_COLUMNS]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as a CSV download: UTF-8 with a BOM (so Excel reads the Chinese text) and text
    that would run as a formula neutralised (``formulas``)."""
    return neutralise_frame(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet_name: str) -> bytes:
    """``frame`` as an .xlsx download of one sheet, text that would run as a formula neutralised."""
    buffer = io.BytesIO()
    neutralise_frame(frame).to_excel(buffer, index=False, sheet_name=sheet_name, engine="openpyxl")
    return buffer.getvalue()


def write_table(frame: pd.DataFrame, out: str | Path) -> Path:
    """Write ``frame`` as CSV (UTF-8) or Excel (.xlsx, one sheet, header row of English keys),
    text that would run as a formula neutralised (station names come from outside)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"unsupported output {out.name!r}: use a .csv or .xlsx file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        neutralise_frame(frame).to_csv(out, index=False, encoding="utf-8")
    else:
        out.write_bytes(xlsx_bytes(frame, "aqi"))
    return out


SITE_DUST_COLUMNS = ["site_code", "mn", "time", "pollutant", "value", "flag"]


def site_dust_table(readings: pd.DataFrame) -> pd.DataFrame:
    """Site dust readings (``analytics.site_dust.main_values``) for export: ``time`` is the
    frame's DataTime in ISO 8601 Beijing time (+08:00)."""
    if readings.empty:
        return pd.DataFrame(columns=SITE_DUST_COLUMNS)
    out = readings.rename(columns={"data_time": "time"}).copy()
    out["time"] = iso_beijing(pd.Series(pd.DatetimeIndex(out["time"]), index=out.index))
    out["flag"] = out["flag"].fillna("")
    return out[SITE_DUST_COLUMNS]
