"""Figures of a site's page: the item-by-inspection heat map and the site's position map."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.compliance import GRID, RESULT_COLOURS, empty_figure, titled
from dashboard.figures.theme import DATE_FORMAT, PLATE_COLOURS
from dashboard.i18n import t


# --------------------------------------------------------------------------- site heat map
def results_heatmap(results: pd.DataFrame, inspections: pd.DataFrame, labels: pd.DataFrame, lang: str,
                    tz) -> go.Figure:
    """Item-by-inspection heat map: rows are checklist items, columns the site's inspections
    (by date), cells pass / fail / not applicable; blank where an item was not on the checklist."""
    if results.empty:
        return empty_figure(t("sites.detail.no_inspections", lang), lang)
    order = inspections.sort_values("inspected_at")
    columns = order["inspection_id"].tolist()
    local = [pd.Timestamp(v).tz_convert(tz) for v in order["inspected_at"]]
    day_counts = pd.Series([d.date() for d in local]).value_counts()
    x_labels = []
    for when in local:
        label = when.strftime(DATE_FORMAT[lang])
        if day_counts[when.date()] > 1:
            label += when.strftime(" %H:%M")
        x_labels.append(label)
    keys = [k for k in labels.sort_values("position")["key"] if k in set(results["item_key"])]
    names = labels.set_index("key")["label" if lang == "zh" else "label_en"]
    code = {"fail": 0, "na": 1, "pass": 2}
    grid = results.pivot_table(index="item_key", columns="inspection_id", values="result", aggfunc="first")
    grid = grid.reindex(index=keys, columns=columns)
    z = grid.apply(lambda col: col.map(code)).to_numpy(dtype=float)
    result_text = {k: t(f"sites.result.{k}", lang) for k in code}
    kinds = dict(zip(order["inspection_id"], order["kind"], strict=True))
    hover = np.array([[f"{names[k]}<br>{when.strftime('%Y-%m-%d %H:%M')} · {t(f'sites.kind.{kinds[i]}', lang)}"
                       f"<br><b>{result_text.get(grid.at[k, i], '—') if isinstance(grid.at[k, i], str) else '—'}</b>"
                       for i, when in zip(columns, local, strict=True)] for k in keys], dtype=object)
    scale = [[0.0, RESULT_COLOURS["fail"]], [1 / 3, RESULT_COLOURS["fail"]], [1 / 3, RESULT_COLOURS["na"]],
             [2 / 3, RESULT_COLOURS["na"]], [2 / 3, RESULT_COLOURS["pass"]], [1.0, RESULT_COLOURS["pass"]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(range(len(columns))), y=[_wrapped(names[k]) for k in keys], zmin=-0.5, zmax=2.5, colorscale=scale,
        showscale=False, xgap=2, ygap=2, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
    ))
    for key in ("pass", "fail", "na"):
        fig.add_scatter(x=[None], y=[None], mode="markers", name=result_text[key], showlegend=True,
                        marker={"symbol": "square", "size": 12, "color": RESULT_COLOURS[key]})
    # At most 12 date labels: a phone's 300 px cannot hold more without them piling up.
    step = max(1, math.ceil(len(columns) / 12))
    return titled(
        fig, t("sites.detail.heatmap_title", lang), t("sites.detail.heatmap_note", lang), lang,
        height=120 + 34 * len(keys),
        xaxis={"tickvals": list(range(0, len(columns), step)), "ticktext": x_labels[::step], "tickangle": -45,
               "showgrid": False, "zeroline": False, "range": [-0.5, len(columns) - 0.5]},
        yaxis={"autorange": "reversed", "automargin": True, "showgrid": False},
        # Below the plot: above it the legend ran over the note on a narrow screen.
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "yref": "container", "xanchor": "left", "x": 0},
        plot_bgcolor="#ffffff", margin={"l": 10, "r": 10, "t": 72, "b": 40},
    )


def _wrapped(label: str, width: int = 9) -> str:
    """A long item name on two lines, so the labels leave the cells some of a phone's width."""
    if len(label) <= width or " " in label:
        return label
    return label[:width] + "<br>" + label[width:]


