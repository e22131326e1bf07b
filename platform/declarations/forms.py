"""The portal's declaration form, generated from the tenant's catalogue profile version.

It holds no rules of its own: it turns form fields into the same document the API takes
(header element ids, and `items` as a list), and the catalogue schema validates it.
Field names: `<element id>` for the header, `items-<n>-<element id>` for goods items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from singlewindow.platform.auth.models import Company
from singlewindow.platform.catalogue.master import Element
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.catalogue.profile import Profile

_ITEM_FIELD = re.compile(r"^items-(\d{1,3})-([a-z0-9_]+)$")
MAX_ITEMS = 999


@dataclass
class DeclarationForm:
    header: list[tuple[Element, bool]]
    item_fields: list[tuple[Element, bool]]
    values: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def _fields(cls, version: ProfileVersion):
        header, item = [], []
        for element, entry in Profile.of(version).used():
            (item if element.level == "item" else header).append(
                (element, bool(entry.get("required"))))
        return header, item

    @classmethod
    def blank(cls, version: ProfileVersion, company: Company) -> DeclarationForm:
        header, item = cls._fields(version)
        values = {"exporter_name": company.name, "exporter_tax_id": company.tax_id}
        return cls(header, item, values, [{"item_no": "1"}])

    @classmethod
    def from_request(cls, version: ProfileVersion, form, company: Company) -> DeclarationForm:
        header, item = cls._fields(version)
        values = {e.id: form.get(e.id, "") for e, _ in header}
        rows: dict[int, dict[str, str]] = {}
        for key in form:
            m = _ITEM_FIELD.match(key)
            if m and int(m[1]) < MAX_ITEMS:
                rows.setdefault(int(m[1]), {})[m[2]] = form.get(key, "")
        items = [rows[i] for i in sorted(rows)]
        if "add_item" in form:
            items.append({"item_no": str(len(items) + 1)})
        return cls(header, item, values, items or [{"item_no": "1"}])

    @classmethod
    def from_draft(cls, version: ProfileVersion, document: dict[str, Any]) -> DeclarationForm:
        """A saved draft back in the form (elements the profile no longer has are dropped)."""
        header, item = cls._fields(version)
        values = {e.id: str(document.get(e.id, "")) for e, _ in header}
        items = [{k: str(v) for k, v in row.items()} for row in document.get("items", [])
                 if isinstance(row, dict)]
        return cls(header, item, values, items or [{"item_no": "1"}])

    def payload(self, keep_blank_items: bool = False) -> dict[str, Any]:
        """The document as the catalogue schema takes it; blank goods-item rows dropped
        (kept when saving a draft, so the trader finds the form as they left it)."""
        known = {e.id for e, _ in self.item_fields}
        items = [
            {k: v for k, v in row.items() if k in known}
            for row in self.items
            if keep_blank_items or any((v or "").strip() for k, v in row.items() if k != "item_no")
        ]
        return {**{k: v for k, v in self.values.items()}, "items": items}


def errors_by_field(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Form field name -> messages, so each field shows its own errors."""
    result: dict[str, list[str]] = {}
    for e in errors:
        name = e["element"] if e.get("item") is None else f"item-{e['item']}-{e['element']}"
        result.setdefault(name, []).append(e["message"])
    return result
