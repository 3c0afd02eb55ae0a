"""Figures of the compliance page: pure functions of the ``analytics.compliance`` frames.

Rates are drawn as percentages; checklist items carry their Chinese (or English) labels;
dates use ``theme.DATE_FORMAT``.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.theme import DATE_FORMAT, add_layout_items, base_layout
from dashboard.i18n import t

GRID = "#e9ecef"
DISTRICT_COLOUR = "#0b7285"
PALETTE = ("#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#5c940d", "#d6336c", "#495057",
           "#3bc9db", "#845ef7")
ALERT_COLOURS = {"blue": "#4dabf7", "yellow": "#fcc419", "orange": "#ff922b", "red": "#fa5252"}
RESULT_COLOURS = {"fail": "#e03131", "na": "#ced4da", "pass": "#2f9e44"}
MEETING_COLOUR = "#5f3dc4"


def empty_figure(message: str, lang: str, height: int = 240) -> go.Figure:
    """A blank figure that says why it is blank."""
    fig = go.Figure()
    fig.update_layout(
        base_layout(lang, height=height, xaxis={"visible": False}, yaxis={"visible": False}),
        annotations=[{"text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
                      "font": {"size": 15, "color": "#868e96"}}],
    )
    return fig


def titled(fig: go.Figure, title: str, subtitle: str, lang: str, **layout) -> go.Figure:
    """``fig`` with the shared layout, a title and a grey subtitle (definitions, sources)."""
    margin = layout.pop("margin", {"l": 10, "r": 10, "t": 72, "b": 10})
    fig.update_layout(
        base_layout(lang, margin=margin, **layout),
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top", "font": {"size": 16},
               "subtitle": {"text": subtitle, "font": {"size": 12, "color": "#495057"}}},
    )
    return fig


def _day(value: dt.date, lang: str) -> str:
    return f"{value.month}月{value.day}日" if lang == "zh" else f"{value:%d %b}"


def _local(ts: pd.Timestamp, tz) -> pd.Timestamp:
    return pd.Timestamp(ts).tz_convert(tz).tz_localize(None)


# --------------------------------------------------------------------------- events on a time axis
def add_alert_bands(fig: go.Figure, alerts: pd.DataFrame, x0: pd.Timestamp, x1: pd.Timestamp, tz, lang: str,
                    opacity: float = 0.25) -> None:
    """Alert periods as bands in their level's colour across the whole plot (every subplot),
    each labelled with its level at the bottom; ``x0..x1`` (naive Beijing time) clips them."""
    previous_label: pd.Timestamp | None = None
    level_up = 0
    shapes: list[dict] = []
    annotations: list[dict] = []
    for alert in alerts.sort_values("starts_at").itertuples():
        a0 = max(_local(alert.starts_at, tz), x0)
        a1 = min(_local(alert.ends_at, tz) if pd.notna(alert.ends_at) else x1, x1)
        if a1 <= a0:
            continue
        shapes.append({"type": "rect", "x0": a0, "x1": a1, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
                       "fillcolor": ALERT_COLOURS.get(alert.level, "#adb5bd"), "opacity": opacity, "line": {"width": 0},
                       "layer": "below", "name": f"alert-{alert.level}"})
        # Back-to-back alerts (orange → red) would print their labels over each other: stack them.
        level_up = level_up + 1 if previous_label is not None and a0 - previous_label < pd.Timedelta(days=6) else 0
        previous_label = a0
        annotations.append({"x": a0, "y": 0.02 + 0.07 * level_up, "xref": "x", "yref": "paper", "yanchor": "bottom",
                            "xanchor": "left", "showarrow": False, "text": t(f"alert.level.{alert.level}", lang),
                            "font": {"size": 10, "color": "#495057"}, "bgcolor": "rgba(255,255,255,0.7)"})
    add_layout_items(fig, shapes, annotations)


def add_meeting_lines(fig: go.Figure, meetings: pd.DataFrame, x0: pd.Timestamp, x1: pd.Timestamp, tz, lang: str,
                      labels: bool = True) -> None:
    """Dispatch meetings as dotted vertical lines across the whole plot, numbered at the top."""
    if meetings.empty:
        return
    local = pd.to_datetime(meetings["held_at"], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    shown = meetings.assign(x=local.to_numpy())[(local >= x0).to_numpy() & (local <= x1).to_numpy()]
    shapes = [{"type": "line", "x0": m.x, "x1": m.x, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
               "line": {"color": MEETING_COLOUR, "width": 1.2, "dash": "dot"}} for m in shown.itertuples()]
    annotations = [{"x": m.x, "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom", "showarrow": False,
                    "text": t("compliance.trend.meeting", lang, n=m.number),
                    "font": {"size": 10, "color": MEETING_COLOUR}} for m in shown.itertuples()] if labels else []
    add_layout_items(fig, shapes, annotations)


# --------------------------------------------------------------------------- trend
def trend(frame: pd.DataFrame, names: dict[int, str], lang: str, meetings: pd.DataFrame, alerts: pd.DataFrame,
          start: dt.date, end: dt.date, tz) -> go.Figure:
    """Weekly compliance rate (%) of the district and chosen townships, with dispatch meetings
    as dotted vertical lines and alert periods as shaded bands, so cause and effect line up.

    ``frame``: week, township_id, passed, applicable, rate, partial (analytics.weekly_trend);
    township_id 0 is the district. Points sit at the middle of their week.
    """
    if frame.empty or frame["applicable"].sum() == 0:
        return empty_figure(t("compliance.empty.period", lang), lang, 360)
    fig = go.Figure()
    order = list(dict.fromkeys(frame.sort_values("township_id")["township_id"]))
    for n, key in enumerate(order):
        part = frame[(frame["township_id"] == key) & (frame["applicable"] > 0)].sort_values("week")
        x = part["week"] + pd.Timedelta(days=3, hours=12)
        week_end = part["week"] + pd.Timedelta(days=6)
        custom = np.column_stack([
            [_day(w.date(), lang) for w in part["week"]], [_day(w.date(), lang) for w in week_end],
            part["passed"], part["applicable"],
            [t("compliance.trend.partial", lang) if p else "" for p in part["partial"]],
        ])
        colour = DISTRICT_COLOUR if key == 0 else PALETTE[(n - 1) % len(PALETTE)]
        fig.add_scatter(
            x=x, y=part["rate"] * 100, name=names.get(key, str(key)), mode="lines+markers", customdata=custom,
            line={"color": colour, "width": 3 if key == 0 else 1.8},
            marker={"size": [6 if p else 8 for p in part["partial"]],
                    "symbol": ["circle-open" if p else "circle" for p in part["partial"]]},
            hovertemplate=(f"<b>{names.get(key, key)}</b><br>%{{customdata[0]}}–%{{customdata[1]}}<br>"
                           + t("compliance.trend.hover", lang) + "%{customdata[4]}<extra></extra>"),
        )
    low = float(np.nanmin(frame.loc[frame["applicable"] > 0, "rate"])) * 100
    y_min = max(0.0, math.floor((low - 5) / 5) * 5)
    x0 = pd.Timestamp(start)
    x1 = pd.Timestamp(end) + pd.Timedelta(days=1)
    add_alert_bands(fig, alerts, x0, x1, tz, lang)
    add_meeting_lines(fig, meetings, x0, x1, tz, lang)
    return titled(
        fig, t("compliance.trend.title", lang), t("compliance.trend.note", lang), lang, height=420,
        xaxis={"type": "date", "tickformat": DATE_FORMAT[lang], "gridcolor": GRID, "range": [x0, x1]},
        yaxis={"title": t("compliance.rate_axis", lang), "ticksuffix": "%", "range": [y_min, 101],
               "gridcolor": GRID},
        legend={"orientation": "h", "yanchor": "top", "y": -0.1, "xanchor": "left", "x": 0},
        hovermode="closest", margin={"l": 10, "r": 10, "t": 90, "b": 10},
    )


# --------------------------------------------------------------------------- items
def failed_items(frame: pd.DataFrame, lang: str) -> go.Figure:
    """Failures per checklist item (most failed on top), with each item's failure share."""
    frame = frame[frame["applicable"] > 0]
    if frame.empty:
        return empty_figure(t("compliance.empty.period", lang), lang)
    frame = frame.sort_values(["failed", "item_key"], ascending=[True, False])
    labels = frame["label"] if lang == "zh" else frame["label_en"]
    text = [t("compliance.items.bar_text", lang, n=int(f), share=f"{s * 100:.1f}")
            for f, s in zip(frame["failed"], frame["fail_share"], strict=True)]
    fig = go.Figure(go.Bar(
        y=labels, x=frame["failed"], orientation="h", marker={"color": "#e8590c"}, text=text,
        textposition="outside", cliponaxis=False,
        customdata=np.column_stack([frame["applicable"], frame["fail_share"] * 100]),
        hovertemplate="<b>%{y}</b><br>" + t("compliance.items.hover", lang) + "<extra></extra>",
    ))
    return titled(
        fig, t("compliance.items.title", lang), t("compliance.items.note", lang), lang,
        height=max(300, 40 * len(frame) + 100),
        xaxis={"title": t("compliance.items.axis", lang), "gridcolor": GRID,
               "range": [0, float(frame["failed"].max()) * 1.35 + 1]},
        yaxis={"automargin": True}, showlegend=False,
    )
