"""Validation of a declaration against a tenant's catalogue profile version.

The marshmallow schema is built from the profile version (its elements, required or
optional, each with the type, format and code list the master catalogue gives) and cached
per (tenant, version): a published version never changes, so neither does its schema.
It is the one shape of a declaration: the API, the CSV import and the portal form all
pass their input through it.

Errors are structured: element id and name, goods item number, a code and a message that
says what is wrong and how to fix it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validates_schema

from singlewindow.platform.catalogue.master import Element, elements
from singlewindow.platform.catalogue.models import ProfileVersion
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


def _e(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _is_leaf(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"code", "message"}


# Common slips, so the message can say what was probably meant.
_HINTS = {
    "ISO4217": {"RMB": "CNY", "UKP": "GBP", "STG": "GBP", "NTD": "TWD", "YEN": "JPY"},
    "ISO3166": {"UK": "GB", "EN": "GB"},
    "REC19": {"SEA": "1", "RAIL": "2", "ROAD": "3", "AIR": "4", "MAIL": "5", "POST": "5"},
}

_LIST_NAMES = {
    "ISO3166": "an ISO 3166-1 alpha-2 country code",
    "ISO4217": "an ISO 4217 currency code",
    "UNLOCODE": "a UN/LOCODE",
    "REC19": "a UN/ECE Recommendation 19 transport mode code",
    "REC20": "a current UNECE Recommendation 20 unit code",
    "REC21": "a current UNECE Recommendation 21 package type code",
    "INCOTERMS2020": "an Incoterms 2020 rule",
}


def _members(code_list: str) -> dict[str, Any] | frozenset[str]:
    lists = codes.lists()
    return {
        "ISO3166": lists.countries,
        "ISO4217": lists.currencies,
        "UNLOCODE": lists.locodes,
        "REC19": codes.TRANSPORT_MODES,
        "REC20": lists.units,
        "REC21": lists.package_types,
        "INCOTERMS2020": codes.INCOTERMS_2020,
    }[code_list]


def _unstorable(text: str) -> str | None:
    """The first character no declaration may carry: control characters (tab and line
    breaks apart), unpaired surrogates, Unicode non-characters."""
    for ch in text:
        kind = unicodedata.category(ch)
        if (kind == "Cc" and ch not in "\t\n\r") or kind == "Cs" or \
                (0xFDD0 <= ord(ch) <= 0xFDEF) or (ord(ch) & 0xFFFE) == 0xFFFE:
            return f"U+{ord(ch):04X}"
    return None


class TextField(fields.Field):
    def __init__(self, element: Element, **kwargs):
        super().__init__(**kwargs)
        self.element = element

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationError(_e("invalid_type", "must be text"))
        value = str(value).strip()
        bad = _unstorable(value)
        if bad:
            raise ValidationError(_e("invalid_character", f"contains a character that cannot "
                                                          f"be declared ({bad}); remove it"))
        limit = self.element.max_length
        if limit and len(value) > limit:
            raise ValidationError(
                _e("too_long", f"is {len(value)} characters long; the format "
                               f"{self.element.format} allows at most {limit}")
            )
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class CodeField(TextField):
    def _deserialize(self, value, attr, data, **kwargs):
        # No length check: the code list says what is valid, and says it better.
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationError(_e("invalid_type", "must be a code, as text"))
        value = str(value).strip().upper()
        if _unstorable(value) or len(value) > 64:
            raise ValidationError(_e("not_in_code_list",
                                     f"is not {_LIST_NAMES.get(self.element.code_list, 'a code')}"))
        code_list = self.element.code_list
        if code_list == "HS":
            return _check_hs(value)
        if value not in _members(code_list):
            hint = _HINTS.get(code_list, {}).get(value)
            message = f"{value} is not {_LIST_NAMES[code_list]}"
            if code_list == "REC20" and value in codes.lists().retired_units:
                message = f"{value} is a deleted or deprecated Recommendation 20 unit code"
            elif hint and code_list == "REC19":
                message += f" ({codes.TRANSPORT_MODES[hint].lower()} is {hint})"
            elif hint:
                message += f" (did you mean {hint}?)"
            raise ValidationError(_e("not_in_code_list", message))
        allowed = self.element.allowed
        if allowed and value not in allowed:
            label = codes.TRANSPORT_MODES.get(value, value) if code_list == "REC19" else value
            raise ValidationError(
                _e("not_allowed", f"{value} ({label}) is not accepted here; use one of "
                                  f"{', '.join(allowed)}")
            )
        return value


def _check_hs(value: str) -> str:
    compact = re.sub(r"[\s.]", "", value)
    if not compact.isdigit():
        raise ValidationError(_e("invalid_format", f"{value} is not an HS code: use digits only"))
    hs = codes.lists().hs
    n = len(compact)
    if n < 6:
        if n == 5 and ("0" + compact) in hs and hs["0" + compact][0] == 6:
            raise ValidationError(_e(
                "hs_too_short",
                f"{compact} has 5 digits; a 6-digit HS code must keep its leading zero "
                f"(0{compact})",
            ))
        kind = {2: "a chapter (2 digits)", 4: "a heading (4 digits)"}.get(n, f"{n} digits")
        raise ValidationError(_e(
            "hs_too_short",
            f"{compact} is {kind}; a goods item needs at least a 6-digit HS subheading",
        ))
    if n not in (6, 8, 10):
        raise ValidationError(_e(
            "invalid_format",
            f"{compact} has {n} digits; use a 6-digit HS subheading or an 8- or 10-digit "
            "national tariff line",
        ))
    sub = compact[:6]
    if sub not in hs or hs[sub][0] != 6:
        raise ValidationError(_e(
            "hs_unknown", f"{sub} does not exist in the HS 2022 nomenclature"
        ))
    return compact


_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


class DecimalField(fields.Field):
    """Exact decimals in the element's format; never a float on the way in or out."""

    def __init__(self, element: Element, **kwargs):
        super().__init__(**kwargs)
        self.element = element

    def _deserialize(self, value, attr, data, **kwargs):
        fmt = self.element.format
        if isinstance(value, bool):
            raise ValidationError(_e("invalid_type", "must be a number, not true or false"))
        if isinstance(value, float):
            raise ValidationError(_e(
                "invalid_type", "send decimals as strings or exact JSON numbers, not floats"))
        shown = str(value).strip() if isinstance(value, str) else _plain(value)
        if isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent <= 0:
            number = value
        elif isinstance(value, str) and _NUMBER.match(value.strip()):
            number = Decimal(value.strip())
        else:
            raise ValidationError(_e(
                "invalid_format",
                f"'{shown[:40]}' is not a number in the declared format ({fmt}): use digits and "
                "a decimal point, with no thousands separators or exponent",
            ))
        total, decimals = self.element.digits or (16, 6)
        _, digits, exponent = number.as_tuple()
        places = max(0, -exponent)
        int_digits = max(0, len(digits) + exponent)
        if places > decimals:
            raise ValidationError(_e(
                "too_many_decimals", f"{shown} has {places} decimals; {fmt} allows {decimals}"))
        if int_digits > total - decimals:
            raise ValidationError(_e("out_of_range", f"{shown} has too many digits for {fmt}"))
        if self.element.min_exclusive is not None and number <= Decimal(self.element.min_exclusive):
            raise ValidationError(_e(
                "out_of_range", f"must be greater than {self.element.min_exclusive} (got {shown})"))
        if self.element.min is not None and number < Decimal(self.element.min):
            raise ValidationError(_e(
                "out_of_range", f"must be at least {self.element.min} (got {shown})"))
        return number

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)


