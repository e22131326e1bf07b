"""Importing declarations from a shipments CSV: one row per goods item, grouped by
`shipment_ref`; columns are catalogue element ids (plus `origin_tenant`, the window the
shipment is declared in).

Each shipment is validated and submitted on its own, in its own transaction: a refused
shipment leaves nothing behind, and the good ones still go through. Every refusal names
the shipment, the CSV line(s), the goods item, the data element and the reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from singlewindow.platform.auth.models import Company
from singlewindow.platform.catalogue.master import Element, elements
from singlewindow.platform.catalogue.profile import Profile
from singlewindow.platform.catalogue.service import current_version
from singlewindow.platform.catalogue.validation import DeclarationInvalid, ElementError
from singlewindow.platform.declarations import service
from singlewindow.platform.extensions import db

TENANT_COLUMN = "origin_tenant"
REF_COLUMN = "shipment_ref"
NATIONAL_COLUMN = re.compile(r"^nat_[a-z0-9_]+$")
# Free-text columns people keep beside their data; carried in the file, never imported.
NOTE_COLUMNS = frozenset({"notes", "remarks", "comment", "expected_problem"})


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not CSV, no shipment_ref column, ...)."""


@dataclass
class Shipment:
    ref: str
    lines: list[int]
    rows: list[dict[str, str]]
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tenant(self) -> str | None:
        return self.rows[0].get(TENANT_COLUMN) or None


@dataclass
class Outcome:
    shipment: str
    lines: list[int]
    result: str  # accepted | unchanged | refused | skipped (another window's shipment)
    declaration_id: int | None = None
    status: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.count("accepted"),
            "unchanged": self.count("unchanged"),
            "refused": self.count("refused"),
            "skipped": self.count("skipped"),
            "shipments": [o.as_dict() for o in self.outcomes],
        }


