"""The stations that speak for each township (``township_stations``) and the points the rule
that computes them needs: sites and stations with their coordinates. The caller owns the
transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dashboard.domain.township_stations import SitePoint, StationPoint
from dashboard.store.models import Site, Station, Township, TownshipStation, User


@dataclass(frozen=True)
class StoredRow:
    township_id: int
    station_code: str
    source: str
    set_at: dt.datetime
    set_by: str  # the user's name; "" for the command line or a deleted user


@dataclass(frozen=True)
class StationInfo:
    code: str
    name: str
    city: str
    longitude: float | None
    latitude: float | None
    is_background: bool
    in_district: bool

    @property
    def point(self) -> StationPoint:
        return StationPoint(self.code, self.longitude, self.latitude, self.is_background)


def site_points(session: Session) -> list[SitePoint]:
    """Every site's township, status and coordinates (the rule picks the ones it counts)."""
    rows = session.execute(select(Site.township_id, Site.status, Site.longitude, Site.latitude)
                           .order_by(Site.id)).all()
    return [SitePoint(*row) for row in rows]


def stations(session: Session) -> list[StationInfo]:
    """Every station with its coordinates and flags, by code (no readings: this stays cheap for
    a national list)."""
    rows = session.execute(select(Station.code, Station.name, Station.city, Station.longitude, Station.latitude,
                                  Station.is_background, Station.in_district).order_by(Station.code)).all()
    return [StationInfo(c, n, city or "", lon, lat, bool(bg), bool(d)) for c, n, city, lon, lat, bg, d in rows]


def stored_rows(session: Session, township_id: int | None = None) -> list[StoredRow]:
    """The stored assignment rows (of one township, or all), by township and code."""
    query = (select(TownshipStation.township_id, TownshipStation.station_code, TownshipStation.source,
                    TownshipStation.set_at, User.username)
             .outerjoin(User, User.id == TownshipStation.set_by_id)
             .order_by(TownshipStation.township_id, TownshipStation.station_code))
    if township_id is not None:
        query = query.where(TownshipStation.township_id == township_id)
    return [StoredRow(tid, code, source, at, name or "") for tid, code, source, at, name in session.execute(query)]


def lock_townships(session: Session, township_id: int | None = None) -> None:
    """Take the write lock on one township's row (or all) before reading what a save compares
    against. A no-op update: on PostgreSQL it holds the row until commit, on SQLite it starts the
    write transaction (pysqlite would run the reads outside one), so two saves cannot both pass
    the check and the second overwrite the first."""
    statement = update(Township).values(position=Township.position)
    if township_id is not None:
        statement = statement.where(Township.id == township_id)
    session.execute(statement)


def replace(session: Session, township_id: int, codes: list[str] | tuple[str, ...], source: str,
            at: dt.datetime, user_id: int | None) -> None:
    """Make ``codes`` the township's stored stations, all with ``source`` (none: no rows)."""
    session.execute(delete(TownshipStation).where(TownshipStation.township_id == township_id))
    session.add_all(TownshipStation(township_id=township_id, station_code=code, source=source, set_at=at,
                                    set_by_id=user_id) for code in codes)
    session.flush()
