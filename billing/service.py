"""Recording billable usage and previewing the invoice it makes.

`record()` is called inside the transaction of the work it bills, so the work and its
ledger row commit together or not at all; its idempotency key makes a re-run job or a
retried request record nothing twice.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from singlewindow.billing.models import UsageEvent, UsageKind
from singlewindow.platform.db.scoping import require_tenant_id
from singlewindow.platform.db.statements import insert_ignoring_conflict
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.extensions import db
from singlewindow.platform.reference import codes

PLANS_FILE = Path(__file__).with_name("plans.json")


def record(kind: str, idempotency_key: str, subject: str = "", quantity: int = 1) -> None:
    """Add one ledger row unless a row with this key exists for the bound tenant."""
    if kind not in UsageKind.LABELS:
        raise ValueError(f"unknown usage kind {kind!r}")
    values = {
        "tenant_id": require_tenant_id(),
        "kind": kind,
        "quantity": quantity,
        "idempotency_key": idempotency_key,
        "subject": subject,
        "occurred_at": utcnow(),
    }
    insert_ignoring_conflict(UsageEvent, values, ["tenant_id", "idempotency_key"])


@functools.cache
def plans() -> dict[str, dict]:
    raw = json.loads(PLANS_FILE.read_text(encoding="utf-8"))
    return {p["code"]: p for p in raw["plans"]}


def month_start(at: datetime | None = None) -> datetime:
    at = at or utcnow()
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def usage_by_kind(since: datetime | None = None) -> dict[str, int]:
    stmt = select(UsageEvent.kind, func.sum(UsageEvent.quantity)).group_by(UsageEvent.kind)
    if since is not None:
        stmt = stmt.where(UsageEvent.occurred_at >= since)
    return {kind: int(total) for kind, total in db.session.execute(stmt)}


@dataclass(frozen=True)
class InvoiceLine:
    kind: str
    label: str
    quantity: int
    included: int
    billable: int
    unit_price: int  # minor units
    amount: int  # minor units


@dataclass(frozen=True)
class InvoicePreview:
    plan_code: str
    plan_name: str
    currency: str
    base_fee: int
    lines: list[InvoiceLine]
    total: int

    def format(self, amount: int) -> str:
        """Minor units to a display amount, using the currency's ISO 4217 exponent."""
        minor = codes.lists().currencies.get(self.currency) or 0
        if minor == 0:
            return f"{self.currency} {amount:,}"
        whole, frac = divmod(amount, 10**minor)
        return f"{self.currency} {whole:,}.{frac:0{minor}d}"


def preview_invoice(plan_code: str, since: datetime | None = None) -> InvoicePreview:
    """This period's invoice as the plan prices the bound tenant's ledger."""
    return price(plan_code, usage_by_kind(since if since is not None else month_start()))


def price(plan_code: str, used: dict[str, int]) -> InvoicePreview:
    """What `used` (quantity per usage kind) costs on the plan."""
    plan = plans()[plan_code]
    lines = []
    for kind, price in plan["prices"].items():
        quantity = used.get(kind, 0)
        billable = max(0, quantity - price["included"])
        lines.append(InvoiceLine(kind, UsageKind.LABELS[kind], quantity, price["included"],
                                 billable, price["unit_price"], billable * price["unit_price"]))
    total = plan["base_fee"] + sum(line.amount for line in lines)
    return InvoicePreview(plan["code"], plan["name"], plan["currency"], plan["base_fee"], lines,
                          total)
