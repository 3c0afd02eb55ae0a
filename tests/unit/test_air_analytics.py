"""The air-quality pages' frames and figures on small hand-made data; the page without readings."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics import air
from dashboard.domain.aqi import CATEGORIES
from dashboard.figures import air as figs
from dashboard.figures.theme import AQI_COLOURS

UTC = "UTC"
POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")


def _stations(*rows) -> pd.DataFrame:
    """(code, name, in_district, is_background) → the store's station frame."""
    return pd.DataFrame(
        [{"code": c, "name": n, "longitude": 113.6 + i / 100, "latitude": 34.75 + i / 100,
          "is_background": bg, "in_district": d} for i, (c, n, d, bg) in enumerate(rows)]
    )


def _hours(first: dt.date, last: dt.date) -> pd.DatetimeIndex:
    """Hour labels of Beijing days first..last (day D = D 01:00 … D+1 00:00), in UTC."""
    start = pd.Timestamp(first, tz="Asia/Shanghai") + pd.Timedelta(hours=1)
    end = pd.Timestamp(last + dt.timedelta(days=1), tz="Asia/Shanghai")
    return pd.date_range(start, end, freq="h").tz_convert(UTC)


def _readings(code: str, hours: pd.DatetimeIndex, **values: float) -> pd.DataFrame:
    return pd.concat(
        [pd.DataFrame({"station_code": code, "time": hours, "pollutant": p, "value": float(v)})
         for p, v in values.items()],
        ignore_index=True,
    )


NO_ALERTS = pd.DataFrame({"id": pd.Series(dtype=int), "level": pd.Series(dtype=object),
                          "starts_at": pd.Series(dtype="datetime64[us, UTC]"),
                          "ends_at": pd.Series(dtype="datetime64[us, UTC]")})


# --------------------------------------------------------------------------- analytics
def test_district_mean_excludes_background_and_outside_stations():
    stations = _stations(("A", "甲", True, False), ("B", "乙", True, False), ("C", "对照", True, True),
                         ("D", "区外", False, False))
    hours = _hours(dt.date(2025, 12, 1), dt.date(2025, 12, 2))
    readings = pd.concat([
        _readings("A", hours, **{"PM2.5": 100, "PM10": 150, "CO": 1.0}),
        _readings("B", hours, **{"PM2.5": 50, "PM10": 90, "CO": 0.6}),
        _readings("C", hours, **{"PM2.5": 500, "PM10": 600, "CO": 9.0}),
        _readings("D", hours, **{"PM2.5": 400, "PM10": 400, "CO": 5.0}),
    ])
    data = air.build_air_data(readings, stations, NO_ALERTS, dt.date(2025, 12, 1), dt.date(2025, 12, 2))
    assert data.district_codes == ("A", "B") and not data.district_fallback
    district = data.hourly[data.hourly["series"] == air.DISTRICT]
    assert (district["PM2.5"] == 75).all() and (district["PM10"] == 120).all() and (district["CO"] == 0.8).all()
    # Hourly AQI of the means (PM2.5 75 → 100), not the mean of AQIs.
    assert (district["aqi"] == 100).all()
    daily = data.daily[data.daily["series"] == air.DISTRICT]
    assert list(daily["PM2.5"]) == [75, 75] and list(daily["aqi"]) == [100, 100]
    assert (daily["standard"] == "HJ 633-2012").all()


def test_district_falls_back_to_all_non_background_stations():
    stations = _stations(("A", "甲", False, False), ("B", "乙", False, False), ("C", "对照", False, True))
    hours = _hours(dt.date(2025, 12, 1), dt.date(2025, 12, 1))
    readings = pd.concat([_readings(c, hours, **{"PM2.5": v}) for c, v in (("A", 40), ("B", 60), ("C", 300))])
    data = air.build_air_data(readings, stations, NO_ALERTS, dt.date(2025, 12, 1), dt.date(2025, 12, 1))
    assert data.district_fallback and data.district_codes == ("A", "B")
    assert (data.hourly.loc[data.hourly["series"] == air.DISTRICT, "PM2.5"] == 50).all()


def test_stations_without_data_are_left_out():
    stations = _stations(("A", "甲", True, False), ("X", "远方", False, False))
    readings = _readings("A", _hours(dt.date(2025, 12, 1), dt.date(2025, 12, 1)), **{"PM2.5": 40})
    data = air.build_air_data(readings, stations, NO_ALERTS, dt.date(2025, 12, 1), dt.date(2025, 12, 1))
    assert list(data.stations["code"]) == ["A"]


