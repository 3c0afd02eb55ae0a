"""Figures of the site dust views: a site's PM10 over time with its inspections and its national
station, the wind rose, and the district's sites on a map in the colour of their latest PM10.

PM10 colours are the AQI category colours of the PM10 value read against the PM10 breakpoints
of the standard in force, as the national platform indexes an hour's PM10 (``domain.aqi``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.domain import aqi
from dashboard.domain.site_dust_rules import SECTOR_WIDTH, SECTORS, SPEED_CLASSES
from dashboard.figures.compliance import GRID, RESULT_COLOURS, empty_figure, titled
from dashboard.figures.theme import AQI_COLOURS
from dashboard.i18n import t

SITE_COLOUR = "#1c7ed6"
FINE_COLOUR = "#74c0fc"
STATION_COLOUR = "#495057"
NO_DATA_COLOUR = "#adb5bd"
#: Light to dark blue from calm to strong wind.
SPEED_COLOURS = ("#d0ebff", "#74c0fc", "#339af0", "#1971c2", "#0b3d91")
COMPASS = {"zh": ("北", "东北", "东", "东南", "南", "西南", "西", "西北"),
           "en": ("N", "NE", "E", "SE", "S", "SW", "W", "NW")}


def pm10_colours(values, times) -> list[str]:
    """The AQI category colour of each PM10 value at its time (grey where there is none)."""
    values = list(values)
    if not values:
        return []
    stamps = pd.to_datetime(pd.Series(list(times)), utc=True)
    levels = aqi.category_of(aqi.iaqi("PM10_24h", np.asarray(values, dtype=float), aqi.standard_for(stamps)))
    return [AQI_COLOURS[int(level)] if not pd.isna(level) else NO_DATA_COLOUR for level in levels]


def _local(times, tz) -> pd.Series:
    return pd.to_datetime(pd.Series(list(times)), utc=True).dt.tz_convert(tz).dt.tz_localize(None)


def pm10_timeline(hourly: pd.DataFrame, fine: pd.DataFrame, station: pd.DataFrame, inspections: pd.DataFrame,
                  start, end, tz, lang: str, station_label: str | None) -> go.Figure:
    """Hourly PM10 of the site (markers in their AQI colour), its minute values of the last day
    (thin), its nearest station's PM10 (dashed) and its inspections as triangles above the
    lines: red when items failed (named in the hover), green when it passed."""
    title = t("dust.site.chart_title", lang)
    if hourly.empty and fine.empty:
        return empty_figure(t("dust.site.no_readings", lang), lang, 320)
    fig = go.Figure()
    if not station.empty and station_label:
        fig.add_scatter(x=_local(station["hour"], tz), y=station["value"], mode="lines", name=station_label,
                        line={"color": STATION_COLOUR, "dash": "dash", "width": 1.5},
                        hovertemplate="%{x|%m-%d %H:00} · %{y:.0f} µg/m³<extra>" + station_label + "</extra>")
    if not fine.empty:
        fig.add_scatter(x=_local(fine["data_time"], tz), y=fine["value"], mode="lines",
                        name=t("dust.site.fine", lang), line={"color": FINE_COLOUR, "width": 1},
                        hovertemplate="%{x|%m-%d %H:%M} · %{y:.0f} µg/m³<extra></extra>")
    if not hourly.empty:
        fig.add_scatter(x=_local(hourly["hour"], tz), y=hourly["value"], mode="lines+markers",
                        name=t("dust.site.hourly", lang), line={"color": SITE_COLOUR, "width": 2},
                        marker={"size": 6, "color": pm10_colours(hourly["value"], hourly["hour"]),
                                "line": {"color": SITE_COLOUR, "width": 1}},
                        hovertemplate="%{x|%m-%d %H:00} · %{y:.0f} µg/m³<extra></extra>")
    values = pd.concat([hourly["value"], fine["value"], station["value"]], ignore_index=True).dropna()
    top = float(values.max()) if len(values) else 100.0
    if not inspections.empty:
        failed = inspections["n_fail"] > 0
        hover = [
            (t("dust.site.inspection_failed", lang, n=int(r.n_fail), items=r.failed) if r.n_fail
             else t("dust.site.inspection_passed", lang)) for r in inspections.itertuples()]
        fig.add_scatter(
            x=_local(inspections["inspected_at"], tz), y=[top * 1.08] * len(inspections), mode="markers",
            name=t("dust.site.inspections", lang), customdata=hover,
            marker={"symbol": "triangle-down", "size": 13,
                    "color": [RESULT_COLOURS["fail"] if f else RESULT_COLOURS["pass"] for f in failed],
                    "line": {"color": "#212529", "width": 0.5}},
            hovertemplate="%{x|%m-%d %H:%M}<br>%{customdata}<extra></extra>", cliponaxis=False)
    hours = (pd.Timestamp(end) - pd.Timestamp(start)).total_seconds() / 3600
    tick = "%H:%M" if hours <= 48 else ("%m月%d日" if lang == "zh" else "%d %b")
    return titled(
        fig, title, t("dust.site.chart_note", lang), lang, height=360, hovermode="closest",
        xaxis={"range": [_local([start], tz).iloc[0], _local([end], tz).iloc[0]], "tickformat": tick,
               "gridcolor": GRID},
        yaxis={"title": "PM10 µg/m³", "rangemode": "tozero", "gridcolor": GRID, "range": [0, top * 1.18]},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0},
        margin={"l": 10, "r": 10, "t": 72, "b": 40},
    )


def compass_label(sector: int, lang: str) -> str:
    """N, NNE, … as 16 points; Chinese names the eight main ones and leaves the rest to the angle."""
    if sector % 2 == 0:
        return COMPASS["zh" if lang == "zh" else "en"][sector // 2]
    return f"{sector * SECTOR_WIDTH:g}°"


def speed_label(klass: int, lang: str) -> str:
    low = SPEED_CLASSES[klass]
    if klass + 1 < len(SPEED_CLASSES):
        return f"{low:g}–{SPEED_CLASSES[klass + 1]:g} m/s"
    return f"≥ {low:g} m/s"


def wind_rose(bins: pd.DataFrame, count: int, lang: str) -> go.Figure:
    """Stacked bars by the direction the wind comes from (16 sectors), one colour per speed
    class; the radius is the share of observations (%)."""
    if count == 0 or bins.empty:
        return empty_figure(t("dust.site.no_wind", lang), lang, 320)
    fig = go.Figure()
    for klass in range(len(SPEED_CLASSES)):
        part = bins[bins["speed_class"] == klass].sort_values("sector")
        fig.add_trace(go.Barpolar(
            r=part["share"], theta=part["centre"], width=[SECTOR_WIDTH * 0.9] * len(part),
            name=speed_label(klass, lang), marker={"color": SPEED_COLOURS[klass % len(SPEED_COLOURS)]},
            customdata=[compass_label(int(s), lang) for s in part["sector"]],
            hovertemplate="%{customdata} · %{r:.1f}%<extra>" + speed_label(klass, lang) + "</extra>"))
    return titled(
        fig, t("dust.site.wind_title", lang), t("dust.site.wind_note", lang, n=count), lang, height=360,
        polar={"angularaxis": {"direction": "clockwise", "rotation": 90,
                               "tickvals": [i * SECTOR_WIDTH for i in range(0, SECTORS, 2)],
                               "ticktext": [compass_label(i, lang) for i in range(0, SECTORS, 2)]},
               "radialaxis": {"ticksuffix": "%", "angle": 90, "tickfont": {"size": 10}}, "bargap": 0},
        barmode="stack",
        legend={"orientation": "h", "yanchor": "top", "y": -0.05, "xanchor": "left", "x": 0},
        margin={"l": 30, "r": 30, "t": 80, "b": 40},
    )


def dust_map(places: pd.DataFrame, lang: str, tile_url: str = "", attribution: str = "") -> go.Figure:
    """The sites with a monitor, each in the colour of its latest PM10 (grey when its monitor
    is offline or has sent nothing). Without a tile URL, points on plain longitude/latitude axes
    at true aspect, as the site page's map."""
    if places.empty:
        return empty_figure(t("dust.map.no_monitors", lang), lang, 320)
    located = places.dropna(subset=["longitude", "latitude"])
    if located.empty:
        return empty_figure(t("dust.map.empty", lang), lang, 320)
    live = located["latest_pm10"].notna() & (located["status"] != "offline")
    colours = [c if ok else NO_DATA_COLOUR for c, ok in zip(
        pm10_colours(located["latest_pm10"].fillna(0), located["latest_time"].fillna(pd.Timestamp(0, tz="UTC"))),
        live, strict=True)]
    hover = []
    for r in located.itertuples():
        value = f"PM10 {r.latest_pm10:.0f} µg/m³" if not pd.isna(r.latest_pm10) else t("dust.no_value", lang)
        hover.append(f"<b>{r.name}</b><br>{r.code} · {r.township}<br>{value}"
                     f"<br>{t(f'dust.status.{r.status}', lang)}")
    labels = [f"{v:.0f}" if not pd.isna(v) else "—" for v in located["latest_pm10"]]
    title, note = t("dust.map.title", lang), t("dust.map.note", lang)
    if tile_url:
        fig = go.Figure(go.Scattermap(
            lon=located["longitude"], lat=located["latitude"], mode="markers+text", text=labels,
            textposition="top center", marker={"size": 14, "color": colours}, customdata=hover,
            hovertemplate="%{customdata}<extra></extra>"))
        fig.update_layout(map={
            "style": "white-bg",
            "layers": [{"sourcetype": "raster", "source": [tile_url], "below": "traces",
                        "sourceattribution": attribution}],
            "center": {"lon": float(located["longitude"].mean()), "lat": float(located["latitude"].mean())},
            "zoom": 11})
        return titled(fig, title, note, lang, height=420, showlegend=False)
    fig = go.Figure(go.Scatter(
        x=located["longitude"], y=located["latitude"], mode="markers+text", text=labels, textposition="top center",
        marker={"size": 16, "color": colours, "line": {"color": "#212529", "width": 0.8}}, customdata=hover,
        hovertemplate="%{customdata}<extra></extra>", cliponaxis=False))
    lat0 = float(located["latitude"].mean())
    pad_x = max(0.01, (located["longitude"].max() - located["longitude"].min()) * 0.1)
    pad_y = max(0.01, (located["latitude"].max() - located["latitude"].min()) * 0.15)
    return titled(
        fig, title, note, lang, height=420, showlegend=False, plot_bgcolor="#f8f9fa",
        # "domain": a wide screen narrows the plot instead of widening the range, so the true
        # aspect does not zoom the sites out to a corner of the district.
        xaxis={"gridcolor": GRID, "zeroline": False, "ticksuffix": "°", "constrain": "domain",
               "range": [located["longitude"].min() - pad_x, located["longitude"].max() + pad_x]},
        yaxis={"gridcolor": GRID, "zeroline": False, "ticksuffix": "°", "scaleanchor": "x",
               "scaleratio": 1 / math.cos(math.radians(lat0)),
               "range": [located["latitude"].min() - pad_y, located["latitude"].max() + pad_y * 1.5]},
    )
