"""Site dust monitors (HJ 212): registering them, and every write of their data.

The command line (``monitors add|remove``, ``import hj212``) and the HJ 212 receiver come here.
Registering and removing a monitor is an admin's change, audited. The receiver's frames are
machine data: checked (the MN must be a registered, active monitor and the PW its password;
the DataTime plausible), stored in one transaction per batch, and not audited one by one (a
district's monitors send thousands of frames an hour); an imported log is a person's act and
is audited once per file.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from dashboard.domain import hj212
from dashboard.domain.errors import CodedError
from dashboard.domain.limits import READINGS_FROM, readings_until
from dashboard.services import dust_tasks
from dashboard.services.access import Actor, require
from dashboard.settings import Settings
from dashboard.store import site_dust as store
from dashboard.store.db import read_scope, session_scope
from dashboard.store.models import utcnow
from dashboard.store.users import audit

#: How long the receiver trusts its copy of the monitors before reading them again; an unknown
#: MN makes it read them at once (at most once a second), so a monitor added while the
#: receiver runs is known from its first frame.
DIRECTORY_TTL = 30.0
UNKNOWN_RELOAD = 1.0
#: A monitor's ``last_seen_at`` is written at most this often (a monitor sends every minute).
SEEN_RESOLUTION = dt.timedelta(minutes=1)


class MonitorRefused(CodedError):
    """``bad_mn``, ``bad_password``, ``unknown_site``, ``mn_taken`` (an active monitor has it),
    ``other_site`` (an inactive monitor with this MN was at another site), ``not_found``."""


def receiver_actor() -> Actor:
    """Who the receiver acts as: the operator who started it (it runs on the server)."""
    return Actor.system("HJ 212 receiver")


# --------------------------------------------------------------------------- monitors
@dataclass(frozen=True)
class MonitorRow:
    mn: str
    site_code: str
    site_name: str
    active: bool
    created_at: dt.datetime
    last_seen_at: dt.datetime | None


def add_monitor(settings: Settings, actor: Actor, mn: str, site_code: str, password: str) -> bool:
    """Register monitor ``mn`` at site ``site_code`` with its HJ 212 password. A removed
    monitor comes back at its own site (with the new password); returns True when created,
    False when reactivated."""
    require(actor, "admin")
    mn, site_code = (mn or "").strip(), (site_code or "").strip()
    if not hj212.mn_ok(mn):
        raise MonitorRefused("bad_mn", mn=mn[:40])
    if not hj212.password_ok(password or ""):
        raise MonitorRefused("bad_password")
    with session_scope(settings.database_url) as session:
        site = store.site_by_code(session, site_code)
        if site is None:
            raise MonitorRefused("unknown_site", site=site_code[:40])
        existing = store.find_monitor(session, mn)
        if existing is not None:
            if existing.active:
                raise MonitorRefused("mn_taken", mn=mn)
            if existing.site_id != site.id:
                # An MN names a monitoring point: its readings would move to another site.
                raise MonitorRefused("other_site", mn=mn)
            existing.active, existing.password = True, password
            audit(session, actor.user_id, "reactivate", "dust_monitor", existing.id, {"mn": mn, "site": site_code})
            return False
        monitor = store.add_monitor(session, mn, site.id, password)
        audit(session, actor.user_id, "create", "dust_monitor", monitor.id, {"mn": mn, "site": site_code})
    return True


def remove_monitor(settings: Settings, actor: Actor, mn: str) -> bool:
    """Deactivate monitor ``mn``: its frames are refused from now on, its readings stay.
    False when it was already inactive."""
    require(actor, "admin")
    mn = (mn or "").strip()
    with session_scope(settings.database_url) as session:
        monitor = store.find_monitor(session, mn)
        if monitor is None:
            raise MonitorRefused("not_found", mn=mn[:40])
        if not monitor.active:
            return False
        monitor.active = False
        audit(session, actor.user_id, "deactivate", "dust_monitor", monitor.id, {"mn": mn})
    return True


def list_monitors(settings: Settings) -> list[MonitorRow]:
    """Every monitor with its site (never its password)."""
    with read_scope(settings.database_url) as session:
        return [MonitorRow(m.mn, code, name, m.active, m.created_at, m.last_seen_at)
                for m, code, name in store.monitors(session)]


def monitor_secrets(settings: Settings, actor: Actor) -> list[tuple[str, str]]:
    """(MN, password) of every active monitor, for the simulator that plays them (admin only:
    these are the credentials)."""
    require(actor, "admin")
    with read_scope(settings.database_url) as session:
        return sorted((mn, c.password) for mn, c in store.credentials(session).items() if c.active)


def register_demo_monitors(settings: Settings, actor: Actor, count: int) -> list[tuple[str, str]]:
    """Give up to ``count`` active sites without a monitor one each (MN ``410103DUST`` and a
    14-digit number, a random 6-digit password), audited; returns the (MN, site code) made."""
    require(actor, "admin")
    made = []
    with session_scope(settings.database_url) as session:
        known = set(store.credentials(session))
        number = 1
        for site_id, code in store.sites_without_monitor(session, count):
            while (mn := f"410103DUST{number:014d}") in known:
                number += 1
            known.add(mn)
            password = f"{secrets.randbelow(10**6):06d}"
            monitor = store.add_monitor(session, mn, site_id, password)
            audit(session, actor.user_id, "create", "dust_monitor", monitor.id, {"mn": mn, "site": code})
            made.append((mn, code))
    return made


# --------------------------------------------------------------------------- frames
class MonitorDirectory:
    """The receiver's copy of the monitors' credentials (MN -> id, password, active)."""

    def __init__(self, settings: Settings, ttl: float = DIRECTORY_TTL):
        self.settings, self.ttl = settings, ttl
        self._entries: dict[str, store.Credential] = {}
        self._loaded_at = -1e9
        self._lock = threading.Lock()
        self._seen: dict[int, dt.datetime] = {}

    def _load(self) -> None:
        with read_scope(self.settings.database_url) as session:
            self._entries = store.credentials(session)
        self._loaded_at = time.monotonic()

    def lookup(self, mn: str) -> store.Credential | None:
        with self._lock:
            age = time.monotonic() - self._loaded_at
            if age > self.ttl or (mn not in self._entries and age > UNKNOWN_RELOAD):
                self._load()
            return self._entries.get(mn)

    def due_for_seen(self, monitor_id: int, when: dt.datetime) -> bool:
        """Whether ``last_seen_at`` of this monitor should be written now."""
        last = self._seen.get(monitor_id)
        return last is None or when - last >= SEEN_RESOLUTION

    def noted_seen(self, seen: dict[int, dt.datetime]) -> None:
        self._seen.update(seen)


#: What became of one frame: stored (``added`` new rows, 0 for a resent frame), or why not.
OUTCOMES = ("stored", "not_kept", "unknown_mn", "inactive", "bad_password", "bad_time")


#: Received as the standard means it: the device may forget the frame (answer 9014).
ACCEPTED = frozenset({"stored", "not_kept"})


@dataclass
class Outcome:
    status: str
    added: int = 0

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED


def check_frame(frame: hj212.Frame, credential: store.Credential | None, today: dt.date,
                until: dt.date | None = None) -> str | None:
    """Why ``frame`` may not be stored, or None (``until``: ``readings_until(today)``)."""
    if credential is None:
        return "unknown_mn"
    if not credential.active:
        return "inactive"
    if not secrets.compare_digest(frame.pw.encode(), credential.password.encode()):
        return "bad_password"
    if frame.data_time is not None:
        day = frame.data_time.astimezone(hj212.BEIJING).date()
        if not READINGS_FROM <= day <= (until or readings_until(today)):
            return "bad_time"
    return None


def _rows(frame: hj212.Frame, monitor_id: int) -> list[tuple]:
    """The frame's values as rows in ``store.site_dust.READING_COLUMNS`` order."""
    time_, cn = frame.data_time, frame.cn
    return [(monitor_id, time_, cn, v.pollutant, v.field, v.value, v.flag) for v in frame.values]