class IntegerField(fields.Field):
    def __init__(self, element: Element, **kwargs):
        super().__init__(**kwargs)
        self.element = element

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError(_e("invalid_type", "must be a whole number"))
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        elif isinstance(value, Decimal) and value == value.to_integral_value():
            number = int(value)
        else:
            raise ValidationError(_e("invalid_format", f"'{value}' is not a whole number"))
        limit = self.element.max_length
        if limit and len(str(abs(number))) > limit:
            raise ValidationError(_e("out_of_range", f"{number} has more than {limit} digits"))
        if self.element.min is not None and number < int(self.element.min):
            raise ValidationError(_e(
                "out_of_range", f"must be at least {self.element.min} (got {number})"
            ))
        return number

    def _serialize(self, value, attr, obj, **kwargs):
        return value


_FIELD_TYPES = {
    "text": TextField,
    "code": CodeField,
    "decimal": DecimalField,
    "amount": DecimalField,
    "integer": IntegerField,
}


def _field(element: Element, required: bool) -> fields.Field:
    messages = {
        "required": _e("required", f"{element.name} is required"),
        "null": _e("required", f"{element.name} is required"),
    }
    return _FIELD_TYPES[element.type](element, required=required, error_messages=messages)


class _Base(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {
        "unknown": _e("unknown_element", "is not a data element of this window's catalogue"),
        "type": _e("invalid_type", "must be an object"),
    }

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        """Blank cells and empty form fields mean "not given", never an empty value."""
        if not isinstance(data, dict):
            return data
        return {
            k: (v.strip() if isinstance(v, str) else v)
            for k, v in data.items()
            if not (v is None or (isinstance(v, str) and not v.strip()))
        }


class _ItemRules(_Base):
    @validates_schema
    def _gross_not_below_net(self, data, **kwargs):
        gross, net = data.get("gross_mass_kg"), data.get("net_mass_kg")
        if gross is not None and net is not None and gross < net:
            raise ValidationError(
                _e("gross_below_net", f"gross mass ({gross}) is below net mass ({net})"),
                "gross_mass_kg",
            )


class _DeclarationRules(_Base):
    @validates_schema
    def _items_numbered_once(self, data, **kwargs):
        seen: set[int] = set()
        errors: dict[int, dict] = {}
        for index, item in enumerate(data.get(ITEMS, [])):
            no = item.get("item_no")
            if no is not None and no in seen:
                errors[index] = {"item_no": _e("duplicate", f"goods item {no} appears twice")}
            seen.add(no)
        if errors:
            raise ValidationError({ITEMS: errors})


def build_schema(version: ProfileVersion) -> Schema:
    catalogue = elements()
    required = version.required_ids()
    header: dict[str, fields.Field] = {}
    item: dict[str, fields.Field] = {}
    for element_id in version.element_ids():
        element = catalogue[element_id]
        target = item if element.level == "item" else header
        target[element_id] = _field(element, element_id in required)
    item_schema = _ItemRules.from_dict(item, name=f"Item_v{version.id}")
    header[ITEMS] = fields.List(
        fields.Nested(item_schema),
        required=True,
        validate=_at_least_one_item,
        error_messages={"required": _e("required", "a declaration needs at least one goods item"),
                        "invalid": _e("invalid_type", "must be a list of goods items")},
    )
    return _DeclarationRules.from_dict(header, name=f"Declaration_v{version.id}")()


def _at_least_one_item(items: list) -> None:
    if not items:
        raise ValidationError(_e("required", "a declaration needs at least one goods item"))


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
    """Return the canonical document (codes as strings, decimals as exact strings), or raise
    DeclarationInvalid with every error found."""
    schema = schema_for(version)
    try:
        loaded = schema.load(payload)
    except ValidationError as err:
        errors = flatten(err.messages, payload)
        raise DeclarationInvalid(_sorted(errors + _minor_unit_errors(payload, errors))) from None
    errors = _minor_unit_errors(payload, [])
    if errors:
        raise DeclarationInvalid(errors)
    return schema.dump(loaded)


def _plain(value: Any) -> str:
    """A number as people write it (no exponent), for messages."""
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    return str(value)


def _item_no(payload: Any, index: int) -> int:
    try:
        return int(str(payload["items"][index].get("item_no")).strip())
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):
        return index + 1


