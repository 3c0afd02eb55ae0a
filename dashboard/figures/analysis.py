"""Figures of 综合研判 (/analysis): pure functions of ``analytics.analysis``'s records.

* ``combined``: daily air (bars in their AQI category colour) and the compliance rate on one
  time axis, the meetings in a lane of their own (click one to open it), the open
  rectifications below, the alert periods as bands across all of it.
* ``paired_calendar``: a month of daily AQI categories over the same month's failed checklist
  items, cell for cell.
* ``quadrant``: townships by compliance (x) and PM10 (y) in a meeting period, each with an arrow
  from where it stood in the period before, split at the district's values.

The briefing page reuses ``combined`` and ``quadrant``. Colours, fonts, alert and meeting marks
are the shared ones (``figures.theme``, ``figures.air``, ``figures.compliance``).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.analytics.analysis import MEASURES, Quadrant, Timeline
from dashboard.domain.evaluation import LIMITS_24H
from dashboard.figures import air as air_figs
from dashboard.figures.compliance import (
    DISTRICT_COLOUR,
    GRID,
    MEETING_COLOUR,
    add_alert_bands,
    add_meeting_lines,
    empty_figure,
    titled,
)
from dashboard.figures.theme import AQI_COLOURS, DATE_FORMAT, add_layout_items, base_layout
from dashboard.i18n import t

NO_DATA_COLOUR = air_figs.NO_DATA_COLOUR
RATE_COLOUR = "#1c7ed6"
BACKLOG_COLOUR = "#e8590c"
PERIOD_FILL = "rgba(28,126,214,0.12)"
#: Failed items as a share of applicable checks, the calendar's buckets (upper bounds).
FAILURE_BUCKETS = (0.0, 0.05, 0.10, 0.20, 1.0)
FAILURE_COLOURS = ("#f1f3f5", "#d3f9d8", "#fff3bf", "#ffc078", "#fd7e14", "#c92a2a")
QUADRANT_COLOURS = {"good": "#2f9e44", "bad": "#e03131", "mixed": "#f08c00", "none": "#868e96"}
HALF_DAY = pd.Timedelta(hours=12)


def measure_label(measure: str, lang: str) -> str:
    return t(f"analysis.measure.{measure}", lang)


def measure_unit(measure: str) -> str:
    return "" if measure == "aqi" else "µg/m³"


def _axis_title(text: str, unit: str, lang: str) -> str:
    if not unit:
        return text
    return f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"


def _noon(dates: pd.Series) -> pd.Series:
    # A day's bar covers the day itself, so a meeting or an alert at 09:00 falls inside it.
    return pd.to_datetime(dates) + HALF_DAY


def _day(value, lang: str) -> str:
    value = pd.Timestamp(value)
    return f"{value.month}月{value.day}日" if lang == "zh" else f"{value:%d %b}"


# --------------------------------------------------------------------------- combined time view
def combined(tl: Timeline, lang: str, tz, place: str, period: tuple[dt.date, dt.date] | None = None,
             height: int = 620) -> go.Figure:
    """Daily ``tl.measure`` as bars coloured by AQI category with the compliance rate (weekly
    points, 7-day rolling line) on a second y axis; below, a lane of meeting markers (customdata:
    ["meeting", its number]) and the open rectifications per day; alert periods as bands by level
    across all of it; ``period`` (the days under review) lightly shaded in the meeting lane."""
    has_air = tl.air["value"].notna().any() if not tl.air.empty else False
    has_checks = int(tl.checks["applicable"].sum()) > 0 if not tl.checks.empty else False
    has_backlog = int(tl.backlog["open"].sum()) > 0 if not tl.backlog.empty else False
    if not (has_air or has_checks or has_backlog):
        return empty_figure(t("analysis.empty.timeline", lang), lang, 300)
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, row_heights=[0.66, 0.09, 0.25], vertical_spacing=0.035,
                        specs=[[{"secondary_y": True}], [{}], [{}]])
    x0, x1 = pd.Timestamp(tl.first), pd.Timestamp(tl.last) + pd.Timedelta(days=1)
    unit = measure_unit(tl.measure)
    label = measure_label(tl.measure, lang)

    # Row 1: the air, a bar per day in its category's colour.
    if has_air:
        air = tl.air
        colours = [AQI_COLOURS[int(c)] if pd.notna(c) else NO_DATA_COLOUR for c in air["category"]]
        custom = np.column_stack([
            [_day(d, lang) for d in air["date"]],
            [air_figs.category_name(c if pd.notna(c) else None, lang) for c in air["category"]],
            ["—" if pd.isna(a) else f"{a:.0f}" for a in air["aqi"]],
        ])
        value_line = "" if tl.measure == "aqi" else f"{label} %{{y:.0f}} {unit}<br>"
        fig.add_bar(x=_noon(air["date"]), y=air["value"], name=label, marker={"color": colours,
                    "line": {"color": "rgba(73,80,87,0.35)", "width": 0.5}}, customdata=custom,
                    hovertemplate=f"<b>%{{customdata[0]}}</b><br>{value_line}AQI %{{customdata[2]}} · "
                                  "%{customdata[1]}<extra></extra>",
                    row=1, col=1, secondary_y=False)
        column = MEASURES[tl.measure][0]
        if column in LIMITS_24H:
            fig.add_shape(type="line", x0=x0, x1=x1, y0=LIMITS_24H[column], y1=LIMITS_24H[column], xref="x",
                          yref="y", line={"color": "#c92a2a", "width": 1.2, "dash": "dash"}, name="limit")
            fig.add_annotation(x=x0, y=LIMITS_24H[column], xref="x", yref="y", xanchor="left", yanchor="bottom",
                               showarrow=False, text=t("analysis.limit", lang, value=LIMITS_24H[column]),
                               font={"size": 10, "color": "#c92a2a"}, bgcolor="rgba(255,255,255,0.7)")
    else:
        fig.add_annotation(x=0.5, y=0.8, xref="paper", yref="paper", showarrow=False,
                           text=t("analysis.empty.air", lang), font={"size": 13, "color": "#868e96"})

    # Row 1, right axis: compliance.
    weekly = tl.weekly[tl.weekly["applicable"] > 0] if not tl.weekly.empty else tl.weekly
    rolling = tl.rolling[tl.rolling["applicable"] > 0] if not tl.rolling.empty else tl.rolling
    if not rolling.empty:
        fig.add_scatter(x=_noon(rolling["date"]), y=rolling["rate"] * 100, mode="lines", name=t(
                        "analysis.rolling", lang), line={"color": RATE_COLOUR, "width": 2},
                        customdata=np.column_stack([[_day(d, lang) for d in rolling["date"]], rolling["passed"],
                                                    rolling["applicable"]]),
                        hovertemplate="%{customdata[0]} " + t("analysis.hover.rolling", lang) + "<extra></extra>",
                        row=1, col=1, secondary_y=True)
    if not weekly.empty:
        week_end = weekly["week"] + pd.Timedelta(days=6)
        fig.add_scatter(x=weekly["week"] + pd.Timedelta(days=3, hours=12), y=weekly["rate"] * 100,
                        mode="markers", name=t("analysis.weekly", lang),
                        marker={"color": "#ffffff", "size": 9, "line": {"color": RATE_COLOUR, "width": 2},
                                "symbol": ["circle-open" if p else "circle" for p in weekly["partial"]]},
                        customdata=np.column_stack([[_day(w, lang) for w in weekly["week"]],
                                                    [_day(w, lang) for w in week_end],
                                                    weekly["passed"], weekly["applicable"]]),
                        hovertemplate="%{customdata[0]}–%{customdata[1]}<br>" + t("analysis.hover.weekly", lang)
                                      + "<extra></extra>",
                        row=1, col=1, secondary_y=True)
    rates = pd.concat([weekly["rate"], rolling["rate"]]).dropna() if has_checks else pd.Series(dtype=float)
    low = float(rates.min()) * 100 if not rates.empty else 0.0
    y2_min = max(0.0, math.floor((low - 5) / 10) * 10)

    # Row 2: the meetings, with the period under review behind them.
    if period is not None and period[1] >= period[0]:
        fig.add_shape(type="rect", x0=max(pd.Timestamp(period[0]), x0),
                      x1=min(pd.Timestamp(period[1]) + pd.Timedelta(days=1), x1), y0=0, y1=1, xref="x",
                      yref="y3 domain", fillcolor=PERIOD_FILL, line_width=0, layer="below", name="period")
    add_meeting_lines(fig, tl.meetings, x0, x1, tz, lang, labels=False)
    shown = tl.meetings[[x0 <= _local(h, tz) <= x1 for h in tl.meetings["held_at"]]] if not tl.meetings.empty \
        else tl.meetings
    if not shown.empty:
        fig.add_scatter(
            x=[_local(h, tz) for h in shown["held_at"]], y=[0] * len(shown), mode="markers+text",
            name=t("analysis.meetings", lang), text=[str(int(n)) for n in shown["number"]],
            textposition=_alternating([_local(h, tz) for h in shown["held_at"]], x1 - x0),
            textfont={"size": 10, "color": MEETING_COLOUR},
            marker={"symbol": "diamond", "size": 13, "color": MEETING_COLOUR, "line": {"color": "#ffffff", "width": 1}},
            customdata=[["meeting", int(n)] for n in shown["number"]],
            hovertext=[t("analysis.hover.meeting", lang, n=int(n), date=_day(d, lang))
                       for n, d in zip(shown["number"], shown["date"], strict=True)],
            hovertemplate="%{hovertext}<extra></extra>", row=2, col=1,
        )

    # Row 3: the rectification backlog.
    if not tl.backlog.empty:
        fig.add_scatter(x=_noon(tl.backlog["date"]), y=tl.backlog["open"], mode="lines", name=t("analysis.backlog",
                        lang), line={"color": BACKLOG_COLOUR, "width": 2, "shape": "hv"}, fill="tozeroy",
                        fillcolor="rgba(232,89,12,0.12)",
                        customdata=[_day(d, lang) for d in tl.backlog["date"]],
                        hovertemplate="%{customdata} " + t("analysis.hover.backlog", lang) + "<extra></extra>",
                        row=3, col=1)
    add_alert_bands(fig, tl.alerts, x0, x1, tz, lang, opacity=0.2)

    fig.update_xaxes(type="date", range=[x0, x1], gridcolor=GRID, tickformat=DATE_FORMAT[lang])
    fig.update_xaxes(showticklabels=False, row=1, col=1)
    fig.update_xaxes(showticklabels=False, row=2, col=1)
    fig.update_yaxes(title=_axis_title(label, unit, lang), gridcolor=GRID, rangemode="tozero", row=1, col=1,
                     secondary_y=False)
    fig.update_yaxes(title=t("analysis.rate_axis", lang), ticksuffix="%", range=[y2_min, 101], showgrid=False,
                     dtick=5 if y2_min >= 70 else 10, tickformat=".0f",
                     row=1, col=1, secondary_y=True, color=RATE_COLOUR)
    fig.update_yaxes(visible=False, range=[-1.6, 1.6], fixedrange=True, row=2, col=1)
    fig.update_yaxes(title=t("analysis.backlog_axis", lang), gridcolor=GRID, rangemode="tozero", row=3, col=1,
                     color=BACKLOG_COLOUR)
    # Short enough for a phone's width: the page explains the marks in text that wraps.
    subtitle = t("analysis.combined.subtitle", lang, standard=" / ".join(tl.standards or ["HJ 633-2012"]))
    return titled(
        fig, t("analysis.combined.title", lang, place=place), subtitle, lang, height=height,
        legend={"orientation": "h", "yanchor": "top", "y": -0.06, "xanchor": "left", "x": 0},
        hovermode="closest", bargap=0.15, margin={"l": 10, "r": 10, "t": 84, "b": 10}, clickmode="event",
    )


def _alternating(times: list[pd.Timestamp], span: pd.Timedelta) -> list[str]:
    """Meeting numbers above their marker, or below when the one before is too close to share
    the line (on a phone a week is a few pixels)."""
    out, previous_above = [], None
    for x in times:
        crowded = previous_above is not None and (x - previous_above) < span * 0.06
        out.append("bottom center" if crowded else "top center")
        previous_above = previous_above if crowded else x
    return out


def _local(ts, tz) -> pd.Timestamp:
    return pd.Timestamp(ts).tz_convert(tz).tz_localize(None)


# --------------------------------------------------------------------------- paired calendars
FAILURE_SCALE = air_figs.discrete_scale(list(FAILURE_COLOURS))
FAILURE_RANGE = (-0.5, len(FAILURE_COLOURS) - 0.5)


def failure_level(failed: int, applicable: int) -> int:
    """The calendar's colour step for a day: 0 no applicable check, 1 nothing failed, then one
    step per ``FAILURE_BUCKETS`` share of failed items."""
    if applicable <= 0:
        return 0
    share = failed / applicable
    if failed == 0:
        return 1
    for n, upper in enumerate(FAILURE_BUCKETS[1:], start=2):
        if share <= upper:
            return n
    return len(FAILURE_COLOURS) - 1


def _failure_cells(checks: pd.DataFrame, month: dt.date, lang: str, until: dt.date) -> dict:
    by_day = checks.assign(day=pd.to_datetime(checks["date"]).dt.date).set_index("day")
    cells = {}
    for day in air_figs.month_days(month, until):
        rec = by_day.loc[day] if day in by_day.index else None
        title = air_figs.day_text(day, lang)
        if rec is None or int(rec["applicable"]) == 0:
            cells[day] = (0, "", f"{title}<br>{t('analysis.calendar.no_checks', lang)}", None)
            continue
        level = failure_level(int(rec["failed"]), int(rec["applicable"]))
        cells[day] = (level, str(int(rec["failed"])),
                      f"{title}<br>" + t("analysis.calendar.hover", lang, failed=int(rec["failed"]),
                                         applicable=int(rec["applicable"]), inspections=int(rec["inspections"])),
                      FAILURE_COLOURS[level])
    return cells


def calendar_months(tl: Timeline) -> list[dt.date]:
    """The first days of the months ``tl`` covers, newest first (the page shows them so)."""
    return air_figs.month_starts(tl.first, tl.last)[::-1]


def paired_calendar(tl: Timeline, month: dt.date, lang: str) -> go.Figure:
    """One month: the daily AQI category grid directly over the grid of failed checklist items
    (cell text: failed items; colour: their share of applicable checks), day for day."""
    until = tl.last
    shown = air_figs.month_days(month, until)
    weeks = math.ceil((month.weekday() + len(shown)) / 7) if shown else 1
    # Only the weeks the month shows: a cut month is not padded to six empty rows.
    grid, gap, top = 34 + 44 * weeks, 44, 64
    height = top + 2 * grid + gap + 6
    fig = make_subplots(rows=2, cols=1, vertical_spacing=gap / (height - top - 6),
                        subplot_titles=[t("analysis.calendar.aqi", lang), t("analysis.calendar.failed", lang)])
    by_day = tl.aqi.assign(day=pd.to_datetime(tl.aqi["date"]).dt.date).set_index("day") if not tl.aqi.empty \
        else pd.DataFrame(columns=["aqi", "category", "primary_pollutants"])
    air_figs.month_grid(fig, month, air_figs.aqi_cells(by_day, month, lang, until), air_figs.AQI_SCALE,
                        air_figs.AQI_RANGE, lang, row=1, col=1)
    air_figs.month_grid(fig, month, _failure_cells(tl.checks, month, lang, until), FAILURE_SCALE, FAILURE_RANGE,
                        lang, row=2, col=1)
    fig.update_yaxes(range=[weeks - 0.5, -0.5], autorange=False)
    for ann in fig.layout.annotations:  # row titles above their weekday header
        ann.update(yshift=20, font={"size": 12, "color": "#495057"})
    title = t("air.calendar.month", lang, year=month.year, month=month.month) if lang == "zh" else f"{month:%B %Y}"
    fig.update_layout(
        base_layout(lang, height=height, margin={"l": 6, "r": 6, "t": top, "b": 6}, showlegend=False,
                             plot_bgcolor="rgba(0,0,0,0)"),
        title={"text": title, "x": 0.02, "xanchor": "left", "y": 0.99, "yanchor": "top", "font": {"size": 15}},
    )
    return fig


# --------------------------------------------------------------------------- township quadrant
def _quadrant_of(rate: float, pm10: float, rate_line: float, pm10_line: float | None) -> str:
    if pd.isna(rate_line) or pm10_line is None:
        return "none"
    good_rate, good_air = rate >= rate_line, pm10 <= pm10_line
    return "good" if good_rate and good_air else ("bad" if not good_rate and not good_air else "mixed")


#: The plot area the quadrant's labels are placed for (a desktop card); a phone zooms.
LABEL_AREA = (820.0, 380.0)
_POSITIONS = ("top center", "bottom center", "middle right", "middle left", "top right", "top left",
              "bottom right", "bottom left")


def _label_box(px: float, py: float, width: float, position: str, size: float = 11) -> tuple[float, ...]:
    vertical, horizontal = position.split()
    half, gap = size * 0.7, 7.0
    cy = {"top": py + gap + half, "bottom": py - gap - half, "middle": py}[vertical]
    if horizontal == "center":
        x0 = px - width / 2
    elif horizontal == "right":
        x0 = px + (gap if vertical == "middle" else 0)
    else:
        x0 = px - width - (gap if vertical == "middle" else 0)
    return x0, cy - half, x0 + width, cy + half


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def label_positions(x: np.ndarray, y: np.ndarray, labels: list[str], x_range: list[float],
                    y_range: list[float], size: float = 11) -> list[str]:
    """A text position per point so that labels overlap each other and the markers as little
    as the (estimated) label sizes allow on a ``LABEL_AREA`` plot."""
    sx = LABEL_AREA[0] / max(x_range[1] - x_range[0], 1e-9)
    sy = LABEL_AREA[1] / max(y_range[1] - y_range[0], 1e-9)
    px, py = (x - x_range[0]) * sx, (y - y_range[0]) * sy
    # CJK characters are about as wide as the font is high; Latin ones about half.
    widths = [sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in str(text)) for text in labels]
    markers = [(px[i] - 6, py[i] - 6, px[i] + 6, py[i] + 6) for i in range(len(x))]
    placed: list[tuple[float, ...]] = []
    out = ["top center"] * len(x)
    for i in np.lexsort((px, -py)):
        best, best_cost = _POSITIONS[0], float("inf")
        for position in _POSITIONS:
            box = _label_box(px[i], py[i], widths[i], position, size)
            cost = sum(_overlap(box, other) for other in placed) + sum(
                _overlap(box, m) for j, m in enumerate(markers) if j != i)
            cost += 0.0 if 0 <= box[0] and box[2] <= LABEL_AREA[0] else 50.0
            if cost < best_cost - 1e-9:
                best, best_cost = position, cost
            if cost == 0:
                break
        out[i] = best
        placed.append(_label_box(px[i], py[i], widths[i], best, size))
    return out


def quadrant(q: Quadrant, lang: str, highlight: int | None = None, height: int = 520) -> go.Figure:
    """Townships by compliance rate (x, %) and mean PM10 (y) in ``q.period``, an arrow from each
    one's place in the period before, quadrant lines at the district's values; ``highlight``
    (a township id) drawn larger. Points carry their township id in customdata."""
    points = q.points
    if points.empty:
        return empty_figure(t("analysis.empty.quadrant", lang), lang, 300)
    names = points["name"] if lang == "zh" else points["name_en"]
    x = points["rate"].to_numpy(dtype=float) * 100
    y = points["pm10"].to_numpy(dtype=float)
    kinds = [_quadrant_of(r, p, q.district_rate * 100 if pd.notna(q.district_rate) else float("nan"),
                          q.district_pm10) for r, p in zip(x, y, strict=True)]
    fig = go.Figure()
    xs_before = points["rate_before"].to_numpy(dtype=float) * 100
    ys_before = points["pm10_before"].to_numpy(dtype=float)
    shapes: list[dict] = []
    annotations: list[dict] = []
    for i in range(len(points)):
        if np.isnan(xs_before[i]) or np.isnan(ys_before[i]):
            continue
        if abs(xs_before[i] - x[i]) < 1e-9 and abs(ys_before[i] - y[i]) < 1e-9:
            continue
        annotations.append(dict(x=x[i], y=y[i], ax=xs_before[i], ay=ys_before[i], xref="x", yref="y", axref="x",
                                ayref="y", showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1.3,
                                arrowcolor="rgba(73,80,87,0.4)", standoff=6, text="", name="arrow"))
    all_x = np.concatenate([x, xs_before[~np.isnan(xs_before)]])
    all_y = np.concatenate([y, ys_before[~np.isnan(ys_before)]])
    if pd.notna(q.district_rate):
        all_x = np.append(all_x, q.district_rate * 100)
    if q.district_pm10 is not None:
        all_y = np.append(all_y, q.district_pm10)
    pad_x = max(2.0, float(np.ptp(all_x)) * 0.12)
    pad_y = max(5.0, float(np.ptp(all_y)) * 0.15)
    x_range = [max(0.0, float(all_x.min()) - pad_x), min(100.0 + pad_x / 2, float(all_x.max()) + pad_x)]
    y_range = [max(0.0, float(all_y.min()) - pad_y), float(all_y.max()) + pad_y]
    highlight_mask = points["township_id"].to_numpy() == highlight if highlight is not None \
        else np.zeros(len(points), dtype=bool)
    fig.add_scatter(
        x=x, y=y, mode="markers+text", text=list(names),
        textposition=label_positions(x, y, list(names), x_range, y_range),
        textfont={"size": [13 if h else 11 for h in highlight_mask],
                  "color": ["#1a1b1e" if h else "#495057" for h in highlight_mask]},
        marker={"size": [16 if h else 11 for h in highlight_mask], "color": [QUADRANT_COLOURS[k] for k in kinds],
                "line": {"color": ["#1a1b1e" if h else "#ffffff" for h in highlight_mask], "width": 2}},
        customdata=np.column_stack([points["township_id"], points["applicable"],
                                    ["—" if np.isnan(v) else f"{v:.1f}" for v in xs_before],
                                    ["—" if np.isnan(v) else f"{v:.0f}" for v in ys_before]]),
        hovertext=list(names),
        hovertemplate="<b>%{hovertext}</b><br>" + t("analysis.hover.quadrant", lang) + "<extra></extra>",
        showlegend=False, cliponaxis=False,
    )
    if pd.notna(q.district_rate):
        rate = q.district_rate * 100
        shapes.append(dict(type="line", x0=rate, x1=rate, y0=0, y1=1, xref="x", yref="paper",
                           line={"color": DISTRICT_COLOUR, "width": 1.3, "dash": "dash"}, name="district-rate"))
    if q.district_pm10 is not None:
        shapes.append(dict(type="line", x0=0, x1=1, y0=q.district_pm10, y1=q.district_pm10, xref="paper", yref="y",
                           line={"color": DISTRICT_COLOUR, "width": 1.3, "dash": "dash"}, name="district-pm10"))
    for key, xa, ya, xanchor, yanchor in (("bad", 0.01, 0.99, "left", "top"), ("good", 0.99, 0.01, "right", "bottom")):
        annotations.append(dict(x=xa, y=ya, xref="paper", yref="paper", xanchor=xanchor, yanchor=yanchor,
                                showarrow=False, text=t(f"analysis.quadrant.corner.{key}", lang),
                                font={"size": 11, "color": QUADRANT_COLOURS[key]}, bgcolor="rgba(255,255,255,0.75)"))
    add_layout_items(fig, shapes, annotations)
    p = q.period
    # The district's values go in the subtitle: beside their lines they would sit among the labels.
    subtitle = t("analysis.quadrant.subtitle", lang, first=_day(p.first, lang), last=_day(p.last, lang),
                 rate="—" if pd.isna(q.district_rate) else f"{q.district_rate * 100:.1f}",
                 pm10="—" if q.district_pm10 is None else f"{q.district_pm10:.0f}")
    return titled(
        fig, t("analysis.quadrant.title", lang), subtitle, lang, height=height,
        xaxis={"title": t("analysis.quadrant.x", lang), "ticksuffix": "%", "range": x_range, "gridcolor": GRID,
               "zeroline": False},
        yaxis={"title": _axis_title(t("analysis.quadrant.y", lang), "µg/m³", lang), "range": y_range,
               "gridcolor": GRID, "zeroline": False},
        hovermode="closest", margin={"l": 10, "r": 16, "t": 90, "b": 10},
    )
