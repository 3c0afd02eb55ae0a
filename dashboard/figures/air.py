"""Figures of the air-quality pages: pure functions from the frames of ``analytics.air``.

Every figure names the standard that produced its numbers (the ``standard`` column of the AQI
output, HJ 663-2013 / GB 3095-2012 for statistics and limits) in its subtitle. Hover texts give
units (µg/m³, CO mg/m³); date axes have explicit formats (``theme.DATE_FORMAT``); nothing is
fetched from the internet (maps are drawn without tiles unless a tile URL is configured).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.analytics.air import DISTRICT, GASES, REFERENCE_STATE_CHANGE, TIMEZONE, Measure, category_bands
from dashboard.domain.aqi import CATEGORIES, SWITCH_DATE
from dashboard.domain.evaluation import INDEX_STANDARDS
from dashboard.figures.theme import (
    AQI_COLOURS,
    DATE_FORMAT,
    FONT_FAMILY,
    add_layout_items,
    base_layout,
    text_colour_on,
)
from dashboard.i18n import t

HOUR_FORMAT = {"zh": "%m月%d日 %H时", "en": "%d %b %H:00"}
DAY_FORMAT = {"zh": "%Y年%m月%d日", "en": "%d %b %Y"}
MONTH_FORMAT = {"zh": "%Y年%m月", "en": "%b %Y"}
ALERT_COLOURS = {"blue": "#4dabf7", "yellow": "#fcc419", "orange": "#ff922b", "red": "#fa5252"}
DISTRICT_COLOUR = "#0b7285"
PALETTE = ("#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#5c940d", "#d6336c", "#495057",
           "#3bc9db", "#845ef7", "#a61e4d", "#74b816")
NO_DATA_COLOUR = "#f1f3f5"
GRID = "#e9ecef"
# Sub-index columns of the comprehensive index, in stacking order, and their labels.
INDEX_PARTS = ("PM2.5", "PM10", "O3_8h_p90", "NO2", "SO2", "CO_p95")
INDEX_COLOURS = {"PM2.5": "#c92a2a", "PM10": "#e67700", "O3_8h_p90": "#1971c2", "NO2": "#6741d9",
                 "SO2": "#2b8a3e", "CO_p95": "#868e96"}


# --------------------------------------------------------------------------- labels
def unit(choice: str) -> str:
    if choice == "AQI":
        return ""
    return "mg/m³" if choice == "CO" else "µg/m³"


def category_name(level, lang: str) -> str:
    if level is None or (isinstance(level, float) and math.isnan(level)):
        return t("air.no_data", lang)
    return CATEGORIES[int(level) - 1]["zh" if lang == "zh" else "en"]


def measure_label(m: Measure, lang: str) -> str:
    """e.g. "PM2.5 日均值", "O3 日最大8小时平均", "AQI（小时）"."""
    return t(f"air.measure.{m.resolution}.{m.choice}", lang)


def axis_title(m: Measure, lang: str) -> str:
    u = unit(m.choice)
    return f"{measure_label(m, lang)}（{u}）" if u and lang == "zh" else (
        f"{measure_label(m, lang)} ({u})" if u else measure_label(m, lang))


def standard_note(standards: list[str], lang: str, limits: bool = False) -> str:
    """"AQI 按 HJ 633-2012 计算" (+ limits note), for subtitles."""
    text = t("air.note.aqi", lang, standard=" / ".join(standards) if standards else "HJ 633-2012")
    if limits:
        text += t("air.note.sep", lang) + t("air.note.limits", lang)
    return text


def series_colour(key: str, order: list[str]) -> str:
    if key == DISTRICT:
        return DISTRICT_COLOUR
    stations = [k for k in order if k != DISTRICT]
    return PALETTE[stations.index(key) % len(PALETTE)] if key in stations else PALETTE[0]


def _fmt(value: float, choice: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.1f}" if choice == "CO" else f"{value:.0f}"


def _titled(fig: go.Figure, title: str, subtitle: str, lang: str, **layout) -> go.Figure:
    margin = layout.pop("margin", {"l": 10, "r": 10, "t": 78, "b": 10})
    fig.update_layout(
        base_layout(lang, margin=margin, **layout),
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top",
               "font": {"size": 16}, "subtitle": {"text": subtitle, "font": {"size": 12, "color": "#495057"}}},
    )
    return fig


def empty_figure(message: str, lang: str) -> go.Figure:
    """A blank figure that says why it is blank (never an empty broken chart)."""
    fig = go.Figure()
    fig.update_layout(
        base_layout(lang, height=260, xaxis={"visible": False}, yaxis={"visible": False}),
        annotations=[{"text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper",
                      "yref": "paper", "font": {"size": 15, "color": "#868e96"}}],
    )
    return fig


def _local(ts) -> pd.Timestamp:
    """An aware instant -> naive Beijing wall time for the date axes."""
    return pd.Timestamp(ts).tz_convert(TIMEZONE).tz_localize(None)


def _vline(x: pd.Timestamp, label: str, colour: str) -> tuple[dict, dict]:
    """A dotted vertical line across the plot at ``x`` with its label (shape, annotation)."""
    # add_vline's annotation breaks on date axes; a shape and an annotation do the same safely.
    return ({"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
             "line": {"color": colour, "width": 1.5, "dash": "dot"}},
            {"x": x, "y": 1, "xref": "x", "yref": "paper", "text": label, "showarrow": False, "xanchor": "left",
             "yanchor": "top", "font": {"size": 11, "color": colour}, "bgcolor": "rgba(255,255,255,0.8)"})


# --------------------------------------------------------------------------- (1) time series
def time_series(
    frame: pd.DataFrame,
    m: Measure,
    names: dict[str, str],
    lang: str,
    alerts: pd.DataFrame | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> go.Figure:
    """Station / district series of one measure with AQI category bands, the grade II limit,
    alert periods (vertical bands) and the 2018-09-01 reference-state change for gases.

    ``frame``: series, x, value, aqi, category, primary_pollutants, standard (analytics.series_frame).
    """
    if frame["value"].notna().sum() == 0:
        return empty_figure(t("air.empty.series", lang), lang)
    fig = go.Figure()
    order = list(dict.fromkeys(frame["series"]))
    u = unit(m.choice)
    x_format = HOUR_FORMAT[lang] if m.resolution == "hourly" else DAY_FORMAT[lang]
    for key in order:
        part = frame[frame["series"] == key]
        custom = np.column_stack([
            part["aqi"].map(lambda v: "—" if pd.isna(v) else f"{v:.0f}"),
            part["category"].map(lambda v: category_name(v, lang)),
            part["primary_pollutants"].map(lambda s: s or "—"),
            part["value"].map(lambda v: _fmt(v, m.choice)),
        ])
        value_line = (f"{measure_label(m, lang)}: %{{customdata[3]}} {u}<br>" if m.choice != "AQI" else "")
        hover = (
            f"<b>{names.get(key, key)}</b><br>%{{x|{x_format}}}<br>{value_line}"
            + t("air.hover.aqi", lang) + "<extra></extra>"
        )
        fig.add_scatter(
            x=part["x"], y=part["value"], customdata=custom, name=names.get(key, key),
            mode="lines" if m.resolution == "hourly" else "lines+markers",
            line={"color": series_colour(key, order), "width": 2.4 if key == DISTRICT else 1.6},
            marker={"size": 5}, hovertemplate=hover, connectgaps=False,
        )

    ymax = float(np.nanmax(frame["value"].to_numpy(dtype=float)))
    if m.limit is not None:
        ymax = max(ymax, m.limit)
    ymax *= 1.1
    standards = [s for s in dict.fromkeys(frame["standard"]) if isinstance(s, str) and s]
    band_standard = standards[-1] if standards else "HJ 633-2012"
    # The items plotly's add_hrect / add_hline / add_vrect would add, in the same order.
    shapes: list[dict] = []
    annotations: list[dict] = []
    for low, high, level in category_bands(m, band_standard):
        if low >= ymax:
            break
        top = ymax if high is None else min(high, ymax)
        shapes.append({"type": "rect", "x0": 0, "x1": 1, "xref": "x domain", "y0": low, "y1": top, "yref": "y",
                       "fillcolor": AQI_COLOURS[level], "opacity": 0.16, "line": {"width": 0}, "layer": "below"})
        if top - low > ymax * 0.06:
            annotations.append({"x": 1, "xref": "paper", "xanchor": "right", "y": (low + top) / 2, "yref": "y",
                                "text": category_name(level, lang), "showarrow": False,
                                "font": {"size": 10, "color": "#868e96"}})
    if m.limit is not None:
        label = t(f"air.limit.{m.limit_kind}", lang, value=_fmt(float(m.limit), m.choice), unit=u)
        shapes.append({"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": m.limit, "y1": m.limit,
                       "yref": "y", "line": {"color": "#c92a2a", "width": 1.5, "dash": "dash"}})
        annotations.append({"text": label, "font": {"size": 11, "color": "#c92a2a"},
                            "bgcolor": "rgba(255,255,255,0.85)", "showarrow": False, "x": 0, "xanchor": "left",
                            "xref": "x domain", "y": m.limit, "yanchor": "bottom", "yref": "y"})

    x_min, x_max = pd.Timestamp(frame["x"].min()), pd.Timestamp(frame["x"].max())
    # The axis spans the data (plotly's autorange), so its labels follow the data's span: a year
    # chosen with six weeks of readings would label every week "2025年01月".
    shown_days = (x_max - x_min).days
    if period is not None:
        x_min = pd.Timestamp(period[0])
        x_max = pd.Timestamp(period[1]) + (pd.Timedelta(days=1) if m.resolution == "hourly" else pd.Timedelta(0))
    if alerts is not None and not alerts.empty:
        for row in alerts.itertuples():
            start = max(_local(row.starts_at), x_min)
            end = _local(row.ends_at) if pd.notna(row.ends_at) else x_max
            end = min(end, x_max)
            if end <= start:
                continue
            shapes.append({"type": "rect", "x0": start, "x1": end, "xref": "x", "y0": 0, "y1": 1,
                           "yref": "y domain", "fillcolor": ALERT_COLOURS.get(row.level, "#adb5bd"),
                           "opacity": 0.22, "line": {"width": 0}, "layer": "below"})
            annotations.append({"x": start, "xref": "x", "y": 1, "yref": "paper", "yanchor": "bottom",
                                "xanchor": "left", "text": t(f"alert.level.{row.level}", lang), "showarrow": False,
                                "font": {"size": 11, "color": "#495057"}})
    lines = []
    change = _local(REFERENCE_STATE_CHANGE.tz_convert("UTC"))
    if m.choice in GASES and x_min < change <= x_max:
        lines.append(_vline(change, t("air.reference_change", lang), "#5f3dc4"))
    switch = _local(SWITCH_DATE.tz_convert("UTC"))
    if x_min < switch <= x_max:
        lines.append(_vline(switch, t("air.standard_switch", lang), "#364fc7"))
    for shape, annotation in lines:
        shapes.append(shape)
        annotations.append(annotation)
    add_layout_items(fig, shapes, annotations)

    tickformat = MONTH_FORMAT[lang] if shown_days > 200 else DATE_FORMAT[lang]
    xaxis = {"type": "date", "tickformat": tickformat, "gridcolor": GRID, "hoverformat": x_format}
    if m.resolution == "hourly":
        xaxis["dtick"] = 86400000 if (x_max - x_min).days <= 10 else 2 * 86400000
    note = standard_note(standards, lang, limits=m.choice != "AQI")
    res = t(f"air.resolution.{m.resolution}", lang)
    return _titled(
        fig, t("air.ts.title", lang, measure=measure_label(m, lang)), f"{res}{t('air.note.sep', lang)}{note}", lang,
        height=440,
        xaxis=xaxis,
        yaxis={"title": axis_title(m, lang), "range": [0, ymax], "gridcolor": GRID, "zeroline": False},
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.1, "xanchor": "left", "x": 0},
        margin={"l": 10, "r": 10, "t": 96, "b": 10},
    )


# --------------------------------------------------------------------------- (2) calendar
def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    months, d = [], first.replace(day=1)
    while d <= last:
        months.append(d)
        d = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def month_days(month: dt.date, until: dt.date | None = None) -> list[dt.date]:
    """The days of ``month`` (its first day), up to ``until`` when given."""
    n_days = _calendar.monthrange(month.year, month.month)[1]
    days = [month.replace(day=d) for d in range(1, n_days + 1)]
    return [d for d in days if until is None or d <= until]


def day_text(day: dt.date, lang: str) -> str:
    """"12月6日 星期六" / "Sat 06 Dec 2025": a calendar cell's hover title."""
    weekday = t(f"air.weekday.{day.weekday()}", lang)
    return f"{day.month}月{day.day}日 星期{weekday}" if lang == "zh" else f"{day:%a %d %b %Y}"


