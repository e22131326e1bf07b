"""Loads the shipped public reference data into the platform-wide tables.

Idempotent: each source file's SHA-256 is recorded, and a file already loaded with the
same bytes is skipped, so every start, demo run and test session may call `load_all()`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert

from singlewindow.platform.extensions import db
from singlewindow.platform.reference import codes, models

DATA_DIR = Path(__file__).parent / "data"
BATCH = 5000
# Bump when a row function changes, so databases loaded by the old one load again.
TRANSFORM_VERSION = b"2"


@dataclass(frozen=True)
class Source:
    name: str
    files: tuple[str, ...]
    table: type
    rows: Callable[[Iterable[dict[str, str]]], Iterator[dict]]
    encoding: str = "utf-8"


def _hs_rows(rows):
    for r in rows:
        # UN Comtrade's pseudo-rows (section TOTAL): the grand total and chapter 99
        # "commodities not specified according to kind", which no declaration may use.
        if r["section"] == "TOTAL" or r["level"] not in {"2", "4", "6"}:
            continue
        yield {
            "code": r["hscode"],
            "level": len(r["hscode"]),
            "parent": None if r["parent"] == "TOTAL" else r["parent"],
            "section": r["section"],
            "description": r["description"],
        }


def _section_rows(rows):
    for r in rows:
        yield {"section": r["section"], "name": r["name"]}


def _location_rows(rows):
    for r in rows:
        if not r["Location"]:  # cross-references ("Vienna = Wien") carry no code
            continue
        yield {
            "locode": r["Country"] + r["Location"],
            "country": r["Country"],
            "name": r["Name"],
            "name_ascii": r["NameWoDiacritics"] or r["Name"],
            "subdivision": r["Subdivision"],
            "status": r["Status"],
            "function": r["Function"],
            "coordinates": r["Coordinates"],
        }


def _country_rows(rows):
    for r in rows:
        yield {"code": r["CountryCode"], "name": r["CountryName"]}


def _currency_rows(rows):
    seen: set[str] = set()
    for r in rows:
        code = r["AlphabeticCode"]
        # Current codes only (Table A.1); a code repeats once per entity using it.
        if not code or r["WithdrawalDate"] or code in seen:
            continue
        seen.add(code)
        minor = r["MinorUnit"].strip()
        yield {
            "code": code,
            "name": r["Currency"],
            "numeric_code": r["NumericCode"],
            "minor_unit": int(minor) if minor.isdigit() else None,
        }


def _unit_rows(rows):
    for r in rows:
        yield {
            "code": r["CommonCode"],
            "name": r["Name"],
            "symbol": r["Symbol"],
            "status": r["Status"],
        }


def _package_rows(rows):
    for r in rows:
        yield {"code": r["Code"], "name": r["Name"], "status": r["Status"]}


SOURCES: tuple[Source, ...] = (
    Source("hs_sections", ("hs/sections.csv.gz",), models.HsSection, _section_rows, "utf-8-sig"),
    Source("hs", ("hs/harmonized-system.csv.gz",), models.HsCode, _hs_rows),
    Source(
        "unlocode",
        ("unlocode/code-list-1.csv.gz", "unlocode/code-list-2.csv.gz"),
        models.Location,
        _location_rows,
    ),
    Source("countries", ("unlocode/country-codes.csv.gz",), models.Country, _country_rows),
    Source("currencies", ("iso4217/currency-codes.csv.gz",), models.Currency, _currency_rows),
    Source("units", ("unece/rec20-units-of-measure.csv.gz",), models.Unit, _unit_rows),
    Source("package_types", ("unece/rec21-package-types.csv.gz",), models.PackageType, _package_rows),
)


def _read(source: Source) -> tuple[str, list[dict[str, str]]]:
    digest = hashlib.sha256(TRANSFORM_VERSION)
    rows: list[dict[str, str]] = []
    for name in source.files:
        raw = gzip.decompress((DATA_DIR / name).read_bytes())
        digest.update(raw)
        rows.extend(csv.DictReader(io.StringIO(raw.decode(source.encoding), newline="")))
    return digest.hexdigest(), rows


def load_all(force: bool = False) -> dict[str, int]:
    """Load every source whose bytes changed since the last load; returns rows per source
    loaded now (empty when everything was already current)."""
    loaded: dict[str, int] = {}
    for source in SOURCES:
        sha, raw_rows = _read(source)
        current = db.session.get(models.ReferenceDataset, source.name)
        if current is not None and current.sha256 == sha and not force:
            continue
        rows = list(source.rows(raw_rows))
        db.session.execute(delete(source.table))
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(source.table), rows[start : start + BATCH])
        if current is None:
            current = models.ReferenceDataset(name=source.name, sha256=sha, rows=len(rows))
            db.session.add(current)
        else:
            current.sha256, current.rows = sha, len(rows)
        db.session.commit()
        loaded[source.name] = len(rows)
    if loaded:
        codes.invalidate()
    return loaded
