"""Plotly figures: pure functions from tidy frames to figures, one shared theme."""
