"""Message mappings: what each agency receives of a declaration, under its own field
names and formats, in numbered versions. An agency that changes its format gets a new
version in force from a date; the declaration, and so the trader, sees no change."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.catalogue.profile import Profile
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.extensions import db
from singlewindow.tenants.models import Connector, MessageMapping

FORMAT_KEYS = {"date", "decimal_comma", "upper", "values"}
WHEN_KEYS = {"hs_prefixes"}


class MappingError(ValueError):
    pass


def in_force(connector_id: int, at: datetime | None = None) -> MessageMapping | None:
    """The connector's newest mapping version whose effective date has come."""
    return db.session.execute(
        select(MessageMapping)
        .where(MessageMapping.connector_id == connector_id,
               MessageMapping.effective_from <= (at or utcnow()))
        .order_by(MessageMapping.version.desc()).limit(1)).scalar_one_or_none()


def check(entries: Any, profile: Profile) -> list[dict[str, Any]]:
    """Refuse a mapping validation could not apply, naming the bad entry."""
    if not isinstance(entries, list):
        raise MappingError("elements: a list of {id, field, format, when} entries")
    clean, seen = [], set()
    for index, entry in enumerate(entries):
        where = f"elements.{index}"
        if not isinstance(entry, dict) or entry.get("id") not in profile.elements:
            raise MappingError(f"{where}.id: {entry.get('id') if isinstance(entry, dict) else entry!r}"
                               " is not an element of the catalogue profile")
        if entry["id"] in seen:
            raise MappingError(f"{where}.id: {entry['id']} is mapped twice")
        seen.add(entry["id"])
        out = {"id": entry["id"]}
        field = entry.get("field")
        if field is not None:
            if not isinstance(field, str) or not field.strip() or len(field) > 64:
                raise MappingError(f"{where}.field: the agency's name for it, up to 64 characters")
            out["field"] = field.strip()
        fmt = entry.get("format")
        if fmt:
            if not isinstance(fmt, dict) or set(fmt) - FORMAT_KEYS:
                raise MappingError(f"{where}.format: keys are {', '.join(sorted(FORMAT_KEYS))}")
            if "date" in fmt and profile.elements[entry["id"]].type != "date":
                raise MappingError(f"{where}.format.date: {entry['id']} is not a date")
            if "values" in fmt and not isinstance(fmt["values"], dict):
                raise MappingError(f"{where}.format.values: map our codes to the agency's")
            out["format"] = fmt
        when = entry.get("when")
        if when:
            if not isinstance(when, dict) or not all(isinstance(v, list) for v in when.values()):
                raise MappingError(f"{where}.when: map hs_prefixes or element ids to lists")
            unknown = [k for k in when if k not in WHEN_KEYS and k not in profile.elements]
            if unknown:
                raise MappingError(f"{where}.when: unknown condition(s) {', '.join(unknown)}")
            out["when"] = when
        clean.append(out)
    return clean


def add_version(connector: Connector, entries: Any, *, all_elements: bool, profile_version:
                ProfileVersion, created_by: str, notes: str = "",
                effective_from: datetime | None = None) -> MessageMapping:
    clean = [] if all_elements else check(entries, Profile.of(profile_version))
    if not all_elements and not clean:
        raise MappingError("elements: map at least one element, or send all of them")
    latest = db.session.execute(select(func.max(MessageMapping.version)).where(
        MessageMapping.connector_id == connector.id)).scalar() or 0
    mapping = MessageMapping(connector_id=connector.id, version=latest + 1,
                             profile_version_id=profile_version.id, all_elements=all_elements,
                             elements=clean, notes=notes, created_by=created_by,
                             effective_from=effective_from or utcnow())
    db.session.add(mapping)
    db.session.flush()
    return mapping


def _format(value: Any, fmt: dict[str, Any] | None) -> Any:
    if not fmt or value is None:
        return value
    if "values" in fmt:
        value = fmt["values"].get(str(value), value)
    if "date" in fmt and isinstance(value, str):
        value = date.fromisoformat(value).strftime(fmt["date"])
    if fmt.get("decimal_comma") and isinstance(value, str | Decimal):
        value = str(value).replace(".", ",")
    if fmt.get("upper") and isinstance(value, str):
        value = value.upper()
    return value


def _applies(when: dict[str, Any] | None, document: dict, items: list[dict]) -> bool:
    if not when:
        return True
    for key, allowed in when.items():
        if key == "hs_prefixes":
            if not any(str(i.get("hs_code", "")).startswith(tuple(allowed)) for i in items):
                return False
        elif key in document:
            if document.get(key) not in allowed:
                return False
        elif not any(i.get(key) in allowed for i in items):
            return False
    return True


def render(mapping: MessageMapping | None, document: dict[str, Any], items: list[dict[str, Any]],
           profile: Profile) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The declaration's header and the given goods items as the agency wants them."""
    def level_of(element_id: str) -> str | None:
        element = profile.elements.get(element_id)
        return element.level if element else None

    if mapping is None or mapping.all_elements:
        header = {k: v for k, v in document.items() if level_of(k) == "header"}
        return header, [dict(i) for i in items]
    header: dict[str, Any] = {}
    rows: list[dict[str, Any]] = [{} for _ in items]
    for entry in mapping.elements:
        if not _applies(entry.get("when"), document, items):
            continue
        name, fmt = entry.get("field") or entry["id"], entry.get("format")
        if level_of(entry["id"]) == "header":
            if entry["id"] in document:
                header[name] = _format(document[entry["id"]], fmt)
        else:
            for row, item in zip(rows, items, strict=True):
                if entry["id"] in item:
                    row[name] = _format(item[entry["id"]], fmt)
    for row, item in zip(rows, items, strict=True):  # an agency always knows which item
        row.setdefault("item_no", item.get("item_no"))
    return header, rows