def _minor_unit_errors(payload: Any, known: list[ElementError]) -> list[ElementError]:
    """Amounts may not have more decimals than their currency's ISO 4217 minor unit.
    Checked on the raw input, so it is reported alongside any other error (marshmallow's
    schema-level checks would be skipped when a field has failed)."""
    if not isinstance(payload, dict) or not isinstance(payload.get(ITEMS), list):
        return []
    currency = str(payload.get("invoice_currency") or "").strip().upper()
    minor = codes.lists().currencies.get(currency)
    if minor is None:
        return []
    taken = {(e.item, e.element) for e in known}
    catalogue = elements()
    amount_ids = [e.id for e in catalogue.values()
                  if e.type == "amount" and e.currency_element == "invoice_currency"]
    found: list[ElementError] = []
    for index, item in enumerate(payload[ITEMS]):
        if not isinstance(item, dict):
            continue
        for element_id in amount_ids:
            raw = item.get(element_id)
            if isinstance(raw, str) and _NUMBER.match(raw.strip()):
                value = Decimal(raw.strip())
            elif isinstance(raw, Decimal | int) and not isinstance(raw, bool):
                value = Decimal(raw)
            else:
                continue
            no = _item_no(payload, index)
            places = max(0, -value.as_tuple().exponent)
            if places <= minor or value == value.quantize(Decimal(1).scaleb(-minor)) or \
                    (no, element_id) in taken:
                continue
            unit = "has no minor unit" if minor == 0 else f"has {minor} decimals"
            found.append(ElementError(
                element_id, catalogue[element_id].name, no, "too_many_decimals",
                f"{currency} {unit}; {_plain(value)} has too many decimals for the currency"))
    return found


def _sorted(errors: list[ElementError]) -> list[ElementError]:
    """In form order: the header first, then each goods item, elements as the catalogue lists them."""
    order = {element_id: n for n, element_id in enumerate(elements())}
    return sorted(errors, key=lambda e: (e.item or 0, order.get(e.element, len(order))))


def flatten(messages: Any, payload: Any) -> list[ElementError]:
    catalogue = elements()
    result: list[ElementError] = []

    def add(element_id: str, item: int | None, leaf: Any) -> None:
        name = catalogue[element_id].name if element_id in catalogue else \
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
    return _sorted(result)