def month_grid(fig: go.Figure, month: dt.date, cells: dict, colourscale: list, zrange: tuple[float, float],
               lang: str, row: int = 1, col: int = 1) -> None:
    """One month as a grid of days (weekday columns Mon..Sun, a row per week) in subplot
    ``row``, ``col`` of ``fig``: the calendar cell every calendar of the dashboard shares.

    ``cells``: day -> (z on ``colourscale`` over ``zrange``, text in the cell, hover text, the
    cell's colour or None when it is blank). Days not in ``cells`` are left out.
    """
    offset = month.weekday()
    z = np.full((6, 7), np.nan)
    hover = np.full((6, 7), "", dtype=object)
    xs, ys, values, text_colours, day_x, day_y, day_labels, day_colours = [], [], [], [], [], [], [], []
    for day, (level, text, tip, colour) in sorted(cells.items()):
        week, wd = divmod(offset + day.day - 1, 7)
        z[week, wd] = level
        hover[week, wd] = tip
        if text:
            xs.append(wd)
            ys.append(week + 0.1)
            values.append(text)
            text_colours.append(text_colour_on(colour) if colour else "#495057")
        day_x.append(wd - 0.42)
        day_y.append(week - 0.3)
        day_labels.append(str(day.day))
        day_colours.append(text_colour_on(colour) if colour else "#495057")
    weekdays = [t(f"air.weekday.{i}", lang) for i in range(7)]
    fig.add_heatmap(
        z=z, x=list(range(7)), y=list(range(6)), zmin=zrange[0], zmax=zrange[1], colorscale=colourscale,
        showscale=False, xgap=3, ygap=3, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        row=row, col=col,
    )
    fig.add_scatter(x=xs, y=ys, mode="text", text=values, hoverinfo="skip", showlegend=False,
                    textfont={"color": text_colours, "size": 13, "family": FONT_FAMILY}, row=row, col=col)
    fig.add_scatter(x=day_x, y=day_y, mode="text", text=day_labels, textposition="middle right",
                    hoverinfo="skip", showlegend=False, textfont={"size": 9, "color": day_colours}, row=row, col=col)
    fig.update_xaxes(tickvals=list(range(7)), ticktext=weekdays, side="top", showgrid=False, zeroline=False,
                     range=[-0.5, 6.5], fixedrange=True, ticks="", row=row, col=col)
    fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, zeroline=False,
                     range=[5.5, -0.5], fixedrange=True, row=row, col=col)


