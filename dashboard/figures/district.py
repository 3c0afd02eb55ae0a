"""The map on which an admin chooses the district's stations: the group, the background (对照)
stations and the others around them. Pure; drawn without tiles unless a tile URL is configured,
as the air page's station map is. Each marker carries its station code as ``customdata``, so a
click on it names the station."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.air import GRID, _label_positions, empty_figure
from dashboard.figures.theme import base_layout
from dashboard.i18n import t

GROUP_COLOUR = "#0b7285"
BACKGROUND_COLOUR = "#e8590c"
OTHER_COLOUR = "#adb5bd"
#: A national network has stations in some 370 cities: a map of them all is a cloud.
MAX_SHOWN = 300


def map_stations(stations: pd.DataFrame) -> pd.DataFrame:
    """The stations worth drawing: every station in the cities of the group (or, before there
    is one, in the cities of the stations with readings), up to ``MAX_SHOWN``. Background
    stations elsewhere (a national list flags hundreds) do not widen the map. Rows without
    coordinates are left out."""
    placed = stations.dropna(subset=["longitude", "latitude"])
    focus = placed[placed["in_district"]]
    if focus.empty:
        focus = placed[placed["has_data"]]
    cities = set(focus["city"]) - {""}
    return placed[placed.index.isin(focus.index) | placed["city"].isin(cities)].head(MAX_SHOWN)


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
    fig = go.Figure()
    styles = {
        "group": {"colour": GROUP_COLOUR, "size": 18, "symbol": "circle"},
        "background": {"colour": BACKGROUND_COLOUR, "size": 16, "symbol": "diamond"},
        "other": {"colour": OTHER_COLOUR, "size": 11, "symbol": "circle"},
    }
    kinds = [_kind(r) for r in places.itertuples()]
    # Labels (the chosen stations') on the side away from their nearest neighbour.
    named = places[[k != "other" for k in kinds]]
    sides = dict(zip(named["code"], _label_positions(named["longitude"].to_numpy(dtype=float),
                                                     named["latitude"].to_numpy(dtype=float))))
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
            fig.add_trace(go.Scatter(x=rows["longitude"], y=rows["latitude"],
                                     textposition=[sides.get(c, "top center") for c in rows["code"]],
                                     marker={**marker, "symbol": style["symbol"]}, cliponaxis=False, **common))
    layout = {"height": 440, "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
              "clickmode": "event", "margin": {"l": 10, "r": 10, "t": 30, "b": 10}}
    if tile_url:
        fig.update_layout(map={
            "style": "white-bg",
            "layers": [{"sourcetype": "raster", "source": [tile_url], "below": "traces",
                        "sourceattribution": attribution}],
            "center": {"lon": float(places["longitude"].mean()), "lat": float(places["latitude"].mean())},
            "zoom": 9,
        })
        fig.update_layout(base_layout(lang, **layout))
        return fig
    lat0 = float(places["latitude"].mean())
    pad_x = max(0.03, (places["longitude"].max() - places["longitude"].min()) * 0.1)
    pad_y = max(0.03, (places["latitude"].max() - places["latitude"].min()) * 0.12)
    fig.update_layout(base_layout(
        lang, **layout,
        xaxis={"title": t("air.map.lon", lang), "gridcolor": GRID, "zeroline": False, "ticksuffix": "°",
               "range": [places["longitude"].min() - pad_x, places["longitude"].max() + pad_x]},
        yaxis={"title": t("air.map.lat", lang), "gridcolor": GRID, "zeroline": False, "ticksuffix": "°",
               "scaleanchor": "x", "scaleratio": 1 / math.cos(math.radians(lat0)),
               "range": [places["latitude"].min() - pad_y, places["latitude"].max() + pad_y]},
        plot_bgcolor="#f8f9fa",
    ))
    return fig
