"""Evidence photos as a page shows them: what each photo's EXIF said, checked against the
inspection's site and time under the limits in force (``domain.photo_evidence``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dashboard.domain.photo_evidence import PhotoCheck, PhotoRules, check_photo
from dashboard.store import photos as photo_store
from dashboard.store.photos import StoredPhoto


@dataclass(frozen=True)
class PhotoEvidence:
    meta: StoredPhoto
    check: PhotoCheck
    rules: PhotoRules  # the limits it was checked against (the page names them)


def photo_evidence(session: Session, hashes: Iterable[str], site_id: int | None,
                   inspected_at: dt.datetime | None) -> dict[str, PhotoEvidence]:
    """By hash, every photo whose facts are kept (photos from before they were kept are absent).

    ``site_id`` and ``inspected_at`` are what the inspection says (or the form holds) now; either
    may be None while the form is being filled in, and nothing is then checked against it.
    """
    metas = photo_store.photo_meta(session, hashes)
    if not metas:
        return {}
    rules = photo_store.load_rules(session)
    site = photo_store.site_position(session, site_id)
    return {
        digest: PhotoEvidence(meta, check_photo(taken_at=meta.taken_at, latitude=meta.latitude,
                                                longitude=meta.longitude, site_position=site,
                                                inspected_at=inspected_at, rules=rules), rules)
        for digest, meta in metas.items()
    }
