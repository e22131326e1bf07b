"""Validation of a declaration against a tenant's catalogue profile version.

The marshmallow schema is built from the profile version (its elements, required,
optional or required when a condition holds, each with the type, format and code list
the catalogue gives) and cached per (tenant, version): a published version never changes,
so neither does its schema. It is the one shape of a declaration: the API, the CSV import
and the portal form all pass their input through it.

Errors are structured: element id and name, goods item number, a code and a message that
says what is wrong and how to fix it.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load

from singlewindow.platform.catalogue.fields import FIELD_TYPES, NUMBER, BooleanField, error, plain
from singlewindow.platform.catalogue.master import Element
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.catalogue.profile import Profile
from singlewindow.platform.reference import codes

ITEMS = "items"


@dataclass(frozen=True)
class ElementError:
    element: str
    element_name: str
    item: int | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"goods item {self.item}, " if self.item is not None else ""
        return f"{where}{self.element}: {self.message}"


class DeclarationInvalid(Exception):
    def __init__(self, errors: list[ElementError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _is_leaf(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"code", "message"}


def _field(element: Element, required: bool, profile: Profile) -> fields.Field:
    messages = {
        "required": error("required", f"{element.name} is required"),
        "null": error("required", f"{element.name} is required"),
    }
    return FIELD_TYPES[element.type](element, profile, required=required,
                                     error_messages=messages)


class _Base(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {
        "unknown": error("unknown_element", "is not a data element of this window's catalogue"),
        "type": error("invalid_type", "must be an object"),
    }

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        """Blank cells and empty form fields mean "not given", never an empty value."""
        if not isinstance(data, dict):
            return data
        # The fields strip what they read; only rebuild when something must go.
        if all(v is not None and (v.__class__ is not str or v.strip()) for v in data.values()):
            return data
        return {k: v for k, v in data.items()
                if not (v is None or (isinstance(v, str) and not v.strip()))}


class GoodsItems(fields.Field):
    """The goods items, each read element by element with the item level's catalogue
    fields, the way a nested schema would (unknown elements refused, blanks not given,
    required ones reported) but without a schema load per item, which cost three times
    as much on a 100-item declaration (infra/bench/validation.py)."""

    def __init__(self, item_fields: dict[str, fields.Field], **kwargs):
        super().__init__(**kwargs)
        self.item_fields = item_fields
        for name, field in item_fields.items():
            field._bind_to_schema(name, self)

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError(error("invalid_type", "must be a list of goods items"))
        if not value:
            raise ValidationError(error("required", "a declaration needs at least one goods item"))
        loaded: list[dict] = []
        errors: dict[int, dict] = {}
        seen: set[int] = set()
        for index, raw in enumerate(value):
            if not isinstance(raw, dict):
                errors[index] = error("invalid_type", "must be an object of the item's elements")
                continue
            item, found = self._load_item(raw)
            no = item.get("item_no")
            if no is not None and no in seen:
                found.setdefault("item_no", []).append(
                    error("duplicate", f"goods item {no} appears twice"))
            seen.add(no)
            if found:
                errors[index] = found
            loaded.append(item)
        if errors:
            raise ValidationError(errors)
        return loaded

    def _load_item(self, raw: dict) -> tuple[dict, dict[str, list]]:
        item: dict[str, Any] = {}
        found: dict[str, list] = {}
        for name in raw.keys() - self.item_fields.keys():
            found[name] = [_UNKNOWN]
        for name, field in self.item_fields.items():
            value = raw.get(name)
            if value is None or (value.__class__ is str and not value.strip()):
                if field.required:
                    found[name] = [field.error_messages["required"]]
                continue
            try:
                item[name] = field._deserialize(value, name, raw)
            except ValidationError as err:
                found[name] = err.messages if isinstance(err.messages, list) else [err.messages]
        gross, net = item.get("gross_mass_kg"), item.get("net_mass_kg")
        if gross is not None and net is not None and Decimal(gross) < Decimal(net):
            found.setdefault("gross_mass_kg", []).append(
                error("gross_below_net", f"gross mass ({gross}) is below net mass ({net})"))
        return item, found


_UNKNOWN = error("unknown_element", "is not a data element of this window's catalogue")


def build_schema(version: ProfileVersion) -> Schema:
    profile = Profile.of(version)
    header: dict[str, fields.Field] = {}
    item: dict[str, fields.Field] = {}
    for element, entry in profile.used():
        target = item if element.level == "item" else header
        target[element.id] = _field(element, bool(entry.get("required")), profile)
    header[ITEMS] = GoodsItems(
        item,
        required=True,
        error_messages={"required": error("required", "a declaration needs at least one goods item"),
                        "null": error("required", "a declaration needs at least one goods item")},
    )
    schema = _Base.from_dict(header, name=f"Declaration_v{version.id}")()
    schema.context_profile = profile  # for the checks that run after the fields
    return schema


_cache: dict[tuple[int, int], Schema] = {}
_cache_lock = threading.Lock()


def schema_for(version: ProfileVersion) -> Schema:
    if not version.is_published:  # drafts change; only published versions are cached
        return build_schema(version)
    key = (version.tenant_id, version.id)
    schema = _cache.get(key)
    if schema is None:
        with _cache_lock:
            schema = _cache.setdefault(key, build_schema(version))
    return schema


def validate(version: ProfileVersion, payload: Any) -> dict[str, Any]:
    """Return the canonical document (codes as strings, decimals as exact strings, dates
    as YYYY-MM-DD), or raise DeclarationInvalid with every error found."""
    schema = schema_for(version)
    profile: Profile = schema.context_profile
    try:
        loaded = schema.load(payload)
    except ValidationError as err:
        found = flatten(err.messages, payload, profile)
        found += _minor_unit_errors(payload, found, profile)
        found += _conditional_errors(payload, found, profile)
        raise DeclarationInvalid(_sorted(found, profile)) from None
    found = _minor_unit_errors(payload, [], profile) + _conditional_errors(payload, [], profile)
    if found:
        raise DeclarationInvalid(_sorted(found, profile))
    return loaded  # every field loads to its canonical form: no dump needed


def _item_no(payload: Any, index: int) -> int:
    try:
        return int(str(payload["items"][index].get("item_no")).strip())
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):
        return index + 1


def _raw_items(payload: Any) -> list[tuple[int, dict]]:
    if not isinstance(payload, dict) or not isinstance(payload.get(ITEMS), list):
        return []
    return [(i, item) for i, item in enumerate(payload[ITEMS]) if isinstance(item, dict)]


def _minor_unit_errors(payload: Any, known: list[ElementError],
                       profile: Profile) -> list[ElementError]:
    """Amounts may not have more decimals than their currency's ISO 4217 minor unit.
    Checked on the raw input, so it is reported alongside any other error (marshmallow's
    schema-level checks would be skipped when a field has failed)."""
    if not isinstance(payload, dict):
        return []
    currency = str(payload.get("invoice_currency") or "").strip().upper()
    minor = codes.lists().currencies.get(currency)
    if minor is None:
        return []
    taken = {(e.item, e.element) for e in known}
    amounts = [e for e, _ in profile.used()
               if e.type == "amount" and e.currency_element == "invoice_currency"]
    found: list[ElementError] = []

    def check(element: Element, raw: Any, item: int | None) -> None:
        if isinstance(raw, str) and NUMBER.match(raw.strip()):
            value = Decimal(raw.strip())
        elif isinstance(raw, Decimal | int) and not isinstance(raw, bool):
            value = Decimal(raw)
        else:
            return
        places = max(0, -value.as_tuple().exponent)
        if places <= minor or value == value.quantize(Decimal(1).scaleb(-minor)) or \
                (item, element.id) in taken:
            return
        unit = "has no minor unit" if minor == 0 else f"has {minor} decimals"
        found.append(ElementError(element.id, element.name, item, "too_many_decimals",
                                  f"{currency} {unit}; {plain(value)} has too many decimals "
                                  "for the currency"))

    for element in amounts:
        if element.level == "header":
            check(element, payload.get(element.id), None)
        else:
            for index, item in _raw_items(payload):
                check(element, item.get(element.id), _item_no(payload, index))
    return found


def _given(value: Any) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def _holds(values: dict, payload: dict, key: str, allowed: list) -> bool:
    """Whether the element `key` (the item's own, else the header's) has one of `allowed`,
    read the way its field reads it (yes/true/1 for a yes-or-no; codes in any case)."""
    raw = values.get(key, payload.get(key))
    if any(isinstance(a, bool) for a in allowed):
        text = str(raw).strip().lower()
        value = raw if isinstance(raw, bool) else True if text in BooleanField.TRUE else \
            False if text in BooleanField.FALSE else None
        return value in allowed
    return str(raw).strip().upper() in [str(a).strip().upper() for a in allowed]


def _conditional_errors(payload: Any, known: list[ElementError],
                        profile: Profile) -> list[ElementError]:
    """Elements required only when others hold given values (e.g. the container number
    when the goods go by sea in containers)."""
    if not isinstance(payload, dict):
        return []
    taken = {(e.item, e.element) for e in known}
    found: list[ElementError] = []
    for element, entry in profile.used():
        when = entry.get("required_when")
        if not when:
            continue
        places = [(None, payload)] if element.level == "header" else \
            [(_item_no(payload, i), item) for i, item in _raw_items(payload)]
        for item_no, values in places:
            if all(_holds(values, payload, k, v) for k, v in when.items()) \
                    and not _given(values.get(element.id)) \
                    and (item_no, element.id) not in taken:
                why = " and ".join(f"{profile.elements[k].name if k in profile.elements else k} "
                                   f"is {' or '.join(map(_shown, v))}" for k, v in when.items())
                found.append(ElementError(element.id, element.name, item_no, "required",
                                          f"{element.name} is required when {why}"))
    return found


def _shown(value: Any) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def _sorted(errors: list[ElementError], profile: Profile) -> list[ElementError]:
    """In form order: the header first, then each goods item, elements as the profile
    lists them."""
    order = {element_id: n for n, element_id in enumerate(profile.elements)}
    return sorted(errors, key=lambda e: (e.item or 0, order.get(e.element, len(order))))


def flatten(messages: Any, payload: Any, profile: Profile) -> list[ElementError]:
    result: list[ElementError] = []

    def add(element_id: str, item: int | None, leaf: Any) -> None:
        name = profile.elements[element_id].name if element_id in profile.elements else \
            "Goods items" if element_id == ITEMS else element_id
        for one in leaf if isinstance(leaf, list) else [leaf]:
            if _is_leaf(one):
                result.append(ElementError(element_id, name, item, one["code"], one["message"]))
            else:
                result.append(ElementError(element_id, name, item, "invalid", str(one)))

    if not isinstance(messages, dict):
        return [ElementError("_schema", "declaration", None, "invalid", str(messages))]
    for key, value in messages.items():
        if key == ITEMS and isinstance(value, dict) and not _is_leaf(value):
            for index, item_errors in value.items():
                if not isinstance(index, int):
                    add(ITEMS, None, item_errors)
                    continue
                if not isinstance(item_errors, dict) or _is_leaf(item_errors):
                    add(ITEMS, _item_no(payload, index), item_errors)
                    continue
                for element_id, leaf in item_errors.items():
                    add(element_id, _item_no(payload, index), leaf)
        else:
            add(key, None, value)
    return result