def discrete_scale(colours: list[str]) -> list:
    scale = []
    for i, c in enumerate(colours):
        scale += [[i / len(colours), c], [(i + 1) / len(colours), c]]
    return scale


# Discrete colours: level 0 (no data) .. 6, each an equal slice of [-0.5, 6.5].
AQI_SCALE = discrete_scale([NO_DATA_COLOUR] + [AQI_COLOURS[i] for i in range(1, 7)])
AQI_RANGE = (-0.5, 6.5)


def aqi_cells(by_day: pd.DataFrame, month: dt.date, lang: str, until: dt.date | None = None) -> dict:
    """``month_grid`` cells of daily AQI categories; ``by_day``: aqi, category,
    primary_pollutants indexed by day."""
    cells = {}
    for day in month_days(month, until):
        rec = by_day.loc[day] if day in by_day.index else None
        level = int(rec["category"]) if rec is not None and pd.notna(rec["category"]) else 0
        date_text = day_text(day, lang)
        if level:
            prim = rec["primary_pollutants"] or "—"
            cells[day] = (level, f"{rec['aqi']:.0f}", f"{date_text}<br>AQI {rec['aqi']:.0f} · "
                          f"{category_name(level, lang)}<br>" + t("air.hover.primary", lang, pollutants=prim),
                          AQI_COLOURS[level])
        else:
            cells[day] = (0, "", f"{date_text}<br>{t('air.no_data', lang)}", None)
    return cells