def receive_frames(settings: Settings, actor: Actor, frames: Sequence[hj212.Frame],
                   directory: MonitorDirectory, received_at: dt.datetime | None = None) -> list[Outcome]:
    """Store a batch of parsed frames in one transaction (``store_frames``), then evaluate the
    dust rules for the hours it completed; one ``Outcome`` per frame, in order."""
    received_at = received_at or utcnow()
    batch = store_frames(settings, actor, frames, directory, received_at)
    if batch.completed:
        dust_tasks.evaluate_completed(settings, actor, batch.completed, received_at)
    return batch.outcomes


@dataclass
class StoredBatch:
    """What ``store_frames`` did: one outcome per frame, and monitor id -> the hours the batch
    completed (``services.dust_tasks.completed_hours``: what the PM10 rules look at next)."""

    outcomes: list[Outcome]
    completed: dict[int, set[dt.datetime]]


def store_frames(settings: Settings, actor: Actor, frames: Sequence[hj212.Frame],
                 directory: MonitorDirectory, received_at: dt.datetime | None = None) -> StoredBatch:
    """Store a batch of parsed frames in one transaction; the rules are not evaluated here (the
    receiver does that apart, so that a slow evaluation never delays an answer).

    A frame of an unknown or inactive MN or with a wrong PW stores nothing. Commands that are
    not kept (not 2011/2051/2061/2031) are accepted and not stored. A database error raises,
    and then nothing of the batch is stored (the caller retries frame by frame or answers
    nothing, so the devices send again).
    """
    require(actor, "admin")
    received_at = received_at or utcnow()
    today = received_at.astimezone(hj212.BEIJING).date()
    until = readings_until(today)
    outcomes: list[Outcome] = []
    rows: list[tuple] = []
    owners: list[tuple[int, int]] = []  # (outcome index, number of rows) of each stored frame
    seen: dict[int, dt.datetime] = {}
    marks: list[tuple[int, int, dt.datetime | None]] = []  # (monitor, CN, DataTime) for the dust rules
    for frame in frames:
        credential = directory.lookup(frame.mn)
        refusal = check_frame(frame, credential, today, until)
        if refusal is not None or credential is None:
            outcomes.append(Outcome(refusal or "unknown_mn"))
            continue
        if directory.due_for_seen(credential.monitor_id, received_at):
            seen[credential.monitor_id] = received_at
        if frame.kind is None:
            outcomes.append(Outcome("not_kept"))
            continue
        frame_rows = _rows(frame, credential.monitor_id)
        owners.append((len(outcomes), len(frame_rows)))
        outcomes.append(Outcome("stored"))
        rows += frame_rows
        marks.append((credential.monitor_id, frame.cn, frame.data_time))
    if not rows and not seen:
        return StoredBatch(outcomes, {})
    with session_scope(settings.database_url) as session:
        added = store.insert_readings(session, _unique(rows))
        store.mark_seen(session, seen)
    directory.noted_seen(seen)
    _share_added(outcomes, owners, added)
    return StoredBatch(outcomes, dust_tasks.completed_hours(marks))


