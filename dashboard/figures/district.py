"""The map on which an admin chooses the district's stations: the group, the background (对照)
stations and the others around them. Pure; drawn without tiles unless a tile URL is configured,
as the air page's station map is. Each marker carries its station code as ``customdata``, so a
click on it names the station."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.air import GRID, empty_figure
from dashboard.figures.theme import base_layout
from dashboard.i18n import t

GROUP_COLOUR = "#0b7285"
BACKGROUND_COLOUR = "#e8590c"
OTHER_COLOUR = "#adb5bd"
#: Without a chosen station the map shows stations with readings; a national network's would
#: be a cloud over all China: then the cities of the first ones only.
MAX_OTHERS = 300


def map_stations(stations: pd.DataFrame) -> pd.DataFrame:
    """The stations worth drawing: the chosen ones and the others in their cities; with none
    chosen, those with readings (up to ``MAX_OTHERS``). Rows without coordinates are left out."""
    placed = stations.dropna(subset=["longitude", "latitude"])
    chosen = placed["in_district"] | placed["is_background"]
    if chosen.any():
        cities = set(placed.loc[chosen, "city"]) - {""}
        return placed[chosen | placed["city"].isin(cities)]
    return placed[placed["has_data"]].head(MAX_OTHERS)


def _titled(fig: go.Figure, title: str, subtitle: str, lang: str, **layout) -> go.Figure:
    fig.update_layout(
        base_layout(lang, margin={"l": 10, "r": 10, "t": 78, "b": 10}, **layout),
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top", "font": {"size": 16},
               "subtitle": {"text": subtitle, "font": {"size": 12, "color": "#495057"}}},
    )
    return fig


def _kind(row) -> str:
    if row.is_background:
        return "background"
    return "group" if row.in_district else "other"


def station_choice_map(stations: pd.DataFrame, lang: str, tile_url: str = "", attribution: str = "") -> go.Figure:
    """Stations as markers: the group filled and named, background stations as diamonds, the
    others small and grey (hollow without readings). ``stations``: code, name, city, longitude,
    latitude, in_district, is_background, has_data."""
    places = map_stations(stations)
    if places.empty:
        return empty_figure(t("admin.stations.map_empty", lang), lang)
    title = t("admin.stations.map_title", lang)
    note = t("admin.stations.map_note", lang)
    fig = go.Figure()
    styles = {
        "group": {"colour": GROUP_COLOUR, "size": 18, "symbol": "circle"},
        "background": {"colour": BACKGROUND_COLOUR, "size": 16, "symbol": "diamond"},
        "other": {"colour": OTHER_COLOUR, "size": 11, "symbol": "circle"},
    }
    kinds = [_kind(r) for r in places.itertuples()]
    for kind, style in styles.items():
        rows = places[[k == kind for k in kinds]]
        if rows.empty:
            continue
        hover = [f"<b>{r.name}</b> ({r.code})<br>{r.city}<br>" + t(f"admin.stations.kind.{kind}", lang)
                 + ("" if r.has_data else "<br>" + t("admin.stations.no_readings", lang)) for r in rows.itertuples()]
        labels = rows["name"].tolist() if kind != "other" else None
        filled = [bool(d) or kind != "other" for d in rows["has_data"]]
        marker = {"size": style["size"], "color": [style["colour"] if f else "#ffffff" for f in filled],
                  "line": {"color": style["colour"], "width": 2}}
        common = {"customdata": rows["code"].tolist(), "hovertext": hover, "hoverinfo": "text",
                  "name": t(f"admin.stations.kind.{kind}", lang), "text": labels,
                  "mode": "markers+text" if labels else "markers"}
        if tile_url:
            fig.add_trace(go.Scattermap(lon=rows["longitude"], lat=rows["latitude"], marker=marker,
                                        textposition="top right", **common))
        else:
            fig.add_trace(go.Scatter(x=rows["longitude"], y=rows["latitude"], textposition="top center",
                                     marker={**marker, "symbol": style["symbol"]}, cliponaxis=False, **common))
    legend = {"orientation": "h", "y": -0.12, "x": 0}
    if tile_url:
        fig.update_layout(map={
            "style": "white-bg",
            "layers": [{"sourcetype": "raster", "source": [tile_url], "below": "traces",
                        "sourceattribution": attribution}],
            "center": {"lon": float(places["longitude"].mean()), "lat": float(places["latitude"].mean())},
            "zoom": 9,
        })
        return _titled(fig, title, note, lang, height=460, legend=legend, clickmode="event")
    lat0 = float(places["latitude"].mean())
    pad_x = max(0.03, (places["longitude"].max() - places["longitude"].min()) * 0.1)
    pad_y = max(0.03, (places["latitude"].max() - places["latitude"].min()) * 0.12)
    return _titled(
        fig, title, note, lang, height=460, legend=legend, clickmode="event",
        xaxis={"title": t("air.map.lon", lang), "gridcolor": GRID, "zeroline": False, "ticksuffix": "°",
               "range": [places["longitude"].min() - pad_x, places["longitude"].max() + pad_x]},
        yaxis={"title": t("air.map.lat", lang), "gridcolor": GRID, "zeroline": False, "ticksuffix": "°",
               "scaleanchor": "x", "scaleratio": 1 / math.cos(math.radians(lat0)),
               "range": [places["latitude"].min() - pad_y, places["latitude"].max() + pad_y]},
        plot_bgcolor="#f8f9fa",
    )