def calendar(daily: pd.DataFrame, lang: str, series_name: str, first: dt.date, last: dt.date,
             standards: list[str] | None = None, until: dt.date | None = None, max_months: int = 12) -> go.Figure:
    """Calendar of daily AQI categories, one month grid per month (openair's calendarPlot).

    ``daily``: one series' date, aqi, category, primary_pollutants. Weekday columns Mon..Sun
    (一..日), a cell per day coloured by category with the AQI value; days without an AQI are grey,
    days after ``until`` (the last day with data) are left out. At most the last ``max_months``
    months are drawn (a long period would make a metre-high page).
    """
    months = month_starts(first, last)
    capped = len(months) > max_months
    months = months[-max_months:]
    if daily["aqi"].notna().sum() == 0:
        return empty_figure(t("air.empty.calendar", lang), lang)
    by_day = daily.assign(day=pd.to_datetime(daily["date"]).dt.date).set_index("day")
    cols = min(len(months), 3)
    rows = math.ceil(len(months) / cols)
    titles = [t("air.calendar.month", lang, year=m.year, month=m.month) if lang == "zh"
              else f"{m:%B %Y}" for m in months]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.04,
                        vertical_spacing=0.12 if rows > 1 else 0.0)
    for n, month in enumerate(months):
        month_grid(fig, month, aqi_cells(by_day, month, lang, until), AQI_SCALE, AQI_RANGE, lang,
                   row=n // cols + 1, col=n % cols + 1)
    for ann in fig.layout.annotations:  # month titles above the weekday header
        ann.update(yshift=22, font={"size": 14})
    # Category legend: coloured squares, one legend entry per category.
    for level in range(1, 7):
        fig.add_scatter(x=[None], y=[None], mode="markers", name=category_name(level, lang),
                        marker={"symbol": "square", "size": 14, "color": AQI_COLOURS[level],
                                "line": {"color": "#adb5bd", "width": 1}}, showlegend=True)
    note = t("air.calendar.note", lang, standard=" / ".join(standards or ["HJ 633-2012"]))
    if capped:
        note += t("air.note.sep", lang) + t("air.calendar.capped", lang, n=max_months)
    return _titled(
        fig, t("air.calendar.title", lang, series=series_name), note, lang,
        height=110 + rows * 300,
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0},
        margin={"l": 10, "r": 10, "t": 120, "b": 10},
        plot_bgcolor="rgba(0,0,0,0)",
    )


