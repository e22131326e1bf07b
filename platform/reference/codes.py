"""Code lists as the validators and pages use them: read from the reference tables once
per process and kept in memory (they are the same for every tenant and change only when
the shipped data changes, which `loader.load_all()` signals through `invalidate()`).

Two lists have no permissive data file and are written here: UN/ECE Recommendation 19
(modes of transport) and Incoterms 2020.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select

from singlewindow.platform.extensions import db
from singlewindow.platform.reference import models

# UN/ECE Recommendation 19, codes for modes of transport (TRADE/CEFACT/2001/19).
TRANSPORT_MODES: dict[str, str] = {
    "0": "Transport mode not specified",
    "1": "Maritime transport",
    "2": "Rail transport",
    "3": "Road transport",
    "4": "Air transport",
    "5": "Mail",
    "6": "Multimodal transport",
    "7": "Fixed transport installations",
    "8": "Inland water transport",
    "9": "Transport mode not applicable",
}
# Product decision: a goods declaration must say how the goods actually leave, so it
# takes the real modes 1-8; 0 ("not specified") and 9 ("not applicable") are refused.
DECLARABLE_TRANSPORT_MODES = frozenset("12345678")

# Incoterms 2020 (ICC): rules for any mode, then rules for sea and inland waterway.
INCOTERMS_2020: dict[str, str] = {
    "EXW": "Ex Works",
    "FCA": "Free Carrier",
    "CPT": "Carriage Paid To",
    "CIP": "Carriage and Insurance Paid To",
    "DAP": "Delivered at Place",
    "DPU": "Delivered at Place Unloaded",
    "DDP": "Delivered Duty Paid",
    "FAS": "Free Alongside Ship",
    "FOB": "Free on Board",
    "CFR": "Cost and Freight",
    "CIF": "Cost, Insurance and Freight",
}


@dataclass(frozen=True)
class CodeLists:
    hs: dict[str, tuple[int, str]]  # code -> (level, description)
    locodes: frozenset[str]
    countries: dict[str, str]
    currencies: dict[str, int | None]  # code -> minor unit (None: not applicable)
    units: dict[str, str]  # current Rec 20 codes -> name
    retired_units: frozenset[str]  # deleted or deprecated Rec 20 codes
    package_types: dict[str, str]  # current Rec 21 codes -> name


_lock = threading.Lock()
_cache: CodeLists | None = None


def invalidate() -> None:
    global _cache
    with _lock:
        _cache = None


def lists() -> CodeLists:
    global _cache
    cached = _cache
    if cached is not None:
        return cached
    with _lock:
        if _cache is None:
            _cache = _read()
        return _cache


def _read() -> CodeLists:
    s = db.session
    hs = {c: (lvl, d) for c, lvl, d in s.execute(select(models.HsCode.code, models.HsCode.level,
                                                          models.HsCode.description))}
    locodes = frozenset(s.execute(select(models.Location.locode).distinct()).scalars())
    countries = dict(s.execute(select(models.Country.code, models.Country.name)).all())
    currencies = dict(
        s.execute(select(models.Currency.code, models.Currency.minor_unit)).all()
    )
    units: dict[str, str] = {}
    retired: set[str] = set()
    for code, name, status in s.execute(
        select(models.Unit.code, models.Unit.name, models.Unit.status)
    ):
        if status in ("X", "D"):  # deleted and deprecated codes are not for new data
            retired.add(code)
        else:
            units[code] = name
    packages = {
        code: name
        for code, name, status in s.execute(
            select(models.PackageType.code, models.PackageType.name, models.PackageType.status)
        )
        if status != "X"
    }
    if not hs or not locodes:
        raise RuntimeError(
            "reference data is not loaded; run `singlewindow reference load` (the demo does)"
        )
    return CodeLists(hs, locodes, countries, currencies, units, frozenset(retired), packages)


def location_name(locode: str) -> str | None:
    row = db.session.execute(
        select(models.Location.name).where(models.Location.locode == locode).limit(1)
    ).scalar_one_or_none()
    return row