def read_csv(text: str) -> list[Shipment]:
    """Group the file's rows into shipments, in file order; refuse a file it cannot read.
    Commas, semicolons (spreadsheets in many locales) and tabs all separate columns."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError(f"line {line} contains a NUL character; is this a text CSV file?")
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if not reader.fieldnames or REF_COLUMN not in reader.fieldnames:
        raise ImportFileError(f"the file has no '{REF_COLUMN}' column; the first line must name "
                              "the columns (catalogue element ids)")
    catalogue = elements()
    unknown = [c for c in reader.fieldnames if c not in catalogue and c != TENANT_COLUMN
               and c not in NOTE_COLUMNS and not NATIONAL_COLUMN.match(c or "")]
    if unknown:
        raise ImportFileError(f"unknown column(s): {', '.join(map(str, unknown))}; columns must "
                              "be catalogue element ids (or a window's national elements, nat_...)")
    shipments: dict[str, Shipment] = {}
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise ImportFileError(f"line {line} has more cells than the header has columns")
        ref = (row.get(REF_COLUMN) or "").strip()
        if not ref:
            raise ImportFileError(f"line {line}: '{REF_COLUMN}' is empty")
        shipment = shipments.setdefault(ref, Shipment(ref, [], []))
        shipment.lines.append(line)
        shipment.rows.append(row)
    if not shipments:
        raise ImportFileError("the file has a header line but no shipment rows")
    return list(shipments.values())


def to_payload(shipment: Shipment, catalogue: dict[str, Element] | None = None) -> dict[str, Any]:
    """The declaration document of one shipment: header from its rows (which must agree),
    one goods item per row. Disagreeing header cells are recorded as problems. Columns
    of no element of `catalogue` (the window's profile) are passed on, to be refused by
    validation with their name."""
    catalogue = catalogue or elements()

    def level(column: str) -> str | None:
        if column in catalogue:
            return catalogue[column].level
        return None if column in NOTE_COLUMNS or column == TENANT_COLUMN else "header"

    first = shipment.rows[0]
    header = {k: v for k, v in first.items() if level(k) == "header"}
    for line, row in zip(shipment.lines[1:], shipment.rows[1:], strict=True):
        for key, value in header.items():
            if (row.get(key) or "").strip() != (value or "").strip():
                shipment.problems.append({
                    "element": key, "element_name": catalogue[key].name, "line": line,
                    "item": None, "code": "inconsistent_header",
                    "message": f"line {line} says {row.get(key)!r} but line "
                               f"{shipment.lines[0]} says {value!r}; a shipment's header "
                               "columns must be the same on every goods-item line",
                })
    items = [{k: v for k, v in row.items() if level(k) == "item"} for row in shipment.rows]
    return {**header, "items": items}


def _error_dict(error: ElementError, shipment: Shipment) -> dict[str, Any]:
    line = shipment.lines[0] if error.item is None else None
    if error.item is not None:
        for ln, row in zip(shipment.lines, shipment.rows, strict=True):
            if (row.get("item_no") or "").strip() == str(error.item):
                line = ln
                break
    return {"shipment": shipment.ref, "line": line, "item": error.item,
            "element": error.element, "element_name": error.element_name,
            "code": error.code, "message": error.message}


CompanyResolver = Callable[[dict[str, str]], Company]


class RefuseShipment(Exception):
    def __init__(self, element: str, code: str, message: str):
        super().__init__(message)
        name = elements()[element].name if element in elements() else element
        self.error = {"element": element, "element_name": name, "item": None, "code": code,
                      "message": message}


def import_shipments(shipments: list[Shipment], *, tenant_slug: str, resolve_company:
                     CompanyResolver, source: str, actor: str) -> ImportReport:
    """Submit each shipment of the bound tenant; commits one shipment at a time."""
    report = ImportReport()
    catalogue = Profile.of(current_version()).elements
    for shipment in shipments:
        outcome = Outcome(shipment.ref, shipment.lines, "refused")
        report.outcomes.append(outcome)
        if shipment.tenant is not None and shipment.tenant != tenant_slug:
            # A file may hold several windows' shipments; each window takes its own.
            outcome.result = "skipped"
            outcome.errors.append({
                "shipment": shipment.ref, "line": shipment.lines[0], "item": None,
                "element": TENANT_COLUMN, "element_name": "Window", "code": "other_window",
                "message": f"declared in window '{shipment.tenant}', not '{tenant_slug}'; "
                           "import it there",
            })
            continue
        payload = to_payload(shipment, catalogue)
        if shipment.problems:
            outcome.errors.extend({"shipment": shipment.ref, **p} for p in shipment.problems)
            continue
        try:
            company = resolve_company(shipment.rows[0])
            prepared = service.prepare(company, payload)
            existing = service.find_by_ref(company, prepared.document["shipment_ref"])
            if existing is not None:
                db.session.rollback()
                if existing.document == prepared.document:
                    outcome.result, outcome.declaration_id = "unchanged", existing.id
                    outcome.status = existing.status
                else:
                    outcome.errors.append({
                        "shipment": shipment.ref, "line": shipment.lines[0], "item": None,
                        "element": REF_COLUMN, "element_name": "Shipment reference (LRN)",
                        "code": "duplicate_shipment_ref",
                        "message": f"already declared as declaration {existing.id} with "
                                   "different data; amend that declaration instead",
                    })
                continue
            declaration = service.submit(company, payload, source=source, actor=actor)
            db.session.commit()
        except DeclarationInvalid as exc:
            db.session.rollback()
            outcome.errors.extend(_error_dict(e, shipment) for e in exc.errors)
            continue
        except RefuseShipment as exc:
            db.session.rollback()
            outcome.errors.append({"shipment": shipment.ref, "line": shipment.lines[0],
                                   **exc.error})
            continue
        except service.DuplicateShipmentRef as exc:  # a concurrent import won the race
            db.session.rollback()
            outcome.result, outcome.declaration_id = "unchanged", exc.declaration.id
            continue
        outcome.result = "accepted"
        outcome.declaration_id = declaration.id
        outcome.status = declaration.status
    return report