# --------------------------------------------------------------------------- (3) profiles
def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def profiles(frame: pd.DataFrame, choice: str, names: dict[str, str], lang: str,
             standards: list[str] | None = None) -> go.Figure:
    """Diurnal (hour of day) and weekday profiles: mean line with a 95 % confidence band."""
    if frame.empty:
        return empty_figure(t("air.empty.series", lang), lang)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.08,
                        subplot_titles=[t("air.profile.hour", lang), t("air.profile.weekday", lang)])
    order = list(dict.fromkeys(frame["series"]))
    u = unit(choice)
    label = t(f"air.measure.hourly.{choice}", lang)
    weekdays = [t(f"air.weekday.{i}", lang) for i in range(7)]
    for key in order:
        colour = series_colour(key, order)
        for col, kind in ((1, "hour"), (2, "weekday")):
            part = frame[(frame["series"] == key) & (frame["kind"] == kind)].sort_values("x")
            x = part["x"].tolist()
            xtext = ([f"{h:02d}:00–{h + 1:02d}:00" for h in x] if kind == "hour"
                     else [(f"星期{weekdays[d]}" if lang == "zh" else weekdays[d]) for d in x])
            fig.add_scatter(x=x + x[::-1], y=part["high"].tolist() + part["low"].tolist()[::-1], fill="toself",
                            mode="lines",
                            fillcolor=_rgba(colour, 0.16), line={"width": 0}, hoverinfo="skip",
                            showlegend=False, legendgroup=key, row=1, col=col)
            custom = np.column_stack([xtext, part["low"].map(lambda v: _fmt(v, choice)),
                                      part["high"].map(lambda v: _fmt(v, choice)), part["n"]])
            fig.add_scatter(
                x=x, y=part["mean"], mode="lines+markers", name=names.get(key, key), legendgroup=key,
                showlegend=col == 1, line={"color": colour, "width": 2}, marker={"size": 5}, customdata=custom,
                hovertemplate=(f"<b>{names.get(key, key)}</b><br>%{{customdata[0]}}<br>{label} "
                               + t("air.hover.mean", lang) + f" %{{y:.{1 if choice == 'CO' else 0}f}} {u}<br>"
                               + t("air.hover.ci", lang) + "<extra></extra>"),
                row=1, col=col,
            )
    fig.update_xaxes(tickvals=list(range(0, 24, 3)), ticktext=[f"{h}{'时' if lang == 'zh' else ':00'}"
                                                                for h in range(0, 24, 3)],
                     range=[-0.5, 23.5], gridcolor=GRID, row=1, col=1)
    fig.update_xaxes(tickvals=list(range(7)), ticktext=weekdays, range=[-0.5, 6.5], gridcolor=GRID, row=1, col=2)
    title = f"{label}（{u}）" if u and lang == "zh" else (f"{label} ({u})" if u else label)
    fig.update_yaxes(title=title, gridcolor=GRID, rangemode="tozero", row=1, col=1)
    fig.update_yaxes(gridcolor=GRID, rangemode="tozero", row=1, col=2)
    note = t("air.profile.note", lang) + t("air.note.sep", lang) + standard_note(standards or [], lang)
    return _titled(fig, t("air.profile.title", lang, measure=label), note, lang, height=420,
                   legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0},
                   margin={"l": 10, "r": 10, "t": 100, "b": 10})


# --------------------------------------------------------------------------- (4) comparison, map
#: Above this many daily values the comparison ships box statistics and outliers, not every day.
COMPARE_POINTS_MAX = 4000


