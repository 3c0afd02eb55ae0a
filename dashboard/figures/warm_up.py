"""Plotly's one-off costs paid at app start, not by the first user of a new worker.

The first figure a process builds loads plotly's validator table and default template (JSON) and
imports the trace and layout classes it touches; the first /air view of a new worker spent about
a third of its time there. ``warm_up`` builds one small figure with what the pages use: nothing
it builds is kept, so nothing can go stale.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots


def warm_up() -> None:
    """Build and serialise one figure with the trace types, layout items and axes the pages
    draw (~20 ms once plotly's tables are loaded)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["a", "b"])
    fig.add_scatter(x=[0, 1], y=[0, 1], customdata=[[0], [1]], hovertemplate="%{customdata[0]}", row=1, col=1,
                    line={"color": "#000", "width": 1, "shape": "hv"}, marker={"size": 5}, fill="toself",
                    textfont={"size": 9, "color": "#000"})
    fig.add_bar(x=["a"], y=[1], marker={"color": "#000", "line": {"color": "#000", "width": 1}}, row=1, col=2)
    fig.add_heatmap(z=[[0.0]], colorscale=[[0, "#000"], [1, "#fff"]], showscale=False, xgap=1, ygap=1,
                    row=1, col=1)
    fig.add_box(y=[0.0, 1.0], row=1, col=2)
    fig.add_hline(y=0.5, line={"color": "#000", "dash": "dash"}, row=1, col=1, annotation={"text": "a"},
                  annotation_position="top left")
    fig.add_vrect(x0=0, x1=1, fillcolor="#000", opacity=0.1, line_width=0, layer="below", row=1, col=1)
    fig.update_xaxes(type="date", tickformat="%m", gridcolor="#000")
    fig.update_yaxes(range=[0, 1], autorange=False, showticklabels=True, fixedrange=True)
    fig.update_layout(go.Layout(font={"size": 13}, margin={"l": 1}, hoverlabel={"font": {"size": 13}},
                                legend={"orientation": "h"}, separators=".,", barmode="stack", height=100,
                                hovermode="closest"),
                      title={"text": "a", "subtitle": {"text": "b", "font": {"size": 12}}})
    pio.to_json(fig)
