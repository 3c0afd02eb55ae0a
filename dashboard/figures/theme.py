"""The shared look of every figure: fonts, AQI and plate colours, locale and axis formats."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.domain.aqi import CATEGORIES

# System CJK fonts only: nothing is fetched from a font CDN (intranets have no internet).
FONT_FAMILY = (
    '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "Helvetica Neue", Arial, sans-serif'
)
AQI_COLOURS = {c["level"]: c["colour"] for c in CATEGORIES}
PLATE_COLOURS = {"green": "#2f9e44", "yellow": "#f2c200", "red": "#e03131"}
PLATE_ORDER = ("green", "yellow", "red")
DATE_FORMAT = {"zh": "%m月%d日", "en": "%d %b"}


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#RRGGBB)."""
    r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#1a1b1e" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def graph_config(lang: str) -> dict:
    """The dcc.Graph config: plotly's own texts in the user's language, no plotly logo."""
    return {"locale": "zh-CN" if lang == "zh" else "en", "displaylogo": False}


def base_layout(lang: str, **overrides) -> go.Layout:
    layout = go.Layout(
        font={"family": FONT_FAMILY, "size": 13},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="#ffffff",
        hoverlabel={"font": {"family": FONT_FAMILY}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        separators=".," if lang == "en" else ".,",
    )
    layout.update(**overrides)
    return layout


def add_layout_items(fig: go.Figure, shapes: list[dict], annotations: list[dict]) -> None:
    """Append shapes and annotations (dicts) to ``fig``'s layout in one assignment each."""
    # plotly re-validates the whole list on every add_shape, add_hrect, add_annotation…, so
    # adding them one by one costs the square of their number (a five-year series with its
    # alerts spent 200 ms there, the quadrant's arrows 100 ms).
    if shapes:
        fig.layout.shapes = fig.layout.shapes + tuple(go.layout.Shape(shape) for shape in shapes)
    if annotations:
        fig.layout.annotations = fig.layout.annotations + tuple(go.layout.Annotation(a) for a in annotations)
