"""A profile version as a JSON Schema (draft 2020-12), served by the API so that trader
software can check a declaration before sending it. The platform's own validation stays
the judge: code lists too long to enumerate (HS, UN/LOCODE) are checked here by shape."""

from __future__ import annotations

from typing import Any

from singlewindow.platform.catalogue.master import Element
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.catalogue.profile import Profile

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ENUM_LIMIT = 300  # longer code lists are described, not listed
SHAPES = {"HS": r"^[0-9]{6}([0-9]{2}){0,2}$", "UNLOCODE": r"^[A-Z]{2}[A-Z2-9]{3}$",
          "ISO3166": r"^[A-Z]{2}$", "ISO4217": r"^[A-Z]{3}$", "REC20": r"^[A-Z0-9]{2,3}$",
          "REC21": r"^[A-Z0-9]{2}$"}


def _element(element: Element, profile: Profile) -> dict[str, Any]:
    out: dict[str, Any] = {"title": element.name, "description": element.definition}
    if element.wco_id:
        out["x-wco-id"] = element.wco_id
    if element.type == "text":
        out.update(type="string", maxLength=element.max_length or 512)
        if element.pattern:
            out["pattern"] = element.pattern
    elif element.type == "code":
        out["type"] = "string"
        members = profile.members(element.code_list) if element.code_list != "HS" else None
        if element.allowed:
            out["enum"] = list(element.allowed)
        elif members is not None and len(members) <= ENUM_LIMIT:
            out["enum"] = sorted(members)
        if element.code_list in SHAPES:
            out["pattern"] = SHAPES[element.code_list]
        out["x-code-list"] = element.code_list
    elif element.type in ("decimal", "amount"):
        total, decimals = element.digits or (16, 6)
        fraction = rf"(\.[0-9]{{1,{decimals}}})?" if decimals else ""
        out.update(type=["string", "number"], pattern=rf"^-?[0-9]{{1,{total - decimals}}}{fraction}$")
    elif element.type == "integer":
        out.update(type=["integer", "string"], pattern=r"^[0-9]+$")
    elif element.type == "date":
        out.update(type="string", format="date", pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    elif element.type == "boolean":
        out["type"] = ["boolean", "string"]
    elif element.type == "container":
        out.update(type="string", pattern=r"^[A-Z]{3}[UJZR][0-9]{7}$")
    return out


def _conditions(entries: list[tuple[Element, dict]], local: set[str]) -> list[dict[str, Any]]:
    rules = []
    for element, entry in entries:
        when = entry.get("required_when") or {}
        if when and set(when) <= local:  # conditions on the same object only
            rules.append({"if": {"properties": {k: {"enum": v} for k, v in when.items()},
                                 "required": list(when)},
                          "then": {"required": [element.id]}})
    return rules


def json_schema(version: ProfileVersion, url: str) -> dict[str, Any]:
    profile = Profile.of(version)
    header = [(e, entry) for e, entry in profile.used() if e.level == "header"]
    items = [(e, entry) for e, entry in profile.used() if e.level == "item"]
    item_schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False,
        "properties": {e.id: _element(e, profile) for e, _ in items},
        "required": [e.id for e, entry in items if entry.get("required")],
    }
    item_rules = _conditions(items, {e.id for e, _ in items})
    if item_rules:
        item_schema["allOf"] = item_rules
    schema: dict[str, Any] = {
        "$schema": DRAFT, "$id": url,
        "title": f"Export declaration, catalogue profile version {version.version}",
        "description": "The declaration document POSTed to /api/v1/declarations. Conditions "
                       "that span the header and goods items (such as a container number "
                       "required when the goods go by sea in containers) are checked by the "
                       "window itself.",
        "type": "object", "additionalProperties": False,
        "properties": {**{e.id: _element(e, profile) for e, _ in header},
                       "items": {"type": "array", "minItems": 1, "items": item_schema}},
        "required": [e.id for e, entry in header if entry.get("required")] + ["items"],
    }
    header_rules = _conditions(header, {e.id for e, _ in header})
    if header_rules:
        schema["allOf"] = header_rules
    return schema
