"""Dates and times as people read them, in the display time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def format_datetime(value: dt.datetime, lang: str, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local:%d %b %Y %H:%M}"


def format_date(value: dt.date, lang: str) -> str:
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value:%d %b %Y}"
