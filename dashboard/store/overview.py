"""Queries for the overview numbers: sites, the latest reading time, ledger counts and alerts (the
stations and readings come from ``store.air``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.store.models import (
    ActionItem,
    Alert,
    ChecklistVersion,
    Inspection,
    Meeting,
    Reading,
    Rectification,
    Site,
    Station,
    Township,
    User,
)

OPEN_STATUSES = ("open", "in_progress")


def sites_by_township(session: Session) -> pd.DataFrame:
    """Active sites per township and plate colour (townships in use without sites included; a
    retired township only while it still has active sites)."""
    counts = (
        select(Site.township_id, Site.plate, func.count().label("sites"))
        .where(Site.status == "active")
        .group_by(Site.township_id, Site.plate)
        .subquery()
    )
    rows = session.execute(
        select(
            Township.id,
            Township.name,
            Township.name_en,
            Township.position,
            counts.c.plate,
            counts.c.sites,
        )
        .outerjoin(counts, counts.c.township_id == Township.id)
        .where(Township.active | counts.c.sites.is_not(None))
        .order_by(Township.position)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["township_id", "township", "township_en", "position", "plate", "sites"]
    )
    frame["sites"] = frame["sites"].fillna(0).astype(int)
    return frame


def latest_reading_time(session: Session, before: dt.datetime) -> dt.datetime | None:
    return session.scalar(select(func.max(Reading.time)).where(Reading.time <= before))


def ledger_counts(session: Session, today: dt.date) -> dict[str, int]:
    """Open, overdue (open past its deadline) and done-but-unverified ledger items."""
    open_items = select(func.count()).where(ActionItem.status.in_(OPEN_STATUSES))
    return {
        "open": session.scalar(open_items) or 0,
        "overdue": session.scalar(open_items.where(ActionItem.deadline < today)) or 0,
        "awaiting_verification": session.scalar(
            select(func.count()).where(ActionItem.status == "done")
        )
        or 0,
    }


def alert_at(session: Session, at: dt.datetime) -> Alert | None:
    """The alert in force at ``at`` (the highest level if periods overlap)."""
    rank = {"blue": 0, "yellow": 1, "orange": 2, "red": 3}
    alerts = session.scalars(
        select(Alert).where(Alert.starts_at <= at, (Alert.ends_at.is_(None)) | (Alert.ends_at > at))
    ).all()
    return max(alerts, key=lambda a: rank[a.level], default=None)


def latest_alert(session: Session, before: dt.datetime) -> Alert | None:
    return session.scalar(
        select(Alert).where(Alert.starts_at <= before).order_by(Alert.starts_at.desc()).limit(1)
    )


def township_id_by_name(session: Session, name: str) -> int | None:
    return session.scalar(select(Township.id).where(Township.name == name))


def record_counts(session: Session) -> dict[str, int]:
    """How many of each kind of record there are: what a district has set up and recorded so far."""

    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return {
        "townships": count(Township),
        "checklist_versions": count(ChecklistVersion),
        "stations": count(Station),
        "district_stations": count(Station, Station.in_district.is_(True)),
        "readings": 1 if session.scalar(select(Reading.station_id).limit(1)) is not None else 0,
        "sites": count(Site),
        "users": count(User),
        "inspections": count(Inspection),
        "rectifications": count(Rectification),
        "meetings": count(Meeting),
        "action_items": count(ActionItem),
        "alerts": count(Alert),
    }