def _unique(rows: list[tuple]) -> list[tuple]:
    """One row per key, the first (the same frame twice in one batch is stored once, and its
    count of new rows stays true)."""
    keyed: dict[tuple, tuple] = {}
    for row in rows:
        keyed.setdefault(row[:5], row)
    return list(keyed.values()) if len(keyed) != len(rows) else rows


def _share_added(outcomes: list[Outcome], owners: list[tuple[int, int]], added: int) -> None:
    """The count of new rows is known per batch only: when every row was new, each frame gets
    its own; otherwise the total goes to the first frames (exact sums, approximate per frame)."""
    for index, n in owners:
        outcomes[index].added = min(n, added)
        added -= outcomes[index].added


@dataclass
class LogImport:
    """What ``import_frame_log`` did: lines read, frames stored, rows added, and the lines
    refused with their line number and reason."""

    file: str
    lines: int = 0
    frames: int = 0
    added: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


def import_frame_log(settings: Settings, actor: Actor, file: str,
                     lines: Sequence[tuple[int, hj212.Frame]], result: LogImport) -> LogImport:
    """Store the parsed frames of a recorded log (``ingest.hj212.read_frame_log``) in one
    transaction, with the receiver's rules; refused frames are added to ``result.refused``
    by line. Audited once for the file."""
    require(actor, "editor")
    directory = MonitorDirectory(settings, ttl=1e9)
    received_at = utcnow()
    today = received_at.astimezone(hj212.BEIJING).date()
    rows: list[tuple] = []
    for number, frame in lines:
        credential = directory.lookup(frame.mn)
        refusal = check_frame(frame, credential, today)
        if refusal is not None or credential is None:
            result.refused.append((number, REFUSAL_TEXT.get(refusal or "unknown_mn", refusal or "")))
            continue
        if frame.kind is None:
            result.refused.append((number, f"CN={frame.cn} is not data this dashboard keeps "
                                           "(2011, 2051, 2061, 2031)"))
            continue
        result.frames += 1
        rows += _rows(frame, credential.monitor_id)
    result.refused.sort()
    with session_scope(settings.database_url) as session:
        result.added = store.insert_readings(session, _unique(rows))
        if result.added:
            audit(session, actor.user_id, "import", "dust_readings", None,
                  {"file": file, "frames": result.frames, "added": result.added,
                   "refused_lines": len(result.refused)})
    return result


REFUSAL_TEXT = {
    "unknown_mn": "MN is not a registered monitor (monitors add MN --site CODE --password PW)",
    "inactive": "MN is a removed monitor",
    "bad_password": "PW does not match the monitor's password",
    "bad_time": f"DataTime outside {READINGS_FROM:%Y-%m-%d} .. tomorrow",
}
