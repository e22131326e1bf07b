"""The platform's master catalogue of data elements, shipped as `elements.json`."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ELEMENTS_FILE = Path(__file__).with_name("elements.json")

_FORMAT = re.compile(r"^(?P<kind>an|a|n)(?P<var>\.\.)?(?P<min>\d+)?(?:\.\.(?P<max>\d+))?(?:,(?P<dec>\d+))?$")


@dataclass(frozen=True)
class Element:
    id: str
    level: str  # "header" or "item"
    name: str
    definition: str
    type: str  # text, code, integer, decimal, amount
    format: str
    code_list: str | None = None
    allowed: tuple[str, ...] | None = None
    min: str | None = None
    min_exclusive: str | None = None
    currency_element: str | None = None
    wco_id: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def max_length(self) -> int | None:
        """Longest text the format admits (an..35 -> 35, a2 -> 2)."""
        m = _FORMAT.match(self.format)
        if not m:
            return None
        if m["max"]:
            return int(m["max"])
        return int(m["min"]) if m["min"] else None

    @property
    def digits(self) -> tuple[int, int] | None:
        """(total digits, decimals) for numeric formats: n..16,6 -> (16, 6)."""
        m = _FORMAT.match(self.format)
        if not m or m["kind"] != "n":
            return None
        total = int(m["max"] or m["min"])
        return total, int(m["dec"] or 0)


@functools.cache
def elements() -> dict[str, Element]:
    raw = json.loads(ELEMENTS_FILE.read_text(encoding="utf-8"))
    result: dict[str, Element] = {}
    for item in raw["elements"]:
        item = dict(item)
        if "allowed" in item:
            item["allowed"] = tuple(item["allowed"])
        known = set(Element.__dataclass_fields__) - {"extra"}
        extra = {k: item.pop(k) for k in list(item) if k not in known}
        result[item["id"]] = Element(**item, extra=extra)
    return result


def catalogue_version() -> str:
    return json.loads(ELEMENTS_FILE.read_text(encoding="utf-8"))["version"]
