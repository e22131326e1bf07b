"""The platform's master catalogue of data elements and its own small code lists,
shipped as `elements.json`."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ELEMENTS_FILE = Path(__file__).with_name("elements.json")

TYPES = ("text", "code", "integer", "decimal", "amount", "date", "boolean", "container")
_FORMAT = re.compile(r"^(?P<kind>an|a|n)(?P<var>\.\.)?(?P<min>\d+)?(?:\.\.(?P<max>\d+))?(?:,(?P<dec>\d+))?$")


@dataclass(frozen=True)
class Element:
    id: str
    level: str  # "header" or "item"
    name: str
    definition: str
    type: str  # see TYPES
    format: str
    code_list: str | None = None
    allowed: tuple[str, ...] | None = None
    min: str | None = None
    min_exclusive: str | None = None
    currency_element: str | None = None
    pattern: str | None = None
    wco_id: str | None = None
    national: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def max_length(self) -> int | None:
        """Longest text the format admits (an..35 -> 35, a2 -> 2)."""
        return _max_length(self.format)

    @property
    def digits(self) -> tuple[int, int] | None:
        """(total digits, decimals) for numeric formats: n..16,6 -> (16, 6)."""
        return _digits(self.format)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], national: bool = False) -> Element:
        item = dict(raw)
        if "allowed" in item:
            item["allowed"] = tuple(item["allowed"])
        known = {f.name for f in fields(cls)} - {"extra", "national"}
        extra = {k: item.pop(k) for k in list(item) if k not in known}
        return cls(**item, national=national, extra=extra)

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)
               if f.name not in ("extra",) and getattr(self, f.name) not in (None, False)}
        if self.allowed:
            out["allowed"] = list(self.allowed)
        return out


@functools.cache
def _max_length(fmt: str) -> int | None:
    m = _FORMAT.match(fmt)
    if not m:
        return None
    if m["max"]:
        return int(m["max"])
    return int(m["min"]) if m["min"] else None


@functools.cache
def _digits(fmt: str) -> tuple[int, int] | None:
    m = _FORMAT.match(fmt)
    if not m or m["kind"] != "n":
        return None
    return int(m["max"] or m["min"]), int(m["dec"] or 0)


@functools.cache
def _raw() -> dict[str, Any]:
    return json.loads(ELEMENTS_FILE.read_text(encoding="utf-8"))


@functools.cache
def elements() -> dict[str, Element]:
    """The master elements by id, in catalogue order."""
    return {item["id"]: Element.from_dict(item) for item in _raw()["elements"]}


def code_lists() -> dict[str, dict[str, Any]]:
    """The catalogue's own small code lists (declaration types, origin criteria, ...)."""
    return _raw()["code_lists"]


def catalogue_version() -> str:
    return _raw()["version"]
