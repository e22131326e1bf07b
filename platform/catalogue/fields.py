"""The marshmallow fields a catalogue element becomes, one per element type. Each error
is a {code, message} pair: the message says what is wrong and how to fix it."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, missing

from singlewindow.platform.catalogue.master import Element
from singlewindow.platform.catalogue.profile import Profile
from singlewindow.platform.reference import codes

NUMBER = re.compile(r"^[+-]?(\d+)(?:\.(\d+))?$")

# Common slips, so the message can say what was probably meant.
_HINTS = {
    "ISO4217": {"RMB": "CNY", "UKP": "GBP", "STG": "GBP", "NTD": "TWD", "YEN": "JPY"},
    "ISO3166": {"UK": "GB", "EN": "GB"},
    "REC19": {"SEA": "1", "RAIL": "2", "ROAD": "3", "AIR": "4", "MAIL": "5", "POST": "5"},
}


def error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def plain(value: Any) -> str:
    """A number as people write it (no exponent), for messages."""
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    return str(value)


# Control characters (tab and line breaks apart), unpaired surrogates, non-characters.
_UNSTORABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}"
              for plane in range(17)) + "]")


def unstorable(text: str) -> str | None:
    """The first character no declaration may carry, as U+XXXX, or None."""
    found = _UNSTORABLE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


class CatalogueField(fields.Field):
    def __init__(self, element: Element, profile: Profile, **kwargs):
        super().__init__(**kwargs)
        self.element = element
        self.profile = profile

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def deserialize(self, value, attr=None, data=None, **kwargs):
        # Catalogue fields carry no extra validators: skip marshmallow's validator pass,
        # a third of the time a 100-item declaration takes (infra/bench/validation.py).
        if value is missing or value is None:
            return super().deserialize(value, attr, data, **kwargs)
        return self._deserialize(value, attr, data, **kwargs)

    def _text(self, value: Any) -> str:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationError(error("invalid_type", "must be text"))
        value = str(value).strip()
        bad = unstorable(value)
        if bad:
            raise ValidationError(error("invalid_character",
                                        f"contains a character that cannot be declared ({bad}); "
                                        "remove it"))
        return value


class TextField(CatalogueField):
    def _deserialize(self, value, attr, data, **kwargs):
        value = self._text(value)
        limit = self.element.max_length
        if limit and len(value) > limit:
            raise ValidationError(error("too_long", f"is {len(value)} characters long; the "
                                                    f"format {self.element.format} allows at "
                                                    f"most {limit}"))
        if self.element.pattern and not re.fullmatch(self.element.pattern, value):
            raise ValidationError(error("invalid_format",
                                        f"'{value[:40]}' is not in the format {self.element.format}"))
        return value


class CodeField(CatalogueField):
    def _deserialize(self, value, attr, data, **kwargs):
        # No length check: the code list says what is valid, and says it better.
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationError(error("invalid_type", "must be a code, as text"))
        value = str(value).strip().upper()
        code_list = self.element.code_list
        if unstorable(value) or len(value) > 64:
            raise ValidationError(error("not_in_code_list",
                                        f"is not {self.profile.list_name(code_list)}"))
        if code_list == "HS":
            return check_hs(value, self.profile)
        if value not in self.profile.members(code_list):
            hint = _HINTS.get(code_list, {}).get(value)
            message = f"{value} is not {self.profile.list_name(code_list)}"
            if code_list == "REC20" and value in codes.lists().retired_units:
                message = f"{value} is a deleted or deprecated Recommendation 20 unit code"
            elif hint and code_list == "REC19":
                message += f" ({codes.TRANSPORT_MODES[hint].lower()} is {hint})"
            elif hint:
                message += f" (did you mean {hint}?)"
            raise ValidationError(error("not_in_code_list", message))
        allowed = self.element.allowed
        if allowed and value not in allowed:
            label = codes.TRANSPORT_MODES.get(value, value) if code_list == "REC19" else value
            raise ValidationError(error("not_allowed", f"{value} ({label}) is not accepted here; "
                                                       f"use one of {', '.join(allowed)}"))
        return value


def check_hs(value: str, profile: Profile) -> str:
    compact = re.sub(r"[\s.]", "", value)
    if not compact.isdigit():
        raise ValidationError(error("invalid_format", f"{value} is not an HS code: use digits only"))
    hs = codes.lists().hs
    n = len(compact)
    if n < 6:
        if n == 5 and ("0" + compact) in hs and hs["0" + compact][0] == 6:
            raise ValidationError(error("hs_too_short",
                                        f"{compact} has 5 digits; a 6-digit HS code must keep its "
                                        f"leading zero (0{compact})"))
        kind = {2: "a chapter (2 digits)", 4: "a heading (4 digits)"}.get(n, f"{n} digits")
        raise ValidationError(error("hs_too_short", f"{compact} is {kind}; a goods item needs at "
                                                    "least a 6-digit HS subheading"))
    if n not in (6, 8, 10):
        raise ValidationError(error("invalid_format",
                                    f"{compact} has {n} digits; use a 6-digit HS subheading or an "
                                    "8- or 10-digit national tariff line"))
    sub = compact[:6]
    if sub not in hs or hs[sub][0] != 6:
        raise ValidationError(error("hs_unknown", f"{sub} does not exist in the HS 2022 nomenclature"))
    if n > 6 and compact not in profile.tariff_lines:
        lines = sorted(c for c in profile.tariff_lines if c.startswith(sub))
        known = f"its lines here are {', '.join(lines[:5])}" if lines else \
            "this window's tariff has no national lines under it"
        raise ValidationError(error("tariff_line_unknown",
                                    f"{compact} is not a national tariff line of this window "
                                    f"({known}); use one of them or the subheading {sub}"))
    return compact


class DecimalField(CatalogueField):
    """Exact decimals in the element's format; never a float on the way in or out: the
    loaded value is the number as exact text, which is how it is stored and sent."""

    def __init__(self, element: Element, profile: Profile, **kwargs):
        super().__init__(element, profile, **kwargs)
        # Read once: this runs for every amount and mass of every goods item.
        self.total, self.decimals = element.digits or (16, 6)
        self.low = None if element.min_exclusive is None else Decimal(element.min_exclusive)
        self.least = None if element.min is None else Decimal(element.min)

    def _deserialize(self, value, attr, data, **kwargs):
        fmt = self.element.format
        if value.__class__ is str:
            shown = value.strip()
            parts = NUMBER.match(shown)
            if not parts:
                raise self._not_a_number(shown)
            whole, fraction = parts.group(1), parts.group(2) or ""
        elif isinstance(value, bool):
            raise ValidationError(error("invalid_type", "must be a number, not true or false"))
        elif isinstance(value, float):
            raise ValidationError(error("invalid_type",
                                        "send decimals as strings or exact JSON numbers, not floats"))
        elif isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite()
                                        and value.as_tuple().exponent <= 0):  # not 1e3
            shown = plain(Decimal(value))
            whole, _, fraction = shown.lstrip("+-").partition(".")
        else:
            raise self._not_a_number(str(value).strip())
        places = len(fraction)
        if places > self.decimals:
            raise ValidationError(error("too_many_decimals",
                                        f"{shown} has {places} decimals; {fmt} allows {self.decimals}"))
        if len(whole.lstrip("0")) > self.total - self.decimals:
            raise ValidationError(error("out_of_range", f"{shown} has too many digits for {fmt}"))
        number = Decimal(shown)
        if self.low is not None and number <= self.low:
            raise ValidationError(error("out_of_range",
                                        f"must be greater than {self.element.min_exclusive} "
                                        f"(got {shown})"))
        if self.least is not None and number < self.least:
            raise ValidationError(error("out_of_range",
                                        f"must be at least {self.element.min} (got {shown})"))
        return str(number)

    def _not_a_number(self, shown: str) -> ValidationError:
        return ValidationError(error(
            "invalid_format",
            f"'{shown[:40]}' is not a number in the declared format ({self.element.format}): use "
            "digits and a decimal point, with no thousands separators or exponent"))


class IntegerField(CatalogueField):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError(error("invalid_type", "must be a whole number"))
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            number = int(value)
        else:
            raise ValidationError(error("invalid_format", f"'{str(value)[:40]}' is not a whole number"))
        limit = self.element.max_length
        if limit and len(str(abs(number))) > limit:
            raise ValidationError(error("out_of_range", f"{number} has more than {limit} digits"))
        if self.element.min is not None and number < int(self.element.min):
            raise ValidationError(error("out_of_range",
                                        f"must be at least {self.element.min} (got {number})"))
        return number


class DateField(CatalogueField):
    """ISO 8601 calendar dates, YYYY-MM-DD; stored as that text."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = self._text(value)
        try:
            parsed = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(error("invalid_format", f"'{text[:40]}' is not a date as "
                                                          "YYYY-MM-DD (for example 2026-12-03)"))
        return parsed.isoformat()