# --------------------------------------------------------------------------- site map
def site_map(neighbours: pd.DataFrame, site_id: int, township: str, lang: str, tile_url: str = "",
             attribution: str = "") -> go.Figure:
    """The site (a large star) among its township's other sites (dots in their plate colours).

    Without a tile URL the points are drawn on plain longitude/latitude axes at true aspect.
    """
    places = neighbours.dropna(subset=["longitude", "latitude"])
    if places.empty or site_id not in set(places["id"]):
        return empty_figure(t("sites.detail.no_position", lang), lang, 320)
    me = places[places["id"] == site_id]
    others = places[places["id"] != site_id]
    title = t("sites.detail.map_title", lang, township=township)
    note = t("sites.detail.map_note", lang)

    def hover(rows: pd.DataFrame) -> list[str]:
        return [f"<b>{r.name}</b><br>{r.code} · {t(f'plate.{r.plate}', lang)}" for r in rows.itertuples()]

    def marker(rows: pd.DataFrame, size: int, symbol: str) -> dict:
        return {"size": size, "color": [PLATE_COLOURS.get(p, "#868e96") for p in rows["plate"]], "symbol": symbol,
                "line": {"color": "#212529", "width": 1.5 if symbol == "star" else 0.5}}

    if tile_url:
        fig = go.Figure()
        fig.add_trace(go.Scattermap(lon=others["longitude"], lat=others["latitude"], mode="markers",
                                    marker={"size": 9, "color": [PLATE_COLOURS.get(p) for p in others["plate"]]},
                                    customdata=hover(others), hovertemplate="%{customdata}<extra></extra>",
                                    name=t("sites.detail.map_others", lang)))
        fig.add_trace(go.Scattermap(lon=me["longitude"], lat=me["latitude"], mode="markers+text",
                                    marker={"size": 18, "color": [PLATE_COLOURS.get(p) for p in me["plate"]]},
                                    text=me["name"], textposition="top center", customdata=hover(me),
                                    hovertemplate="%{customdata}<extra></extra>",
                                    name=t("sites.detail.map_this", lang)))
        fig.update_layout(map={
            "style": "white-bg",
            "layers": [{"sourcetype": "raster", "source": [tile_url], "below": "traces",
                        "sourceattribution": attribution}],
            "center": {"lon": float(me["longitude"].iloc[0]), "lat": float(me["latitude"].iloc[0])}, "zoom": 12,
        })
        return titled(fig, title, note, lang, height=380, showlegend=False)
    fig = go.Figure()
    fig.add_scatter(x=others["longitude"], y=others["latitude"], mode="markers", marker=marker(others, 11, "circle"),
                    customdata=hover(others), hovertemplate="%{customdata}<extra></extra>",
                    name=t("sites.detail.map_others", lang))
    fig.add_scatter(x=me["longitude"], y=me["latitude"], mode="markers+text", marker=marker(me, 24, "star"),
                    text=me["name"], textposition="top center", textfont={"size": 13}, customdata=hover(me),
                    hovertemplate="%{customdata}<extra></extra>", name=t("sites.detail.map_this", lang),
                    cliponaxis=False)
    lat0 = float(places["latitude"].mean())
    pad_x = max(0.006, (places["longitude"].max() - places["longitude"].min()) * 0.15)
    pad_y = max(0.005, (places["latitude"].max() - places["latitude"].min()) * 0.2)
    return titled(
        fig, title, note, lang, height=380, showlegend=False, plot_bgcolor="#f8f9fa",
        xaxis={"title": t("sites.detail.lon", lang), "gridcolor": GRID, "zeroline": False, "ticksuffix": "°",
               "range": [places["longitude"].min() - pad_x, places["longitude"].max() + pad_x]},
        yaxis={"title": t("sites.detail.lat", lang), "gridcolor": GRID, "zeroline": False, "ticksuffix": "°",
               "scaleanchor": "x", "scaleratio": 1 / math.cos(math.radians(lat0)),
               "range": [places["latitude"].min() - pad_y, places["latitude"].max() + pad_y * 1.5]},
    )
