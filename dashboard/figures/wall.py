"""The wall's sparklines: a small SVG line, handed to the browser as a data: URI image.

Not plotly: a wall refreshes a dozen of them every minute all day, and an image swaps in
place without a graph's redraw (no flicker, no WebGL context), scales crisply from 1080p to
4K, and costs the server a few string operations.
"""

from __future__ import annotations

from urllib.parse import quote

from dashboard.figures.theme import AQI_COLOURS

WIDTH, HEIGHT = 240, 60
# AQI category bounds as horizontal guides (good/light pollution lines).
_GUIDES = (100, 200)


def sparkline_uri(values: list[float | None], colour: str = "#e8eef8") -> str:
    """A data: URI of the line through ``values`` (None leaves a gap); empty without values."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return ""
    top = max(max(v for _, v in points), 120.0)
    n = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> str:
        return f"{i / n * (WIDTH - 4) + 2:.1f},{HEIGHT - 3 - v / top * (HEIGHT - 6):.1f}"

    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(xy(i, v))
    lines = "".join(
        f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="3" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
        for run in runs if len(run) > 1
    )
    dots = "".join(f'<circle cx="{run[0].split(",")[0]}" cy="{run[0].split(",")[1]}" r="2.5" fill="{colour}"/>'
                   for run in runs if len(run) == 1)
    guides = "".join(
        f'<line x1="0" x2="{WIDTH}" y1="{HEIGHT - 3 - g / top * (HEIGHT - 6):.1f}" '
        f'y2="{HEIGHT - 3 - g / top * (HEIGHT - 6):.1f}" stroke="{AQI_COLOURS[2 if g == 100 else 4]}" '
        'stroke-opacity="0.55" stroke-dasharray="4 4" stroke-width="1.5"/>'
        for g in _GUIDES if g <= top
    )
    last_i, last_v = points[-1]
    x, y = xy(last_i, last_v).split(",")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none">'
           f'{guides}{lines}{dots}<circle cx="{x}" cy="{y}" r="4" fill="{colour}"/></svg>')
    return "data:image/svg+xml;utf8," + quote(svg)
