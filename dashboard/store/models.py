"""The database schema: one SQLAlchemy 2 model per table, shared by SQLite and PostgreSQL.

Times are stored as UTC (``UTCDateTime``) and converted to Asia/Shanghai for display; calendar
dates that are dates in Beijing (deadlines, meeting days) are plain ``Date`` columns.
Rows that people edit carry ``version`` for optimistic locking (SQLAlchemy's version_id_col):
a stale save raises ``StaleDataError`` instead of silently overwriting someone else's change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC; naive datetimes are refused, not guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware times only")
        value = value.astimezone(dt.UTC)
        # SQLite has no time zone type: keep the UTC wall time and restore the zone on read.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --- organisation -------------------------------------------------------------------------------


class Township(Base):
    """A 乡镇办 or 管委会: the unit responsible for the sites in its area."""

    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(96), default="")
    # street (街道), town (镇), township (乡), zone (管委会)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Retired (撤销, merged) townships are never deleted: their sites and history keep pointing at
    # them, but forms for new records no longer offer them.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    sites: Mapped[list[Site]] = relationship(back_populates="township")


class Unit(Base):
    """A responsible unit: a township, a district department, or a company."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(96), unique=True)
    name_en: Mapped[str] = mapped_column(String(128), default="")
    # township | department | company
    kind: Mapped[str] = mapped_column(String(16))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))

    township: Mapped[Township | None] = relationship()


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'inspector', 'editor', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(96), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    # An inspector works in one township; None means district-wide.
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(8))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Copied into the session cookie at login; raising it ends every session of this user.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- construction sites and the 8个100% checklist ------------------------------------------------


class Site(TimestampMixin, Base):
    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("plate IN ('green', 'yellow', 'red')", name="plate"),
        CheckConstraint("status IN ('active', 'suspended', 'completed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(256), default="")
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    builder_unit: Mapped[str] = mapped_column(String(128), default="")
    contractor_unit: Mapped[str] = mapped_column(String(128), default="")
    # housing | public_building | municipal | road | demolition | land_preparation | other
    site_type: Mapped[str] = mapped_column(String(32))
    area_m2: Mapped[float | None] = mapped_column(Float)
    # Stored as WGS-84; the system the user entered them in is kept for traceability.
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    coord_system: Mapped[str] = mapped_column(String(8), default="WGS84")
    status: Mapped[str] = mapped_column(String(16), default="active")
    plate: Mapped[str] = mapped_column(String(8), default="green")
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    township: Mapped[Township] = relationship(back_populates="sites")
    __mapper_args__ = {"version_id_col": version}


class PlateChange(Base):
    __tablename__ = "plate_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(8))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(256), default="")


class ChecklistVersion(Base):
    """One version of the dust-control checklist (6个 / 7个 / 8个100%), in force from a date."""

    __tablename__ = "checklist_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96), default="")
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(256), default="")

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="version", order_by="ChecklistItem.position"
    )


class ChecklistItem(Base):
    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(SmallInteger)
    label: Mapped[str] = mapped_column(String(128))
    label_en: Mapped[str] = mapped_column(String(128), default="")

    version: Mapped[ChecklistVersion] = relationship(back_populates="items")