def test_monthly_composite_index_matches_the_published_example():
    # 21/35 + 39/70 + 9/60 + 15/40 + 192/160 + 0.7/4 = 3.06 (HJ 663 worked example).
    stations = _stations(("A", "甲", True, False))
    hours = _hours(dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    readings = _readings("A", hours, **{"PM2.5": 21, "PM10": 39, "SO2": 9, "NO2": 15, "O3": 192, "CO": 0.7})
    data = air.build_air_data(readings, stations, NO_ALERTS, dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    month = data.monthly[data.monthly["series"] == "A"].iloc[0]
    assert month["valid"] and month["n_valid"] == 30
    assert month["composite"] == pytest.approx(21 / 35 + 39 / 70 + 9 / 60 + 15 / 40 + 192 / 160 + 0.7 / 4)
    assert round(month["composite"], 2) == 3.06
    shares = [month[f"share_{k}"] for k in ("SO2", "NO2", "PM10", "PM2.5", "CO_p95", "O3_8h_p90")]
    assert sum(shares) == pytest.approx(1.0)
    assert month["share_O3_8h_p90"] == pytest.approx((192 / 160) / month["composite"])


def test_good_day_share_counts_days_with_aqi_up_to_100():
    stations = _stations(("A", "甲", True, False))
    days = [dt.date(2025, 11, 1) + dt.timedelta(days=i) for i in range(15)]
    # PM2.5 75 → AQI 100 (good), 76 → 101 (not good).
    frames = [_readings("A", _hours(d, d), **{"PM2.5": 75 if i < 10 else 76}) for i, d in enumerate(days)]
    data = air.build_air_data(pd.concat(frames), stations, NO_ALERTS, days[0], days[-1])
    summary = air.good_day_summary(data.daily, "A", days[0], days[-1])
    assert (summary["n_good"], summary["n_valid"]) == (10, 15)
    assert summary["good_share"] == pytest.approx(2 / 3)
    month = data.monthly[data.monthly["series"] == "A"].iloc[0]
    assert month["good_share"] == pytest.approx(2 / 3) and not month["valid"]  # 15 of 27 days


def test_resolution_and_measures():
    assert air.resolution(dt.date(2025, 12, 1), dt.date(2025, 12, 14)) == "hourly"
    assert air.resolution(dt.date(2025, 12, 1), dt.date(2025, 12, 15)) == "daily"
    o3 = air.measure("O3", "daily")
    assert (o3.column, o3.limit, o3.indicator) == ("O3_8h", 160, "O3_8h")
    assert air.measure("PM2.5", "daily").limit == 75 and air.measure("NO2", "hourly").limit == 200
    bands = air.category_bands(air.measure("PM2.5", "daily"))
    assert bands[:3] == [(0.0, 35.0, 1), (35.0, 75.0, 2), (75.0, 115.0, 3)]
    assert air.category_bands(air.measure("AQI", "daily"))[-1] == (300.0, None, 6)


def test_profiles_give_a_mean_with_a_band():
    stations = _stations(("A", "甲", True, False))
    hours = _hours(dt.date(2025, 12, 1), dt.date(2025, 12, 14))
    readings = _readings("A", hours, **{"PM2.5": 50})
    readings["value"] += np.tile(np.arange(24), 14)  # rises through the day
    data = air.build_air_data(readings, stations, NO_ALERTS, dt.date(2025, 12, 1), dt.date(2025, 12, 14))
    prof = air.profiles(data.hourly_view, "PM2.5", ["A"])
    hour = prof[prof["kind"] == "hour"].set_index("x")
    assert len(hour) == 24 and (hour["low"] <= hour["mean"]).all() and (hour["mean"] <= hour["high"]).all()
    assert len(prof[prof["kind"] == "weekday"]) == 7


# --------------------------------------------------------------------------- figures
@pytest.fixture(scope="module")
def episode() -> air.AirData:
    """Two district stations and a background site through a December episode with an alert."""
    stations = _stations(("A", "甲", True, False), ("B", "乙", True, False), ("C", "对照", False, True))
    hours = _hours(dt.date(2025, 11, 1), dt.date(2025, 12, 20))
    level = pd.Series(60.0, index=hours)
    level[(hours >= pd.Timestamp("2025-12-06", tz=UTC)) & (hours < pd.Timestamp("2025-12-10", tz=UTC))] = 260.0
    frames = []
    for code, k in (("A", 1.0), ("B", 1.2), ("C", 0.5)):
        for p, base in (("PM2.5", 1), ("PM10", 1.5), ("NO2", 0.5), ("SO2", 0.1), ("O3", 0.4), ("CO", 0.01)):
            frames.append(pd.DataFrame({"station_code": code, "time": hours, "pollutant": p,
                                        "value": (level.to_numpy() * base * k).round(1 if p == "CO" else 0)}))
    alerts = pd.DataFrame({"id": [1], "level": ["red"],
                           "starts_at": [pd.Timestamp("2025-12-06 04:00", tz=UTC)],
                           "ends_at": [pd.Timestamp("2025-12-10 10:00", tz=UTC)]})
    return air.build_air_data(pd.concat(frames, ignore_index=True), stations, alerts,
                              dt.date(2025, 11, 20), dt.date(2025, 12, 19))


def _names(data):
    return data.series_names("二七区")


def _fill_colours(fig) -> set[str]:
    return {s.fillcolor for s in fig.layout.shapes if s.type == "rect" and s.yref == "y"}


def test_time_series_has_bands_limit_alert_and_standard(episode):
    frame, m = air.series_frame(episode, "PM2.5", [air.DISTRICT, "A"])
    assert m.resolution == "daily" and frame["x"].min() == pd.Timestamp("2025-11-20")
    fig = figs.time_series(frame, m, _names(episode), "zh", alerts=episode.alerts,
                           period=(episode.start, episode.end))
    assert {tr.name for tr in fig.data} == {"二七区", "甲"}
    assert {AQI_COLOURS[level] for level in range(1, 6)} <= _fill_colours(fig)  # category bands
    limit = [s for s in fig.layout.shapes if s.type == "line" and s.y0 == 75 and s.y1 == 75]
    assert limit, "the 24h limit line"
    alert = [s for s in fig.layout.shapes if s.type == "rect" and s.xref == "x"]
    assert len(alert) == 1 and alert[0].fillcolor == figs.ALERT_COLOURS["red"]
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "红色预警" in texts and "24小时平均二级限值 75 µg/m³" in texts
    assert "HJ 633-2012" in fig.layout.title.subtitle.text and "GB 3095-2012" in fig.layout.title.subtitle.text
    assert fig.layout.xaxis.tickformat == "%m月%d日"
    assert "µg/m³" in fig.data[0].hovertemplate and "首要污染物" in fig.data[0].hovertemplate
    # A whole year chosen with a month of readings: the axis spans the readings, labelled by day
    # (by month, every label would read the same month).
    year = figs.time_series(frame, m, _names(episode), "zh", alerts=episode.alerts,
                            period=(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    assert year.layout.xaxis.tickformat == "%m月%d日"
    long = frame.assign(x=pd.date_range("2025-01-01", periods=len(frame), freq="8D"))
    assert figs.time_series(long, m, _names(episode), "zh").layout.xaxis.tickformat == figs.MONTH_FORMAT["zh"]


def test_time_series_decorations_are_plotlys_own(episode):
    """The bands, the limit line and the alert band are set in one layout update (plotly's
    add_hrect / add_hline / add_vrect re-validate every item already there): the same items."""
    import plotly.graph_objects as go

    frame, m = air.series_frame(episode, "PM2.5", [air.DISTRICT])
    fig = figs.time_series(frame, m, _names(episode), "en", alerts=episode.alerts, period=(episode.start, episode.end))
    ref = go.Figure()
    bands = [s for s in fig.layout.shapes if s.type == "rect" and s.yref == "y"]
    for band in bands:
        ref.add_hrect(y0=band.y0, y1=band.y1, fillcolor=band.fillcolor, opacity=0.16, line_width=0, layer="below")
    ref.add_hline(y=75, line={"color": "#c92a2a", "width": 1.5, "dash": "dash"},
                  annotation={"text": "24-h grade II limit 75 µg/m³", "font": {"size": 11, "color": "#c92a2a"},
                              "bgcolor": "rgba(255,255,255,0.85)"}, annotation_position="top left")
    ref.add_vrect(x0=pd.Timestamp("2025-12-06 12:00"), x1=pd.Timestamp("2025-12-10 18:00"),
                  fillcolor=figs.ALERT_COLOURS["red"], opacity=0.22, line_width=0, layer="below")
    assert len(bands) == 6 and [s.to_plotly_json() for s in fig.layout.shapes] == \
        [s.to_plotly_json() for s in ref.layout.shapes]
    limit = [a.to_plotly_json() for a in fig.layout.annotations if a.xref == "x domain"]
    assert limit == [a.to_plotly_json() for a in ref.layout.annotations]


def test_hourly_series_for_short_periods(episode):
    short = air.AirData(**{**episode.__dict__, "start": dt.date(2025, 12, 5), "end": dt.date(2025, 12, 11),
                           "resolution": air.resolution(dt.date(2025, 12, 5), dt.date(2025, 12, 11))})
    frame, m = air.series_frame(short, "NO2", [air.DISTRICT])
    assert m.resolution == "hourly" and m.limit == 200 and len(frame) == 7 * 24
    fig = figs.time_series(frame, m, _names(short), "zh", alerts=short.alerts, period=(short.start, short.end))
    assert "%m月%d日 %H时" in fig.data[0].hovertemplate
    assert "1小时平均二级限值 200 µg/m³" in " ".join(a.text for a in fig.layout.annotations)


def test_reference_state_change_marked_only_on_long_gas_series():
    hours = _hours(dt.date(2018, 8, 1), dt.date(2018, 9, 30))
    stations = _stations(("A", "甲", True, False))
    readings = _readings("A", hours, **{"NO2": 40, "PM2.5": 40})
    data = air.build_air_data(readings, stations, NO_ALERTS, dt.date(2018, 8, 1), dt.date(2018, 9, 30))
    assert data.crosses_reference_change
    label = "2018-09-01 起气态污染物按参比状态（25℃）报告"
    for choice, marked in (("NO2", True), ("PM2.5", False)):
        frame, m = air.series_frame(data, choice, ["A"])
        fig = figs.time_series(frame, m, _names(data), "zh", period=(data.start, data.end))
        assert (label in " ".join(a.text for a in fig.layout.annotations)) is marked
    later = air.build_air_data(readings, stations, NO_ALERTS, dt.date(2018, 9, 2), dt.date(2018, 9, 30))
    frame, m = air.series_frame(later, "NO2", ["A"])
    fig = figs.time_series(frame, m, _names(later), "zh", period=(later.start, later.end))
    assert label not in " ".join(a.text for a in fig.layout.annotations)


def test_empty_data_gives_a_message_not_an_empty_chart(episode):
    frame, m = air.series_frame(episode, "AQI", ["nowhere"])
    fig = figs.time_series(frame, m, _names(episode), "zh")
    assert not fig.data and "没有" in fig.layout.annotations[0].text


def test_calendar_colours_days_by_category(episode):
    daily = episode.daily[episode.daily["series"] == air.DISTRICT]
    fig = figs.calendar(daily, "zh", "二七区", dt.date(2025, 11, 1), dt.date(2025, 12, 31),
                        air.standards_of(daily), until=dt.date(2025, 12, 20))
    heatmaps = [tr for tr in fig.data if tr.type == "heatmap"]
    assert len(heatmaps) == 2
    assert list(fig.layout.xaxis.ticktext) == ["一", "二", "三", "四", "五", "六", "日"]
    titles = [a.text for a in fig.layout.annotations]
    assert "2025年11月" in titles and "2025年12月" in titles
    dec = np.asarray(heatmaps[1].z, dtype=float)
    # 2025-12-01 is a Monday: row 0, column 0; the 8th (episode) is row 1, column 0.
    expected = int(daily.loc[daily["date"] == pd.Timestamp("2025-12-08"), "category"].iloc[0])
    assert expected >= 5 and dec[1, 0] == expected
    assert np.isnan(dec[3, 6])  # after the last day with data: left out
    texts = [v for tr in fig.data if tr.type == "scatter" and tr.mode == "text" for v in (tr.text or ())]
    aqi_8th = str(int(daily.loc[daily["date"] == pd.Timestamp("2025-12-08"), "aqi"].iloc[0]))
    assert aqi_8th in texts
    assert {tr.name for tr in fig.data if tr.showlegend} == {c["zh"] for c in CATEGORIES}
    assert "HJ 633-2012" in fig.layout.title.subtitle.text


def test_profiles_comparison_and_map(episode):
    prof = air.profiles(episode.hourly_view, "PM2.5", [air.DISTRICT])
    fig = figs.profiles(prof, "PM2.5", _names(episode), "zh", ["HJ 633-2012"])
    assert any(tr.fill == "toself" for tr in fig.data) and "95%" in fig.layout.title.subtitle.text

    comp = air.station_comparison(episode.daily_view, "PM2.5", episode.stations)
    assert air.DISTRICT not in set(comp["series"])
    fig = figs.station_comparison(comp, air.measure("PM2.5", "daily"), "zh", ["HJ 633-2012"],
                                  episode.district_codes)
    assert {tr.type for tr in fig.data} == {"box"}
    assert any("对照点" in tr.name for tr in fig.data)
    assert any(s.type == "line" and s.x0 == 75 for s in fig.layout.shapes)

    latest = air.latest_station_aqi(episode.hourly_view, episode.stations)
    assert set(latest["code"]) == {"A", "B", "C"} and latest["aqi"].notna().all()
    fig = figs.station_map(latest, "zh", time_text="2025年12月20日 00:00")
    assert [tr.type for tr in fig.data] == ["scatter", "scatter"] and "map" not in fig.layout.to_plotly_json()
    colours = list(fig.data[0].marker.color)
    assert colours == [AQI_COLOURS[int(c)] for c in latest["category"]]
    assert "甲" in fig.data[1].text
    tiled = figs.station_map(latest, "zh", tile_url="https://tiles.example/{z}/{x}/{y}.png")
    assert tiled.data[0].type == "scattermap" and tiled.layout.map.style == "white-bg"
    assert tiled.layout.map.layers[0].source == ("https://tiles.example/{z}/{x}/{y}.png",)


def test_monthly_figures_stack_shares_and_show_targets(episode):
    monthly = episode.monthly[episode.monthly["series"] == air.DISTRICT]
    fig = figs.monthly_composite(monthly, "zh", "二七区")
    assert fig.layout.barmode == "stack" and len(fig.data) == 6
    stacked = np.sum([np.asarray(tr.y, dtype=float) for tr in fig.data], axis=0)
    assert stacked == pytest.approx(monthly.sort_values("month")["composite"].to_numpy())
    assert "HJ 663-2013" in fig.layout.title.subtitle.text
    assert any("有效天数不足" in a.text for a in fig.layout.annotations)  # December stops on the 20th

    fig = figs.good_days(episode.monthly[episode.monthly["series"].isin([air.DISTRICT, "A"])], _names(episode),
                         "zh", 0.7, 50, ["HJ 633-2012"])
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert {s.y0 for s in lines} == {70, 50}
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "目标 70%" in texts and "目标 50 µg/m³" in texts
    assert "HJ 633-2012" in fig.layout.title.subtitle.text


def test_english_labels(episode):
    frame, m = air.series_frame(episode, "AQI", [air.DISTRICT])
    fig = figs.time_series(frame, m, episode.series_names("Erqi"), "en", alerts=episode.alerts)
    assert fig.layout.title.text == "Daily AQI over time" and fig.layout.xaxis.tickformat == "%d %b"
    assert not re.search(r"[\u4e00-\u9fff]", fig.layout.title.subtitle.text)


def test_comparison_over_years_ships_box_statistics_not_every_day():
    """Five years of days at twelve stations: the boxes come with plotly's statistics and only
    the outliers as points, so the figure stays small; the statistics are plotly's own."""

    rng = np.random.default_rng(7)
    days = pd.date_range("2021-01-01", "2025-12-31", freq="D")
    codes = [f"{i:04d}A" for i in range(12)]
    frame = pd.DataFrame({
        "series": np.repeat(codes, len(days)), "date": np.tile(days, len(codes)),
        "value": rng.gamma(4.0, 12.0, len(days) * len(codes)).round(),
        "name": np.repeat(codes, len(days)), "is_background": False,
    })
    assert len(frame) > figs.COMPARE_POINTS_MAX
    fig = figs.station_comparison(frame, air.measure("PM2.5", "daily"), "zh", ["HJ 633-2012"])
    assert len(json.dumps(fig.to_plotly_json(), default=str)) < 300_000
    boxes = [tr for tr in fig.data if tr.type == "box"]
    assert len(boxes) == 12
    values = np.sort(frame.loc[frame["series"] == codes[0], "value"].to_numpy())
    box = next(b for b in boxes if b.name == codes[0])
    # plotly's "linear" quartiles: position n·p − 0.5 between the sorted values
    pos = len(values) * 0.25 - 0.5
    q1 = values[int(np.floor(pos))] + (pos % 1) * (values[int(np.ceil(pos))] - values[int(np.floor(pos))])
    assert box.q1[0] == pytest.approx(q1) and box.median[0] == pytest.approx(np.median(values))
    assert box.mean[0] == pytest.approx(values.mean())
    outliers = [tr for tr in fig.data if tr.type == "scatter" and tr.name == codes[0]]
    high = values[values > box.upperfence[0]]
    assert len(high) and len(outliers) == 1 and sorted(outliers[0].x) == sorted(high.tolist())
