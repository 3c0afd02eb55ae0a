"""Figures of the year against its targets: the paths to date and the months' good / polluted
days with the pace of the remaining polluted-day budget. Pure: frames from
``analytics.targets`` in, plotly figures out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.domain.targets import YearTargets
from dashboard.figures.air import GRID, empty_figure
from dashboard.figures.theme import AQI_COLOURS, DATE_FORMAT, base_layout
from dashboard.i18n import t

TARGET_LINE = {"color": "#c92a2a", "dash": "dash", "width": 1.5}
MISSING = "#ced4da"
TO_COME = "#f1f3f5"
UNIT = "µg/m³"


def _title(fig: go.Figure, title: str, subtitle: str, lang: str, **layout) -> go.Figure:
    margin = layout.pop("margin", {"l": 10, "r": 10, "t": 90, "b": 10})
    fig.update_layout(
        base_layout(lang, margin=margin, **layout),
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top", "font": {"size": 16},
               "subtitle": {"text": subtitle, "font": {"size": 12, "color": "#495057"}}},
    )
    return fig


def _target(y: float, text: str, axis: str) -> tuple[dict, dict]:
    """The dashed target line across subplot ``axis`` ("", "2", …) and its label: the shape and
    annotation plotly's ``add_hline(row=, col=, annotation_position="top left")`` adds."""
    return ({"type": "line", "x0": 0, "x1": 1, "xref": f"x{axis} domain", "y0": y, "y1": y, "yref": f"y{axis}",
             "line": TARGET_LINE},
            {"text": text, "font": {"size": 11, "color": "#c92a2a"}, "bgcolor": "rgba(255,255,255,0.85)",
             "showarrow": False, "x": 0, "xanchor": "left", "xref": f"x{axis} domain", "y": y, "yanchor": "bottom",
             "yref": f"y{axis}"})


def year_path(path: pd.DataFrame, targets: YearTargets, year: int, lang: str,
              standards: tuple[str, ...] = ()) -> go.Figure:
    """Four small charts: the PM2.5 and PM10 means to date, the good-day share to date and the
    heavy-pollution days to date, each with its target as a dashed line."""
    if path.empty or not path["valid_days"].max():
        return empty_figure(t("targets.empty.path", lang, year=year), lang)
    x = pd.to_datetime(path["date"])
    fig = make_subplots(rows=2, cols=2, horizontal_spacing=0.09, vertical_spacing=0.16,
                        subplot_titles=[t(f"targets.path.{k}", lang) for k in ("pm25", "pm10", "share", "heavy")])
    panels = (
        (1, 1, path["pm25"], targets.pm25, t("targets.path.target_mean", lang, value=f"{targets.pm25:g}"), "%{y:.1f}"),
        (1, 2, path["pm10"], targets.pm10, t("targets.path.target_mean", lang, value=f"{targets.pm10:g}"), "%{y:.1f}"),
        (2, 1, path["good_share"] * 100, targets.good_day_share * 100,
         t("targets.path.target_share", lang, value=f"{targets.good_day_share * 100:g}"), "%{y:.1f}%"),
        (2, 2, path["heavy_days"], targets.heavy_days,
         t("targets.path.target_heavy", lang, value=targets.heavy_days), "%{y:d}"),
    )
    # One update each for the traces, the target lines and the axes: plotly re-validates the
    # figure on every add_hline / update_yaxes (the panel is drawn on every /air and briefing view).
    traces, rows, cols, shapes, labels, axes = [], [], [], [], [], {}
    for row, col, y, target, label, fmt in panels:
        shape_of_line = "hv" if (row, col) == (2, 2) else "linear"
        traces.append(go.Scatter(x=x, y=y, mode="lines", showlegend=False,
                                 line={"color": "#1c7ed6", "width": 2, "shape": shape_of_line},
                                 hovertemplate=f"%{{x|{DATE_FORMAT[lang]}}}<br>{fmt}<extra></extra>"))
        rows.append(row)
        cols.append(col)
        axis = "" if (row, col) == (1, 1) else str(2 * (row - 1) + col)
        shape, annotation = _target(float(target), label, axis)
        shapes.append(shape)
        labels.append(annotation)
        top = max(float(np.nanmax(y.to_numpy(dtype=float))) if y.notna().any() else 0.0, float(target))
        axes[f"yaxis{axis}"] = {"range": [0, 105] if (row, col) == (2, 1) else [0, max(top * 1.2, 1)],
                                "gridcolor": GRID}
        axes[f"xaxis{axis}"] = {"tickformat": DATE_FORMAT[lang], "gridcolor": GRID}
    fig.add_traces(traces, rows=rows, cols=cols)
    fig.update_layout(axes)
    fig.layout.shapes = tuple(go.layout.Shape(s) for s in shapes)
    fig.layout.annotations = fig.layout.annotations + tuple(go.layout.Annotation(a) for a in labels)
    note = t("targets.path.note", lang, standard=" / ".join(standards or ("HJ 633-2012",)))
    return _title(fig, t("targets.path.title", lang, year=year), note, lang, height=520)


def _month_names(months: pd.Series, lang: str) -> list[str]:
    return [f"{m}月" if lang == "zh" else pd.Timestamp(2000, m, 1).strftime("%b") for m in months]


def month_budget(months: pd.DataFrame, year: int, lang: str) -> go.Figure:
    """Per month: good, polluted and missing days of the finished days, the days to come, the
    month's good-day share above its bar and, for months to come, their pace of the budget."""
    x = _month_names(months["month"], lang)
    fig = go.Figure()
    parts = (("good", AQI_COLOURS[1]), ("polluted", AQI_COLOURS[3]), ("missing", MISSING), ("to_come", TO_COME))
    for key, colour in parts:
        fig.add_bar(x=x, y=months[key], name=t(f"targets.month.{key}", lang), marker={"color": colour,
                    "line": {"color": "#adb5bd", "width": 0.5}},
                    hovertemplate=f"%{{x}} {t(f'targets.month.{key}', lang)}: %{{y}}<extra></extra>")
    labels = []
    for row in months.itertuples():
        if row.valid:
            labels.append(f"{row.good_share * 100:.0f}%")
        elif pd.notna(row.pace):
            labels.append("")
        else:
            labels.append("—" if row.elapsed else "")
    fig.add_scatter(x=x, y=months["days"] + 1.5, mode="text", text=labels, showlegend=False, hoverinfo="skip",
                    textfont={"size": 11, "color": "#495057"})
    pace = [t("targets.month.pace_label", lang, n=int(p)) if pd.notna(p) else "" for p in months["pace"]]
    fig.add_scatter(x=x, y=months["elapsed"] + months["to_come"] / 2, mode="text", text=pace, showlegend=False,
                    hoverinfo="skip", textfont={"size": 11, "color": "#c92a2a"})
    fig.update_yaxes(title=t("targets.month.axis", lang), range=[0, 35], gridcolor=GRID)
    return _title(fig, t("targets.month.title", lang, year=year), t("targets.month.note", lang), lang,
                  height=380, barmode="stack",
                  legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0})