class Inspection(TimestampMixin, Base):
    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        Index("ix_inspections_site_time", "site_id", "inspected_at"),
        # Every period view bounds by time first (a week or a quarter of years of inspections).
        Index("ix_inspections_time", "inspected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    inspected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspector_name: Mapped[str] = mapped_column(String(96), default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # routine (scheduled visit) | recheck (复查 of a rectification) | alert_check (预警专项检查)
    kind: Mapped[str] = mapped_column(String(16), default="routine")
    # Site found working while a heavy-pollution stop order applied: a violation in itself.
    working_during_stop: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    # form | excel | demo
    source: Mapped[str] = mapped_column(String(16), default="form")
    # The form's idempotency key (a UUID made in the browser): a submit resent after a dropped
    # connection finds the inspection it already made instead of making a second one.
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    site: Mapped[Site] = relationship()
    results: Mapped[list[InspectionResult]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan"
    )
    __mapper_args__ = {"version_id_col": version}


class InspectionResult(Base):
    __tablename__ = "inspection_results"
    __table_args__ = (
        UniqueConstraint("inspection_id", "item_id"),
        CheckConstraint("result IN ('pass', 'fail', 'na')", name="result"),
        # The failures alone (6 % of results) are what the escalation ladder reads, per site.
        Index("ix_inspection_results_failures", "inspection_id", "item_id",
              sqlite_where=sql_text("result = 'fail'"), postgresql_where=sql_text("result = 'fail'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"), index=True)
    result: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    # Content hashes of photos stored under the upload folder.
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)

    inspection: Mapped[Inspection] = relationship(back_populates="results")
    item: Mapped[ChecklistItem] = relationship()


class Rectification(TimestampMixin, Base):
    """限期整改: opened by a failed item, closed only by a later passing inspection of that item."""

    __tablename__ = "rectifications"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_rectifications_site_status", "site_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    item_key: Mapped[str] = mapped_column(String(32))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("inspection_results.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[dt.date] = mapped_column(Date)
    responsible_unit: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_results.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # 0 none, 1 警告 warning, 2 约谈 interview, 3 问责 accountability
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)

    site: Mapped[Site] = relationship()
    __mapper_args__ = {"version_id_col": version}


# --- dispatch meetings and the task ledger --------------------------------------------------------


class Meeting(TimestampMixin, Base):
    """第N次调度会."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(128), default="")
    chair_title: Mapped[str] = mapped_column(String(64))
    attendees: Mapped[list[str]] = mapped_column(JSON, default=list)
    agenda: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    minutes_md: Mapped[str] = mapped_column(Text, default="")
    # Air quality since the previous meeting, computed and frozen when the meeting is saved.
    air_quality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)

    problems: Mapped[list[MeetingProblem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingProblem.position"
    )
    decisions: Mapped[list[MeetingDecision]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingDecision.position"
    )
    accountability: Mapped[list[AccountabilityRecord]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    __mapper_args__ = {"version_id_col": version}


class MeetingProblem(Base):
    __tablename__ = "meeting_problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    description: Mapped[str] = mapped_column(Text)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    item_key: Mapped[str | None] = mapped_column(String(32))

    meeting: Mapped[Meeting] = relationship(back_populates="problems")


class MeetingDecision(Base):
    __tablename__ = "meeting_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    text: Mapped[str] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")


class AccountabilityRecord(Base):
    """通报批评 / 约谈 / 诫勉 / 问责 of a unit, decided at a meeting."""

    __tablename__ = "accountability_records"
    __table_args__ = (
        CheckConstraint(
            "measure IN ('criticism', 'interview', 'admonition', 'accountability')", name="measure"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    measure: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="accountability")
    unit: Mapped[Unit] = relationship()


class ActionItem(TimestampMixin, Base):
    """One line of the task ledger (任务台账)."""

    __tablename__ = "action_items"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'done', 'verified')", name="status"),
        UniqueConstraint("meeting_id", "seq"),
        Index("ix_action_items_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    seq: Mapped[int] = mapped_column(Integer)
    task: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text, default="")
    responsible_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    deadline: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # [{"kind": "link"|"file"|"inspection"|"rectification", "ref": "...", "label": "..."}]
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)

    meeting: Mapped[Meeting] = relationship()
    responsible_unit: Mapped[Unit] = relationship(foreign_keys=[responsible_unit_id])
    lead_department: Mapped[Unit | None] = relationship(foreign_keys=[lead_department_id])
    history: Mapped[list[ActionItemChange]] = relationship(
        back_populates="action_item", cascade="all, delete-orphan", order_by="ActionItemChange.at"
    )
    __mapper_args__ = {"version_id_col": version}


class ActionItemChange(Base):
    __tablename__ = "action_item_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(
        ForeignKey("action_items.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    action_item: Mapped[ActionItem] = relationship(back_populates="history")


# --- air quality ----------------------------------------------------------------------------------


class Station(Base):
    """A monitoring station (e.g. 1316A); its location history lives in StationVersion."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(32), default="")
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    # 对照点: a background site, excluded from district and city averages.
    is_background: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of this district's station group (the district figure is their mean).
    in_district: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class StationVersion(Base):
    """A station as one official station list (站点列表) gave it, from that list's date."""

    __tablename__ = "station_versions"
    __table_args__ = (UniqueConstraint("station_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(32), default="")
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    is_background: Mapped[bool] = mapped_column(Boolean, default=False)


class Reading(Base):
    """One hourly concentration. ``time`` is the end of the averaged hour (CNEMC hour label)."""

    __tablename__ = "readings"

    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    pollutant: Mapped[str] = mapped_column(String(8), primary_key=True)
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    # cnemc | openaq | demo | manual
    source: Mapped[str] = mapped_column(String(16))
    validated: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_readings_time", "time"),)


class Alert(Base):
    """A heavy-pollution alert period (重污染天气预警)."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("level IN ('blue', 'yellow', 'orange', 'red')", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(96), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class AppSetting(Base):
    """Key/value settings kept with the data, e.g. the demo's pinned clock (``frozen_today``)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TownshipStation(Base):
    """A station that speaks for a township's air (its air is the mean of its stations).

    ``source`` says who decided: ``computed`` (the rule of ``domain.township_stations``, stored
    when an admin asked to recompute) or ``admin`` (chosen by hand; a recompute keeps it). A
    township without rows has its computed stations worked out on the fly.
    """

    __tablename__ = "township_stations"
    __table_args__ = (CheckConstraint("source IN ('computed', 'admin')", name="source"),)

    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id", ondelete="CASCADE"), primary_key=True)
    station_code: Mapped[str] = mapped_column(ForeignKey("stations.code", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class DisplayToken(Base):
    """A wall display's credential: it opens ``/wall`` read-only, without a person's session.

    Only the SHA-256 of the secret is kept (the secret is 32 random bytes, so a plain hash is as
    strong as a slow one and lets every request be checked in one indexed lookup). A token is
    never deleted, only revoked, so the audit log's references stay meaningful.
    """

    __tablename__ = "display_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PhotoMeta(Base):
    """What an evidence photo said when it was uploaded: its EXIF time and GPS position (None when
    the photo has none), its pixels and size, and who uploaded it first.

    Keyed by the photo's content hash, like the file itself: the same photo uploaded again (by
    anyone, for any inspection) is the same row. Inspection results keep the hashes.
    """

    __tablename__ = "photo_meta"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None] = mapped_column(Float)  # WGS-84, as EXIF GPS is
    longitude: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# --- site dust monitors (HJ 212) ----------------------------------------------------------------


class DustMonitor(Base):
    """A site's dust monitor, known by its HJ 212 MN (the monitoring point's number).

    ``password`` is the HJ 212 access password (PW) the device sends in clear text in every
    frame; the receiver compares it with this value, so it is kept as given (a hash of a
    six-character code would protect nothing: a million guesses take a second) and never
    shown or logged. A monitor is never deleted, only deactivated: its readings stay.
    """

    __tablename__ = "dust_monitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    password: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the receiver last stored a frame of this monitor (None: never).
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()


class DustReading(Base):
    """One number of one HJ 212 data frame: a pollutant's field (Rtd, Avg, Min, Max…) of a
    monitor at the frame's DataTime (stored UTC) for one kind of data, by its CN (2011
    real-time, 2051 minute, 2061 hourly, 2031 daily), with the frame's data flag for that
    pollutant (N normal, F, M, S, D, C, T, B; statistics use N only; None when the device sent
    none). The primary key makes a resent frame add nothing.

    ``monitor_id`` has no database foreign key (migration 0011): the per-row check doubled
    PostgreSQL's cost of an insert on the receiver's hot path. The insert itself stores only
    rows of a known monitor (``store.site_dust.insert_readings``), and monitors are never
    deleted (removing one deactivates it), so every reading keeps its monitor."""

    __tablename__ = "dust_readings"
    __table_args__ = (CheckConstraint("cn IN (2011, 2051, 2061, 2031)", name="cn"),)

    monitor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    cn: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    pollutant: Mapped[str] = mapped_column(String(16), primary_key=True)
    field: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    flag: Mapped[str | None] = mapped_column(String(1))


class DustTask(Base):
    """待核查: a site dust monitor's exceedance episode (or silence) that an inspector is to check.

    Opened by ``services.dust_tasks`` when a rule of ``domain.dust_tasks`` breaches, closed by
    the next submitted inspection of the site. ``first_hour``/``last_hour`` bound the episode
    (hour starts; for ``offline`` both are the last frame's time), ``peak_value`` is its highest
    hourly PM10 (µg/m³) or, offline, the minutes of silence; ``detail`` keeps the rule as it was
    when the task opened (and the station compared with), so the text stays true after the
    rule changes. At most one open task per site and kind: the partial unique index holds that
    against two receivers evaluating at once (SQLite and PostgreSQL both know ``WHERE``)."""

    __tablename__ = "dust_tasks"
    __table_args__ = (
        CheckConstraint("kind IN ('pm10_above', 'pm10_excess', 'offline')", name="kind"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("uq_dust_tasks_open_site_kind", "site_id", "kind", unique=True,
              sqlite_where=sql_text("status = 'open'"), postgresql_where=sql_text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("dust_monitors.id"))
    kind: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_hour: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_hour: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    peak_value: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), default="open")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


# --------------------------------------------------------------------------- derived, kept by the writes
class DataVersion(Base):
    """A counter per kind of data, bumped in the transaction of every write that changes it
    (``store.air_daily.bump``). Caches key on it: every worker reads the same number, so no
    worker serves figures another one already knows are stale."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class AirDaily(Base):
    """HJ 663 daily values and HJ 633 daily AQI of one series and Beijing day: a station (its
    code) or the district group (``series = 'district'``), exactly the rows ``analytics.air``
    computes from the hourly readings. Written by ``analytics.air_daily.refresh_*`` in the
    transaction that changes readings or station groups; ``python -m dashboard db check``
    recomputes them from the readings. Concentrations are rounded to reporting precision."""

    __tablename__ = "air_daily"

    series: Mapped[str] = mapped_column(String(32), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    so2: Mapped[float | None] = mapped_column(Float)
    no2: Mapped[float | None] = mapped_column(Float)
    pm10: Mapped[float | None] = mapped_column(Float)
    pm25: Mapped[float | None] = mapped_column(Float)
    co: Mapped[float | None] = mapped_column(Float)
    o3_1h: Mapped[float | None] = mapped_column(Float)
    o3_8h: Mapped[float | None] = mapped_column(Float)
    aqi: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[int | None] = mapped_column(SmallInteger)
    primary_pollutants: Mapped[str] = mapped_column(String(64), default="")
    standard: Mapped[str] = mapped_column(String(32), default="")

    __table_args__ = (Index("ix_air_daily_date", "date"),)


class AirDailyPending(Base):
    """A station-day whose readings a batch import changed and whose ``air_daily`` rows wait for
    the refresh that ends the batch (``analytics.air_daily.refresh_pending``). Written in the
    file's own transaction, so a batch killed part-way leaves the list, and the next import (or
    ``db check --repair``) catches up."""

    __tablename__ = "air_daily_pending"

    station_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class ComplianceDaily(Base):
    """The checks of one township's sites on one Beijing day (``domain.compliance``'s counts:
    passed, failed and not-applicable items; inspections, those that failed an item or found work
    during a stop order, and those that found work during a stop order). Only submitted
    inspections count, each under its site's township as it is now. ``week`` is the day's Monday,
    so weekly figures are one GROUP BY. Written by ``analytics.compliance_daily`` in the
    transaction that changes inspections or sites; ``python -m dashboard db check`` recomputes
    them from the inspections."""

    __tablename__ = "compliance_daily"

    township_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    week: Mapped[dt.date] = mapped_column(Date)
    inspections: Mapped[int] = mapped_column(Integer, default=0)
    failed_inspections: Mapped[int] = mapped_column(Integer, default=0)
    working_during_stop: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    na: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_compliance_daily_date", "date"), Index("ix_compliance_daily_week", "week"))


class ComplianceDailyItem(Base):
    """The same day's checks per checklist item key (passed, failed, not applicable)."""

    __tablename__ = "compliance_daily_items"

    township_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    item_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    na: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_compliance_daily_items_date", "date"),)
