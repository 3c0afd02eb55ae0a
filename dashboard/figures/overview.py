"""Figures of the home page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.theme import PLATE_COLOURS, PLATE_ORDER, base_layout
from dashboard.i18n import t


def sites_by_township(frame: pd.DataFrame, lang: str) -> go.Figure:
    """Active sites per township as horizontal bars stacked by plate colour."""
    label = "township" if lang == "zh" else "township_en"
    order = frame.drop_duplicates("township_id").sort_values("position")[label].tolist()
    figure = go.Figure()
    for plate in PLATE_ORDER:
        part = frame[frame["plate"] == plate].set_index(label)["sites"].reindex(order, fill_value=0)
        figure.add_bar(
            y=part.index,
            x=part.values,
            orientation="h",
            name=t(f"plate.{plate}", lang),
            marker_color=PLATE_COLOURS[plate],
            hovertemplate="%{y}<br>" + t(f"plate.{plate}", lang) + ": %{x}<extra></extra>",
        )
    figure.update_layout(
        base_layout(
            lang,
            barmode="stack",
            height=max(320, 24 * len(order) + 80),
            yaxis={"autorange": "reversed", "title": None},
            xaxis={"title": t("home.sites_axis", lang), "gridcolor": "#e9ecef"},
            legend={"orientation": "h", "traceorder": "normal", "x": 0, "xanchor": "left", "y": 1.02,
                    "yanchor": "bottom"},
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
        )
    )
    return figure