def _box_statistics(values: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """What plotly computes for a box of ``values`` (quartilemethod "linear": position
    n·p − 0.5, numpy's "hazen"; fences the furthest values within 1.5 IQR; the mean), and the
    values outside the fences."""
    v = np.sort(values[~np.isnan(values)])
    q1, median, q3 = (float(np.percentile(v, p, method="hazen")) for p in (25, 50, 75))
    iqr = q3 - q1
    inside = v[(v >= q1 - 1.5 * iqr) & (v <= q3 + 1.5 * iqr)]
    stats = {"q1": q1, "median": median, "q3": q3, "lowerfence": float(inside.min()),
             "upperfence": float(inside.max()), "mean": float(v.mean())}
    return stats, v[(v < q1 - 1.5 * iqr) | (v > q3 + 1.5 * iqr)]


def station_comparison(frame: pd.DataFrame, m: Measure, lang: str, standards: list[str] | None = None,
                       district_codes: tuple[str, ...] = ()) -> go.Figure:
    """Horizontal box plots of daily values per station (highest median on top), 24h limit line."""
    if frame.empty:
        return empty_figure(t("air.empty.series", lang), lang)
    fig = go.Figure()
    u = unit(m.choice)
    label = measure_label(m, lang)
    codes = list(dict.fromkeys(frame["series"]))
    for code in reversed(codes):  # plotly draws the first category at the bottom
        part = frame[frame["series"] == code]
        name = part["name"].iloc[0]
        background = bool(part["is_background"].iloc[0])
        if background:
            name = t("air.background_suffix", lang, name=name)
        elif code in district_codes:
            name = t("air.district_suffix", lang, name=name)
        colour = "#adb5bd" if background else (DISTRICT_COLOUR if code in district_codes else "#4dabf7")
        day_format = "%m月%d日" if lang == "zh" else "%d %b"
        if len(frame) <= COMPARE_POINTS_MAX:
            fig.add_box(
                y=[name] * len(part), x=part["value"], name=name, orientation="h", boxmean=True,
                marker={"color": colour, "size": 4}, line={"color": colour}, fillcolor=_rgba(colour, 0.35),
                showlegend=False, boxpoints="outliers",
                customdata=part["date"].dt.strftime(day_format),
                hovertemplate=f"<b>{name}</b><br>%{{customdata}}: %{{x}} {u}<extra></extra>",
            )
            continue
        # Years of days: the box from its statistics (plotly's own rules) and the outliers as
        # points, so the response stays small whatever the period.
        stats, outliers = _box_statistics(part["value"].to_numpy(dtype=float))
        fig.add_box(
            y=[name], name=name, orientation="h", marker={"color": colour, "size": 4}, line={"color": colour},
            fillcolor=_rgba(colour, 0.35), showlegend=False, boxpoints=False,
            **{k: [v] for k, v in stats.items()},
            hovertemplate=f"<b>{name}</b><extra></extra>",
        )
        points = part[np.isin(part["value"].to_numpy(dtype=float), outliers)]
        if not points.empty:
            fig.add_scatter(
                y=[name] * len(points), x=points["value"], mode="markers", showlegend=False, name=name,
                marker={"color": colour, "size": 4}, customdata=points["date"].dt.strftime(day_format + " %Y"),
                hovertemplate=f"<b>{name}</b><br>%{{customdata}}: %{{x}} {u}<extra></extra>",
            )
    if m.limit is not None:
        fig.add_vline(x=m.limit, line={"color": "#c92a2a", "width": 1.5, "dash": "dash"},
                      annotation={"text": t(f"air.limit.{m.limit_kind}", lang, value=_fmt(float(m.limit), m.choice),
                                            unit=u), "font": {"size": 11, "color": "#c92a2a"},
                                  "bgcolor": "rgba(255,255,255,0.85)"},
                      annotation_position="top right")
    title = f"{label}（{u}）" if u and lang == "zh" else (f"{label} ({u})" if u else label)
    note = t("air.compare.note", lang) + t("air.note.sep", lang) + standard_note(
        standards or [], lang, limits=m.choice != "AQI")
    return _titled(fig, t("air.compare.title", lang, measure=label), note, lang,
                   height=max(420, 44 * len(codes) + 150),
                   xaxis={"title": title, "gridcolor": GRID, "rangemode": "tozero"},
                   yaxis={"automargin": True}, margin={"l": 10, "r": 20, "t": 96, "b": 10})


def _label_positions(lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """Put each label on the side away from its nearest neighbour, so clustered labels part."""
    positions = []
    scale = math.cos(math.radians(float(np.mean(lat)))) if len(lat) else 1.0
    for i in range(len(lon)):
        dx, dy = (lon - lon[i]) * scale, lat - lat[i]
        dist = np.hypot(dx, dy)
        dist[i] = np.inf
        if not np.isfinite(dist).any():
            positions.append("top center")
            continue
        j = int(np.argmin(dist))
        if abs(dy[j]) >= abs(dx[j]):
            positions.append("bottom center" if dy[j] > 0 else "top center")
        else:
            positions.append("middle left" if dx[j] > 0 else "middle right")
    return positions


def station_map(latest: pd.DataFrame, lang: str, tile_url: str = "", attribution: str = "",
                time_text: str = "") -> go.Figure:
    """Stations coloured by their latest hourly AQI category, labelled with name and AQI.

    Without ``tile_url`` the map is drawn on plain longitude/latitude axes (no tiles, nothing
    fetched); with it, a ``scattermap`` on a white background with that raster tile layer.
    """
    places = latest.dropna(subset=["longitude", "latitude"])
    if places.empty:
        return empty_figure(t("air.empty.map", lang), lang)
    colours = [AQI_COLOURS[int(c)] if pd.notna(c) else NO_DATA_COLOUR for c in places["category"]]
    hover = [
        f"<b>{row.name}</b> ({row.code})<br>" + (
            f"AQI {row.aqi:.0f} · {category_name(row.category, lang)}<br>"
            + t("air.hover.primary", lang, pollutants=row.primary_pollutants or "—")
            if pd.notna(row.aqi) else t("air.no_data", lang))
        + (f"<br>{t('air.background', lang)}" if row.is_background else "")
        for row in places.itertuples()
    ]
    symbols = ["diamond" if bg else "circle" for bg in places["is_background"]]
    inside = [bool(d) and not bool(bg) for d, bg in zip(places["in_district"], places["is_background"])]
    outline = ["#0b7285" if d else "#495057" for d in inside]
    widths = [3 if d else 1 for d in inside]
    title = t("air.map.title", lang)
    note = t("air.map.note", lang, time=time_text) if time_text else t("air.map.note_notime", lang)
    if tile_url:
        fig = go.Figure(go.Scattermap(
            lon=places["longitude"], lat=places["latitude"], mode="markers",
            marker={"size": 18, "color": colours}, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        ))
        fig.update_layout(map={
            "style": "white-bg",
            "layers": [{"sourcetype": "raster", "source": [tile_url], "below": "traces",
                        "sourceattribution": attribution}],
            "center": {"lon": float(places["longitude"].mean()), "lat": float(places["latitude"].mean())},
            "zoom": 10,
        })
        return _titled(fig, title, note, lang, height=460)
    lat0 = float(places["latitude"].mean())
    lon = places["longitude"].to_numpy(dtype=float)
    lat = places["latitude"].to_numpy(dtype=float)
    values = [f"{a:.0f}" if pd.notna(a) else "—" for a in places["aqi"]]
    fig = go.Figure()
    fig.add_scatter(
        x=lon, y=lat, mode="markers+text", text=values, textposition="middle center",
        textfont={"size": 11, "color": [text_colour_on(c) for c in colours]},
        marker={"size": 30, "color": colours, "symbol": symbols, "line": {"color": outline, "width": widths}},
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", cliponaxis=False,
    )
    # Names beside the markers: invisible markers of the same size make plotly offset the text.
    fig.add_scatter(x=lon, y=lat, mode="markers+text", text=places["name"].tolist(),
                    marker={"size": 30, "color": "rgba(0,0,0,0)"},
                    textposition=_label_positions(lon, lat), textfont={"size": 12, "color": "#212529"},
                    hoverinfo="skip", cliponaxis=False)
    pad_x = max(0.02, (places["longitude"].max() - places["longitude"].min()) * 0.12)
    pad_y = max(0.02, (places["latitude"].max() - places["latitude"].min()) * 0.15)
    return _titled(
        fig, title, note, lang, height=460, showlegend=False,
        xaxis={"title": t("air.map.lon", lang), "gridcolor": GRID, "zeroline": False, "ticksuffix": "°",
               "range": [places["longitude"].min() - pad_x, places["longitude"].max() + pad_x]},
        yaxis={"title": t("air.map.lat", lang), "gridcolor": GRID, "zeroline": False, "ticksuffix": "°",
               "scaleanchor": "x", "scaleratio": 1 / math.cos(math.radians(lat0)),
               "range": [places["latitude"].min() - pad_y, places["latitude"].max() + pad_y]},
        plot_bgcolor="#f8f9fa",
    )


# --------------------------------------------------------------------------- (5) monthly
def _month_labels(months: pd.Series, lang: str) -> list[str]:
    return [f"{m.year}年{m.month}月" if lang == "zh" else f"{m:%b %Y}" for m in pd.to_datetime(months)]


def monthly_composite(monthly: pd.DataFrame, lang: str, series_name: str) -> go.Figure:
    """Monthly 综合指数 of one series, stacked by each pollutant's sub-index (its share on hover)."""
    rows = monthly.dropna(subset=["composite"]).sort_values("month")
    if rows.empty:
        return empty_figure(t("air.empty.monthly", lang), lang)
    x = _month_labels(rows["month"], lang)
    fig = go.Figure()
    for part in INDEX_PARTS:
        label = t(f"air.index.{part}", lang)
        custom = np.column_stack([rows[f"share_{part}"] * 100, rows[part], [INDEX_STANDARDS[part]] * len(rows)])
        value_unit = "mg/m³" if part == "CO_p95" else "µg/m³"
        fig.add_bar(
            x=x, y=rows[f"I_{part}"], name=label, marker={"color": INDEX_COLOURS[part]}, customdata=custom,
            hovertemplate=(f"<b>%{{x}}</b><br>{label}: %{{customdata[1]:.{1 if part == 'CO_p95' else 0}f}} {value_unit}"
                           f" / %{{customdata[2]}}<br>" + t("air.hover.subindex", lang) + "<extra></extra>"),
        )
    for xi, total, valid in zip(x, rows["composite"], rows["valid"]):
        text = f"<b>{total:.2f}</b>" + ("" if valid else f"<br>{t('air.monthly.partial', lang)}")
        fig.add_annotation(x=xi, y=total, text=text, showarrow=False, yanchor="bottom", yshift=2,
                           font={"size": 12, "color": "#212529" if valid else "#868e96"})
    return _titled(
        fig, t("air.monthly.composite_title", lang, series=series_name), t("air.monthly.composite_note", lang), lang,
        height=420, barmode="stack",
        yaxis={"title": t("air.monthly.composite_axis", lang), "gridcolor": GRID,
               "range": [0, float(rows["composite"].max()) * 1.22]},
        legend={"orientation": "h", "yanchor": "top", "y": -0.1, "xanchor": "left", "x": 0, "traceorder": "normal"},
        margin={"l": 10, "r": 10, "t": 90, "b": 10},
    )


def good_days(monthly: pd.DataFrame, names: dict[str, str], lang: str, target_share: float,
              target_pm25: float, standards: list[str] | None = None) -> go.Figure:
    """Monthly 优良天数 share per series against the target, and monthly PM2.5 against its target."""
    rows = monthly.sort_values("month")
    if rows.empty or rows["n_valid"].sum() == 0:
        return empty_figure(t("air.empty.monthly", lang), lang)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=[t("air.monthly.good_title", lang), t("air.monthly.pm25_title", lang)])
    order = list(dict.fromkeys(rows["series"]))
    for key in order:
        part = rows[rows["series"] == key]
        x = _month_labels(part["month"], lang)
        colour = series_colour(key, order)
        custom = np.column_stack([part["n_good"], part["n_valid"]])
        fig.add_bar(x=x, y=part["good_share"] * 100, name=names.get(key, key), marker={"color": colour},
                    legendgroup=key, customdata=custom, row=1, col=1,
                    hovertemplate=(f"<b>{names.get(key, key)}</b> %{{x}}<br>"
                                   + t("air.hover.good", lang) + "<extra></extra>"))
        fig.add_bar(x=x, y=part["PM2.5"], name=names.get(key, key), marker={"color": colour}, legendgroup=key,
                    showlegend=False, row=1, col=2, customdata=part["n_PM2.5"],
                    hovertemplate=(f"<b>{names.get(key, key)}</b> %{{x}}<br>PM2.5 "
                                   + t("air.hover.pm25_month", lang) + "<extra></extra>"))
    fig.add_hline(y=target_share * 100, line={"color": "#c92a2a", "dash": "dash", "width": 1.5}, row=1, col=1,
                  annotation={"text": t("air.monthly.target_share", lang, value=f"{target_share * 100:.0f}"),
                              "font": {"size": 11, "color": "#c92a2a"}, "bgcolor": "rgba(255,255,255,0.85)"},
                  annotation_position="top left")
    fig.add_hline(y=target_pm25, line={"color": "#c92a2a", "dash": "dash", "width": 1.5}, row=1, col=2,
                  annotation={"text": t("air.monthly.target_pm25", lang, value=f"{target_pm25:g}"),
                              "font": {"size": 11, "color": "#c92a2a"}, "bgcolor": "rgba(255,255,255,0.85)"},
                  annotation_position="top left")
    fig.update_yaxes(title=t("air.monthly.good_axis", lang), range=[0, 105], gridcolor=GRID, row=1, col=1)
    pm_max = max(float(np.nanmax(rows["PM2.5"].to_numpy(dtype=float))) if rows["PM2.5"].notna().any() else 0,
                 target_pm25) * 1.15
    fig.update_yaxes(title="PM2.5（µg/m³）" if lang == "zh" else "PM2.5 (µg/m³)", range=[0, pm_max],
                     gridcolor=GRID, row=1, col=2)
    note = t("air.monthly.good_note", lang, standard=" / ".join(standards or ["HJ 633-2012"]))
    return _titled(fig, t("air.monthly.good_fig_title", lang), note, lang, height=420, barmode="group",
                   legend={"orientation": "h", "yanchor": "top", "y": -0.1, "xanchor": "left", "x": 0},
                   margin={"l": 10, "r": 10, "t": 100, "b": 10})