class BooleanField(CatalogueField):
    TRUE = {"true", "yes", "y", "1"}
    FALSE = {"false", "no", "n", "0"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(error("invalid_format", f"'{str(value)[:20]}' is not yes or no "
                                                      "(true or false)"))


def _letter_values() -> dict[str, int]:
    values, n = {}, 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if n % 11 == 0:  # ISO 6346 skips multiples of 11
            n += 1
        values[letter] = n
        n += 1
    return values


_LETTERS = _letter_values()


def iso6346_check_digit(ten: str) -> int:
    """The check digit of an ISO 6346 container number's first ten characters."""
    total = sum((_LETTERS[c] if c.isalpha() else int(c)) << i for i, c in enumerate(ten))
    return total % 11 % 10


class ContainerField(CatalogueField):
    def _deserialize(self, value, attr, data, **kwargs):
        text = re.sub(r"[\s-]", "", self._text(value)).upper()
        if not re.fullmatch(r"[A-Z]{3}[UJZR]\d{7}", text):
            raise ValidationError(error("invalid_format",
                                        f"'{text[:20]}' is not an ISO 6346 container number: four "
                                        "letters (owner code and U, J, Z or R), six digits and a "
                                        "check digit, like MSCU1234566"))
        expected = iso6346_check_digit(text[:10])
        if int(text[10]) != expected:
            raise ValidationError(error("check_digit",
                                        f"{text} fails the ISO 6346 check: the last digit should be "
                                        f"{expected}; check the number against the container"))
        return text


FIELD_TYPES = {
    "text": TextField,
    "code": CodeField,
    "decimal": DecimalField,
    "amount": DecimalField,
    "integer": IntegerField,
    "date": DateField,
    "boolean": BooleanField,
    "container": ContainerField,
}
