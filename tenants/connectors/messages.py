"""An agency's message: the part of a declaration one agency receives, as its message
mapping in force says (its own field names and formats), for the goods items that
concern it, with the envelope every agency gets (ids, declarant, why it is involved,
where to answer)."""

from __future__ import annotations

from typing import Any

from singlewindow.platform.catalogue.profile import Profile
from singlewindow.tenants.connectors.mapping import render
from singlewindow.tenants.models import MessageMapping


def build(*, message_key: str, tenant_slug: str, agency_code: str, declaration_id: int,
          declarant: dict[str, str], document: dict[str, Any], items: list[int],
          mapping: MessageMapping | None, profile: Profile, callback_url: str,
          reasons: list[dict[str, Any]]) -> dict[str, Any]:
    chosen = set(items)
    goods = [item for item in document.get("items", []) if item.get("item_no") in chosen]
    data, rows = render(mapping, document, goods, profile)
    return {
        "message_id": message_key,
        "message_type": "export_declaration",
        "window": tenant_slug,
        "agency": agency_code,
        "declaration": {"id": declaration_id, "declarant": declarant,
                        "catalogue_profile_version": profile.version,
                        "mapping_version": mapping.version if mapping else None},
        "data": data,
        "items": rows,
        "routing": reasons,
        "callback_url": callback_url,
    }
