"""Rules for a tenant's catalogue profile versions: which one is in force, and what a
well-formed version is. Versions are only ever added (see governance.py for how a change
becomes one); a published version is never edited."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from singlewindow.platform.catalogue.master import TYPES, Element, catalogue_version, elements
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.catalogue.profile import TENANT_LIST, Profile
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.extensions import db

NATIONAL_ID = re.compile(r"^nat_[a-z0-9_]{2,40}$")
LIST_NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")


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


def latest_version() -> ProfileVersion | None:
    """The newest published version, in force or scheduled: what the next change builds on."""
    return db.session.execute(
        select(ProfileVersion).where(ProfileVersion.status == "published")
        .order_by(ProfileVersion.version.desc()).limit(1)).scalar_one_or_none()


def versions() -> list[ProfileVersion]:
    return list(db.session.execute(
        select(ProfileVersion).order_by(ProfileVersion.version.desc())).scalars())


@dataclass
class Content:
    """What a version holds, before it is published."""

    elements: list[dict[str, Any]]
    national_elements: list[dict[str, Any]] = field(default_factory=list)
    code_lists: dict[str, Any] = field(default_factory=dict)
    tariff_lines: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, version: ProfileVersion) -> Content:
        return cls([dict(e) for e in version.elements],
                   [dict(e) for e in version.national_elements or []],
                   {k: {"name": v["name"], "values": dict(v["values"])}
                    for k, v in (version.code_lists or {}).items()},
                   dict(version.tariff_lines or {}))


def check_national(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """A national element is defined like a master one; its id starts with nat_."""
    element_id = raw.get("id", "")
    if not NATIONAL_ID.match(element_id or ""):
        raise ProfileError(f"{where}.id: {element_id!r}: national element ids are nat_ followed "
                           "by lower-case letters, digits and underscores")
    if element_id in elements():
        raise ProfileError(f"{where}.id: {element_id!r} is a master element")
    for key in ("name", "definition", "format"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ProfileError(f"{where}.{key}: required")
    if raw.get("level") not in ("header", "item"):
        raise ProfileError(f"{where}.level: 'header' or 'item'")
    if raw.get("type") not in TYPES or raw.get("type") == "amount":
        raise ProfileError(f"{where}.type: one of {', '.join(t for t in TYPES if t != 'amount')}")
    if raw["type"] == "code" and not raw.get("code_list"):
        raise ProfileError(f"{where}.code_list: a code element names its code list")
    try:
        return Element.from_dict(raw, national=True).as_dict() | {"national": True}
    except TypeError as exc:
        raise ProfileError(f"{where}: {exc}") from None


def check(content: Content) -> Content:
    """Refuse a version that validation could not use, naming the bad field."""
    national = {}
    for index, raw in enumerate(content.national_elements):
        clean = check_national(raw, f"national_elements.{index}")
        if clean["id"] in national:
            raise ProfileError(f"national_elements.{index}.id: {clean['id']!r} is defined twice")
        national[clean["id"]] = clean
    for name, lst in content.code_lists.items():
        if not LIST_NAME.match(name):
            raise ProfileError(f"code_lists.{name}: list names are upper-case letters, digits, _")
        if not isinstance(lst.get("values"), dict) or not lst["values"]:
            raise ProfileError(f"code_lists.{name}.values: give at least one code")
    for code in content.tariff_lines:
        if not (code.isdigit() and len(code) in (8, 10)):
            raise ProfileError(f"tariff_lines.{code}: a national line has 8 or 10 digits")
    known = {**elements(), **{k: Element.from_dict(v, national=True) for k, v in national.items()}}
    seen: set[str] = set()
    clean_entries = []
    for index, entry in enumerate(content.elements):
        element_id = entry.get("id")
        if element_id not in known:
            raise ProfileError(f"elements.{index}.id: {element_id!r} is not in the master "
                               "catalogue nor a national element of this profile")
        if element_id in seen:
            raise ProfileError(f"elements.{index}.id: {element_id!r} is listed twice")
        seen.add(element_id)
        element = known[element_id]
        if element.code_list and element.code_list.startswith(TENANT_LIST) and \
                element.code_list[len(TENANT_LIST):] not in content.code_lists:
            raise ProfileError(f"elements.{index}: {element_id} uses the list "
                               f"{element.code_list[len(TENANT_LIST):]}, which this profile lacks")
        clean = {"id": element_id, "required": bool(entry.get("required", False))}
        when = entry.get("required_when")
        if when:
            if not isinstance(when, dict) or not all(isinstance(v, list) for v in when.values()):
                raise ProfileError(f"elements.{index}.required_when: map element ids to lists "
                                   "of values")
            unknown = [k for k in when if k not in known]
            if unknown:
                raise ProfileError(f"elements.{index}.required_when: unknown element(s) "
                                   f"{', '.join(unknown)}")
            clean["required_when"] = when
        clean_entries.append(clean)
    if not any(known[e["id"]].level == "item" for e in clean_entries):
        raise ProfileError("elements: a profile needs at least one goods-item element")
    used_national = [national[e["id"]] for e in clean_entries if e["id"] in national]
    return Content(clean_entries, used_national, content.code_lists, content.tariff_lines)


def publish(content: Content, notes: str = "", effective_from: datetime | None = None
            ) -> ProfileVersion:
    """Add and publish the next version; earlier versions stay as they were."""
    clean = check(content)
    latest = db.session.execute(select(func.max(ProfileVersion.version))).scalar() or 0
    now = utcnow()
    version = ProfileVersion(
        version=latest + 1, status="published", master_version=catalogue_version(),
        elements=clean.elements, national_elements=clean.national_elements,
        code_lists=clean.code_lists, tariff_lines=clean.tariff_lines, notes=notes,
        published_at=now, effective_from=effective_from or now,
    )
    db.session.add(version)
    db.session.flush()
    return version


def publish_new_version(entries: list[dict], notes: str = "",
                        effective_from: datetime | None = None) -> ProfileVersion:
    """The first version of a profile, from a template's element list."""
    return publish(Content(entries), notes, effective_from)


def profile(version: ProfileVersion) -> Profile:
    return Profile.of(version)
