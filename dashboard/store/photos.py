"""Evidence photos in the database: what each photo's EXIF said (``photo_meta``) and the limits a
photo is checked against (the ``photos.evidence_rules`` app setting). The files themselves are
``storage.photos``; what the limits mean is ``domain.photo_evidence``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domain.photo_evidence import PhotoRules
from dashboard.storage.photos import PhotoFacts
from dashboard.store.models import AppSetting, PhotoMeta, Site

RULES_KEY = "photos.evidence_rules"


@dataclass(frozen=True)
class StoredPhoto:
    hash: str
    taken_at: dt.datetime | None
    latitude: float | None
    longitude: float | None
    width: int
    height: int
    bytes: int


def load_rules(session: Session) -> PhotoRules:
    """The limits in force: defaults, overridden by the valid entries of the app setting."""
    row = session.get(AppSetting, RULES_KEY)
    if row is None:
        return PhotoRules()
    try:
        return PhotoRules.from_overrides(json.loads(row.value))
    except (TypeError, ValueError):
        return PhotoRules()


def set_rules(session: Session, rules: PhotoRules) -> None:
    """Store the limits (checked by ``domain.rules.check_photo_rules``)."""
    row = session.get(AppSetting, RULES_KEY)
    value = json.dumps(rules.as_dict())
    if row is None:
        session.add(AppSetting(key=RULES_KEY, value=value))
    else:
        row.value = value


def add_meta(session: Session, facts: PhotoFacts, user_id: int | None) -> bool:
    """Keep a photo's facts unless they are kept already (same hash, same bytes); True if added."""
    if session.get(PhotoMeta, facts.digest) is not None:
        return False
    session.add(PhotoMeta(hash=facts.digest, taken_at=facts.taken_at, latitude=facts.latitude,
                          longitude=facts.longitude, width=facts.width, height=facts.height, bytes=facts.bytes,
                          uploaded_by_id=user_id))
    return True


def photo_meta(session: Session, hashes: Iterable[str]) -> dict[str, StoredPhoto]:
    """The kept facts of these photos, by hash (photos uploaded before facts were kept are absent)."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    rows = session.scalars(select(PhotoMeta).where(PhotoMeta.hash.in_(wanted)))
    return {r.hash: StoredPhoto(r.hash, r.taken_at, r.latitude, r.longitude, r.width, r.height, r.bytes)
            for r in rows}


def site_position(session: Session, site_id: int | None) -> tuple[float, float] | None:
    """A site's WGS-84 (longitude, latitude), or None when it has no position (or no such site)."""
    if site_id is None:
        return None
    row = session.execute(select(Site.longitude, Site.latitude).where(Site.id == site_id)).first()
    if row is None or row.longitude is None or row.latitude is None:
        return None
    return row.longitude, row.latitude
