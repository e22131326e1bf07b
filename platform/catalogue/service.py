"""Rules for a tenant's catalogue profile versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from singlewindow.platform.catalogue.master import catalogue_version, elements
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.extensions import db


class ProfileError(ValueError):
    pass


class NoPublishedProfile(LookupError):
    pass


def current_version(at: datetime | None = None) -> ProfileVersion:
    """The published version in force now (or at `at`) for the bound tenant."""
    at = at or utcnow()
    version = db.session.execute(
        select(ProfileVersion)
        .where(ProfileVersion.status == "published", ProfileVersion.effective_from <= at)
        .order_by(ProfileVersion.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    if version is None:
        raise NoPublishedProfile("this window has no published catalogue profile yet")
    return version


def check_profile_elements(entries: list[dict]) -> list[dict]:
    """Validate a profile's element list against the master catalogue."""
    catalogue = elements()
    seen: set[str] = set()
    clean: list[dict] = []
    for index, entry in enumerate(entries):
        element_id = entry.get("id")
        if element_id not in catalogue:
            raise ProfileError(f"elements[{index}].id: {element_id!r} is not in the master catalogue")
        if element_id in seen:
            raise ProfileError(f"elements[{index}].id: {element_id!r} is listed twice")
        seen.add(element_id)
        clean.append({"id": element_id, "required": bool(entry.get("required", False))})
    if not any(catalogue[e["id"]].level == "item" for e in clean):
        raise ProfileError("elements: a profile needs at least one goods-item element")
    return clean


def publish_new_version(entries: list[dict], notes: str = "",
                        effective_from: datetime | None = None) -> ProfileVersion:
    """Add and publish the next version; earlier versions stay as they were."""
    clean = check_profile_elements(entries)
    latest = db.session.execute(select(func.max(ProfileVersion.version))).scalar() or 0
    now = utcnow()
    version = ProfileVersion(
        version=latest + 1,
        status="published",
        master_version=catalogue_version(),
        elements=clean,
        notes=notes,
        published_at=now,
        effective_from=effective_from or now,
    )
    db.session.add(version)
    return version
