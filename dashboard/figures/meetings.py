"""Figures of the meeting pages: pure functions of ``analytics.meeting_effect`` records."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.analytics.meeting_effect import POLLUTANTS, MeetingEffect
from dashboard.figures.compliance import GRID, empty_figure
from dashboard.figures.theme import base_layout
from dashboard.i18n import t

BEFORE_COLOUR = "#adb5bd"
AFTER_COLOUR = "#0b7285"


def effect_bars(effect: MeetingEffect, lang: str, height: int = 250) -> go.Figure:
    """Before and after means side by side, one panel per pollutant, one pair per series.

    A series without a valid day in a window has no bar there (not a zero bar).
    """
    series = list(dict.fromkeys(r.series for r in effect.rows))
    if not effect.has_readings or not effect.after.days:
        return empty_figure(t("meetings.effect.figure_empty", lang), lang, height=height)
    fig = make_subplots(rows=1, cols=len(POLLUTANTS), subplot_titles=[f"{p} (µg/m³)" for p in POLLUTANTS],
                        horizontal_spacing=0.1)
    labels = [t(f"meetings.effect.series_short.{s}", lang) for s in series]
    for col, pollutant in enumerate(POLLUTANTS, start=1):
        rows = [effect.row(s, pollutant) for s in series]
        before = [r.before_mean if r else None for r in rows]
        after = [r.after_mean if r else None for r in rows]
        for name, colour, values in (
            (t("meetings.effect.before_n", lang, n=effect.days), BEFORE_COLOUR, before),
            (t("meetings.effect.after_n", lang, n=effect.days), AFTER_COLOUR, after),
        ):
            fig.add_trace(
                go.Bar(x=labels, y=values, name=name, marker_color=colour, legendgroup=name, showlegend=col == 1,
                       text=[f"{v:.0f}" if v is not None else "" for v in values], textposition="outside",
                       cliponaxis=False, hovertemplate="%{x}: %{y:.1f} µg/m³<extra>" + name + "</extra>"),
                row=1, col=col,
            )
    # The legend goes below: above, it would sit on the panel titles.
    fig.update_layout(base_layout(lang, height=height, barmode="group", bargap=0.25,
                                  margin={"l": 10, "r": 10, "t": 30, "b": 10},
                                  legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "center",
                                          "x": 0.5}))
    fig.update_yaxes(gridcolor=GRID, rangemode="tozero")
    fig.update_annotations(font={"size": 12})
    return fig
