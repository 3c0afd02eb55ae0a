"""The district's own make-up: its name (``app_settings``), townships, responsible units and the
flags that put stations in its air-quality figure. The caller owns the transaction."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dashboard.domain.district import CleanTownship, CleanUnit
from dashboard.store.models import ActionItem, AppSetting, Reading, Site, Station, Township, Unit, User

TOWNSHIP_COLUMNS = ["id", "code", "name", "name_en", "kind", "position", "active", "sites", "active_sites", "users"]
UNIT_COLUMNS = ["id", "name", "name_en", "kind", "township_id", "township_active", "items"]
STATION_COLUMNS = ["code", "name", "city", "longitude", "latitude", "is_background", "in_district", "latest"]
# The pollutants a station reports; its latest reading is the latest of theirs.
_POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")
#: Where a township added without a place waits before the list is numbered again.
LAST_POSITION = 1_000_000
# Keep IN (...) lists well below SQLite's bound-parameter limit.
_IN_CHUNK = 900


# --------------------------------------------------------------------------- settings
def get_setting(session: Session, key: str) -> str | None:
    row = session.get(AppSetting, key)
    return row.value if row is not None else None


def set_setting(session: Session, key: str, value: str) -> None:
    row = session.get(AppSetting, key)
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value
    session.flush()


# --------------------------------------------------------------------------- townships
def townships_table(session: Session) -> pd.DataFrame:
    """Every township in display order, with its sites (all, active) and users tied to it."""
    sites = (select(Site.township_id, func.count().label("sites"),
                    func.count().filter(Site.status == "active").label("active_sites"))
             .group_by(Site.township_id).subquery())
    users = select(User.township_id, func.count().label("users")).group_by(User.township_id).subquery()
    rows = session.execute(
        select(Township.id, Township.code, Township.name, Township.name_en, Township.kind, Township.position,
               Township.active, sites.c.sites, sites.c.active_sites, users.c.users)
        .outerjoin(sites, sites.c.township_id == Township.id)
        .outerjoin(users, users.c.township_id == Township.id)
        .order_by(Township.position, Township.id)
    ).all()
    frame = pd.DataFrame(rows, columns=TOWNSHIP_COLUMNS)
    for column in ("sites", "active_sites", "users"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["active"] = frame["active"].astype(bool)
    return frame


def all_townships(session: Session) -> list[Township]:
    return list(session.scalars(select(Township).order_by(Township.position, Township.id)))


def get_township(session: Session, township_id: int) -> Township | None:
    return session.get(Township, township_id)


def township_order(session: Session) -> list[int]:
    """Township ids in display order."""
    return list(session.scalars(select(Township.id).order_by(Township.position, Township.id)))


def next_position(session: Session) -> int:
    return (session.scalar(select(func.max(Township.position))) or 0) + 1


def township_keys(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    """(code → id, name → id) of every township, retired ones included."""
    rows = session.execute(select(Township.id, Township.code, Township.name)).all()
    return {code: tid for tid, code, _ in rows}, {name: tid for tid, _, name in rows}


def add_township(session: Session, clean: CleanTownship, position: int, active: bool = True) -> Township:
    township = Township(code=clean.code, name=clean.name, name_en=clean.name_en, kind=clean.kind,
                        position=position, active=active)
    session.add(township)
    session.flush()
    return township


def set_positions(session: Session, order: list[int]) -> None:
    """Number the townships 1, 2, … in ``order`` (ids); only changed rows are written."""
    townships = {t.id: t for t in session.scalars(select(Township))}
    for position, township_id in enumerate(order, start=1):
        township = townships[township_id]
        if township.position != position:
            township.position = position
    session.flush()


# --------------------------------------------------------------------------- units
def units_table(session: Session) -> pd.DataFrame:
    """Every responsible unit with whether its township is in use and its ledger items."""
    items = (select(ActionItem.responsible_unit_id.label("unit_id"), func.count().label("n_items"))
             .group_by(ActionItem.responsible_unit_id).subquery())
    rows = session.execute(
        select(Unit.id, Unit.name, Unit.name_en, Unit.kind, Unit.township_id, Township.active, items.c.n_items)
        .outerjoin(Township, Township.id == Unit.township_id)
        .outerjoin(items, items.c.unit_id == Unit.id)
        .order_by(Unit.id)
    ).all()
    frame = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    frame["township_id"] = frame["township_id"].astype("Int64")
    # Departments and companies belong to no township: they are always in use.
    frame["township_active"] = [v is None or bool(v) for v in frame["township_active"].astype(object)]
    frame["items"] = frame["items"].fillna(0).astype("int64")
    return frame


def get_unit(session: Session, unit_id: int) -> Unit | None:
    return session.get(Unit, unit_id)


def unit_names(session: Session) -> dict[str, int]:
    return {name: uid for uid, name in session.execute(select(Unit.id, Unit.name))}


def township_unit(session: Session, township_id: int) -> Unit | None:
    """The unit of kind "township" that stands for this township (the first, if ever several)."""
    return session.scalar(select(Unit).where(Unit.kind == "township", Unit.township_id == township_id)
                          .order_by(Unit.id).limit(1))


def add_unit(session: Session, clean: CleanUnit, township_id: int | None = None) -> Unit:
    unit = Unit(name=clean.name, name_en=clean.name_en, kind=clean.kind, township_id=township_id)
    session.add(unit)
    session.flush()
    return unit


def retired_township_unit_ids(session: Session) -> set[int]:
    """Units standing for a retired township: kept for history, not offered for new records."""
    return set(session.scalars(select(Unit.id).join(Township, Township.id == Unit.township_id)
                               .where(Unit.kind == "township", Township.active.is_(False))))


# --------------------------------------------------------------------------- stations
def _latest_columns() -> list:
    # One index seek per station and pollutant (readings' primary key starts with station and
    # pollutant), so a national list costs milliseconds whatever the years of readings stored.
    return [
        select(func.max(Reading.time)).where(Reading.station_id == Station.id, Reading.pollutant == pollutant)
        .correlate(Station).scalar_subquery()
        for pollutant in _POLLUTANTS
    ]


def _latest_of(times) -> dt.datetime | None:
    return max((t for t in _aware(times) if t is not None), default=None)


def station_table(session: Session) -> pd.DataFrame:
    """Every station with its flags and the time of its latest reading (NaT without any)."""
    rows = session.execute(
        select(Station.code, Station.name, Station.city, Station.longitude, Station.latitude,
               Station.is_background, Station.in_district, *_latest_columns()).order_by(Station.code)
    ).all()
    frame = pd.DataFrame([(*row[:7], _latest_of(row[7:])) for row in rows], columns=STATION_COLUMNS)
    frame["latest"] = pd.to_datetime(frame["latest"], utc=True)
    for column in ("is_background", "in_district"):
        frame[column] = frame[column].astype(bool)
    for column in ("longitude", "latitude"):
        frame[column] = frame[column].astype(float)
    return frame


def latest_reading(session: Session, codes: list[str]) -> dt.datetime | None:
    """The latest reading time of any of these stations."""
    found = []
    for start in range(0, len(codes), _IN_CHUNK):
        found += session.execute(select(*_latest_columns()).where(Station.code.in_(codes[start:start + _IN_CHUNK])))
    return max((t for row in found if (t := _latest_of(row)) is not None), default=None)


def _aware(times) -> list[dt.datetime | None]:
    # Scalar subqueries bypass UTCDateTime: SQLite returns naive UTC text, PostgreSQL aware values.
    out: list[dt.datetime | None] = []
    for value in times:
        if value is None:
            out.append(None)
            continue
        stamp = pd.Timestamp(value)
        out.append((stamp if stamp.tzinfo is not None else stamp.tz_localize("UTC")).to_pydatetime())
    return out


def station_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Station.code)))


def flagged_stations(session: Session) -> tuple[list[str], list[str]]:
    """(codes in the district group, codes of background stations), sorted."""
    rows = session.execute(select(Station.code, Station.in_district, Station.is_background)
                           .where(Station.in_district | Station.is_background).order_by(Station.code)).all()
    return [c for c, d, _ in rows if d], [c for c, _, b in rows if b]


def set_station_flags(session: Session, district: set[str], background: set[str]) -> None:
    """Make exactly ``district`` the group and ``background`` the background stations."""
    for column, chosen in ((Station.in_district, district), (Station.is_background, background)):
        session.execute(update(Station).where(column).values({column: False}))
        codes = sorted(chosen)
        for start in range(0, len(codes), _IN_CHUNK):
            session.execute(update(Station).where(Station.code.in_(codes[start:start + _IN_CHUNK]))
                            .values({column: True}))
    session.flush()
    # The district's daily values are the mean of its group's: they follow in this transaction.
    from dashboard.analytics.air_daily import refresh_district

    refresh_district(session)
