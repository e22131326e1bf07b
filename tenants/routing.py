"""Routing: which agencies must see a declaration, and why.

A rule's conditions are ANDed; a list inside one condition is ORed. Goods-item
conditions (`hs_prefixes`, `origin_countries`) must hold for the same goods item, and the
items that match are the ones that agency is sent. Header conditions
(`transport_modes`, `destination_countries`, `min_total_value`, `elements`) look at the
declaration as a whole. A rule with no conditions matches every declaration.

Several rules may bring in the same agency: the agency is consulted once, its answer is
required for release if any matching rule says so, it receives the union of the items
its rules matched (all items if any matching rule has no item condition), and every
matching rule is kept as a reason. Rules are evaluated in priority order (lower first),
which is also the order the reasons are shown in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from singlewindow.platform.reference import codes

ITEM_CONDITIONS = ("hs_prefixes", "origin_countries")
HEADER_CONDITIONS = ("transport_modes", "destination_countries", "min_total_value", "elements")
KNOWN_CONDITIONS = ITEM_CONDITIONS + HEADER_CONDITIONS


class RuleError(ValueError):
    pass


def check_conditions(conditions: dict[str, Any], where: str = "conditions") -> dict[str, Any]:
    """Refuse a rule whose conditions the router would not understand."""
    if not isinstance(conditions, dict):
        raise RuleError(f"{where}: must be an object")
    for key, value in conditions.items():
        if key not in KNOWN_CONDITIONS:
            raise RuleError(f"{where}.{key}: unknown condition; use one of "
                            f"{', '.join(KNOWN_CONDITIONS)}")
        if key == "min_total_value":
            try:
                Decimal(str(value))
            except ArithmeticError:
                raise RuleError(f"{where}.{key}: {value!r} is not a number") from None
        elif key == "elements":
            if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
                raise RuleError(f"{where}.{key}: must map element ids to lists of values")
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RuleError(f"{where}.{key}: must be a list of strings")
        elif key == "hs_prefixes" and not all(v.isdigit() and len(v) % 2 == 0 for v in value):
            raise RuleError(f"{where}.{key}: HS prefixes are 2, 4, 6, 8 or 10 digits")
    return conditions


@dataclass(frozen=True)
class RuleLike:
    """What routing needs of a rule (a RoutingRule row or a rule being tested)."""

    code: str
    name: str
    agency_id: int
    required: bool
    priority: int
    conditions: dict[str, Any]


@dataclass
class Reason:
    rule: str
    rule_name: str
    detail: str
    items: list[int] | None  # None: the rule is about the whole declaration

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "rule_name": self.rule_name, "detail": self.detail,
                "items": self.items}


@dataclass
class Route:
    agency_id: int
    required: bool = False
    all_items: bool = False
    items: set[int] = field(default_factory=set)
    reasons: list[Reason] = field(default_factory=list)

    def item_numbers(self, document: dict[str, Any]) -> list[int]:
        if self.all_items:
            return [item["item_no"] for item in document.get("items", [])]
        return sorted(self.items)


def _item_matches(rule: RuleLike, item: dict[str, Any]) -> list[str] | None:
    """Why an item matches the rule's item conditions, or None if it does not."""
    c = rule.conditions
    why: list[str] = []
    if "hs_prefixes" in c:
        prefix = next((p for p in c["hs_prefixes"] if item.get("hs_code", "").startswith(p)), None)
        if prefix is None:
            return None
        why.append(f"HS {prefix}")
    if "origin_countries" in c:
        if item.get("origin_country") not in c["origin_countries"]:
            return None
        why.append(f"origin {item.get('origin_country')}")
    return why


def _header_matches(rule: RuleLike, document: dict[str, Any]) -> list[str] | None:
    c = rule.conditions
    why: list[str] = []
    if "transport_modes" in c:
        mode = document.get("transport_mode")
        if mode not in c["transport_modes"]:
            return None
        why.append(f"transport mode {mode} ({codes.TRANSPORT_MODES.get(mode, '?').lower()})")
    if "destination_countries" in c:
        dest = document.get("destination_country")
        if dest not in c["destination_countries"]:
            return None
        why.append(f"destination {dest}")
    if "min_total_value" in c:
        total = sum((Decimal(i.get("item_value") or 0) for i in document.get("items", [])),
                    Decimal(0))
        if total < Decimal(str(c["min_total_value"])):
            return None
        why.append(f"total value {total} is at least {c['min_total_value']}")
    for element_id, values in c.get("elements", {}).items():
        if document.get(element_id) not in values:
            return None
        why.append(f"{element_id} = {document.get(element_id)}")
    return why


def route(document: dict[str, Any], rules: Iterable[RuleLike]) -> list[Route]:
    """The agencies a validated document must go to, each with its reasons."""
    routes: dict[int, Route] = {}
    items = document.get("items", [])
    for rule in sorted(rules, key=lambda r: (r.priority, r.code)):
        header_why = _header_matches(rule, document)
        if header_why is None:
            continue
        has_item_conditions = any(k in rule.conditions for k in ITEM_CONDITIONS)
        matched: list[int] = []
        item_why: list[str] = []
        if has_item_conditions:
            for item in items:
                why = _item_matches(rule, item)
                if why is not None:
                    matched.append(item["item_no"])
                    item_why.extend(w for w in why if w not in item_why)
            if not matched:
                continue
        r = routes.setdefault(rule.agency_id, Route(rule.agency_id))
        r.required = r.required or rule.required
        if has_item_conditions:
            r.items.update(matched)
        else:
            r.all_items = True
        parts = item_why + header_why
        if has_item_conditions:
            parts.append("goods item" + ("s " if len(matched) > 1 else " ")
                         + ", ".join(map(str, matched)))
        detail = "; ".join(parts) if parts else "every declaration"
        r.reasons.append(Reason(rule.code, rule.name, detail,
                                matched if has_item_conditions else None))
    return list(routes.values())
