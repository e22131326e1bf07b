"""An agency's message set: the part of a declaration one agency receives, in its own
field names (the connector's field map), for the goods items that concern it."""

from __future__ import annotations

from typing import Any

from singlewindow.platform.catalogue.master import elements


def build(*, message_key: str, tenant_slug: str, agency_code: str, declaration_id: int,
          declarant: dict[str, str], document: dict[str, Any], items: list[int],
          message_set: list[str], field_map: dict[str, str], callback_url: str,
          profile_version: int, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    catalogue = elements()
    wanted = set(message_set) if message_set else None

    def keep(element_id: str) -> bool:
        return wanted is None or element_id in wanted or element_id == "item_no"

    def mapped(values: dict[str, Any], level: str) -> dict[str, Any]:
        return {
            field_map.get(k, k): v
            for k, v in values.items()
            if k in catalogue and catalogue[k].level == level and keep(k)
        }

    chosen = set(items)
    return {
        "message_id": message_key,
        "message_type": "export_declaration",
        "window": tenant_slug,
        "agency": agency_code,
        "declaration": {"id": declaration_id, "declarant": declarant,
                        "catalogue_profile_version": profile_version},
        "data": mapped(document, "header"),
        "items": [mapped(item, "item") for item in document.get("items", [])
                  if item.get("item_no") in chosen],
        "routing": reasons,
        "callback_url": callback_url,
    }
