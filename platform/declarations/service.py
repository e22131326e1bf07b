"""The rules of a declaration's life: submit (validate, route, fan out), record agency
answers, derive the one status. No Flask here; views, the API, the importer and jobs call
these functions with the tenant already bound."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from singlewindow.billing import service as billing
from singlewindow.billing.models import UsageKind
from singlewindow.platform.auth.models import Company
from singlewindow.platform.catalogue import service as catalogue
from singlewindow.platform.catalogue.validation import DeclarationInvalid, ElementError, validate
from singlewindow.platform.db.scoping import get_in_tenant
from singlewindow.platform.db.statements import insert_ignoring_conflict
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.declarations import status as st
from singlewindow.platform.declarations.models import (
    AgencySubmission,
    Declaration,
    DeclarationEvent,
)
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.tenants.models import Agency, RoutingRule
from singlewindow.tenants.routing import RuleLike, route

# Jobs are named by path: the job module imports this one, not the other way round.
DELIVER_JOB = "singlewindow.platform.declarations.jobs:deliver"


class DuplicateShipmentRef(Exception):
    def __init__(self, declaration: Declaration):
        super().__init__(
            f"shipment reference {declaration.shipment_ref} is already used by declaration "
            f"{declaration.id} of this declarant"
        )
        self.declaration = declaration


class UnknownSubmission(LookupError):
    pass


@dataclass(frozen=True)
class Prepared:
    """A validated, routed declaration not yet stored (used by submit and by dry runs)."""

    document: dict[str, Any]
    version_id: int
    routes: list


def _rules() -> list[RuleLike]:
    rows = db.session.execute(select(RoutingRule).where(RoutingRule.enabled.is_(True))).scalars()
    return [RuleLike(r.code, r.name, r.agency_id, r.required, r.priority, r.conditions or {})
            for r in rows]


def prepare(company: Company, payload: Any) -> Prepared:
    """Validate against the current profile version and route; raises DeclarationInvalid."""
    # Whose declaration this is comes first: another exporter's data is not validated.
    exporter = payload.get("exporter_tax_id") if isinstance(payload, dict) else None
    if isinstance(exporter, str) and exporter.strip() and exporter.strip() != company.tax_id:
        raise DeclarationInvalid([ElementError(
            "exporter_tax_id", "Exporter identification number", None, "not_your_company",
            f"{exporter.strip()} is not the identification number of {company.name} "
            f"({company.tax_id}); declaring for another exporter needs a recorded mandate",
        )])
    version = catalogue.current_version()
    document = validate(version, payload)
    return Prepared(document, version.id, route(document, _rules()))


def revalidate(declaration: Declaration, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check a declaration (with `changes`, for an amendment) against the profile version
    it was made under, never a newer one: its rules are the ones the trader declared by."""
    payload = {**declaration.document, **(changes or {})}
    return validate(declaration.profile_version, payload)


def find_by_ref(company: Company, shipment_ref: str) -> Declaration | None:
    return db.session.execute(
        select(Declaration).where(Declaration.company_id == company.id,
                                  Declaration.shipment_ref == shipment_ref)
    ).scalar_one_or_none()


def submit(company: Company, payload: Any, *, source: str, actor: str) -> Declaration:
    """Store a valid declaration with one submission per routed agency, bill it, and queue
    its delivery to every agency in parallel, all in the caller's transaction. The caller
    commits; delivery starts after the commit."""
    prepared = prepare(company, payload)
    document = prepared.document
    existing = find_by_ref(company, document["shipment_ref"])
    if existing is not None:
        raise DuplicateShipmentRef(existing)
    now = utcnow()
    items = document.get("items", [])
    declaration = Declaration(
        company_id=company.id,
        profile_version_id=prepared.version_id,
        shipment_ref=document["shipment_ref"],
        status=st.SUBMITTED,
        document=document,
        source=source,
        submitted_by=actor,
        exporter_name=document.get("exporter_name", company.name),
        destination_country=document.get("destination_country", ""),
        transport_mode=document.get("transport_mode", ""),
        invoice_currency=document.get("invoice_currency", ""),
        total_value=sum((Decimal(i["item_value"]) for i in items if i.get("item_value")),
                        Decimal(0)),
        item_count=len(items),
        created_at=now,
    )
    db.session.add(declaration)
    db.session.flush()
    add_event(declaration, "submitted", st.SUBMITTED,
           f"Submitted by {actor} ({source}), {len(items)} goods item(s)", actor=actor)
    agencies = {a.id: a for a in db.session.execute(select(Agency)).scalars()}
    for r in prepared.routes:
        agency = agencies[r.agency_id]
        submission = AgencySubmission(
            declaration_id=declaration.id,
            agency_id=agency.id,
            required=r.required,
            status=st.QUEUED,
            reasons=[reason.as_dict() for reason in r.reasons],
            items=r.item_numbers(document),
            message_key=str(uuid.uuid4()),
        )
        db.session.add(submission)
        db.session.flush()
        why = "; ".join(f"{x.rule_name}: {x.detail}" for x in r.reasons)
        add_event(declaration, "routed", st.QUEUED,
               f"{agency.name} ({'required' if r.required else 'for information'}): {why}",
               submission=submission)
        outbox.enqueue("dispatch", DELIVER_JOB, submission.id,
                       job_id=f"dispatch-{declaration.tenant_id}-{submission.id}-0")
    if not prepared.routes:
        _set_status(declaration, st.RELEASED, "No agency has to act on this declaration")
    billing.record(UsageKind.DECLARATION_SUBMITTED, f"declaration:{declaration.id}",
                   subject=f"declaration:{declaration.id}")
    return declaration


def add_event(declaration: Declaration, kind: str, status: str, message: str, *,
           submission: AgencySubmission | None = None, actor: str = "platform",
           external_id: str | None = None) -> DeclarationEvent:
    event = DeclarationEvent(
        declaration_id=declaration.id,
        submission_id=submission.id if submission is not None else None,
        kind=kind, status=status, message=message, actor=actor, external_id=external_id,
        created_at=utcnow(),
    )
    db.session.add(event)
    return event


def _set_status(declaration: Declaration, new: str, why: str) -> None:
    if declaration.status == new:
        return
    declaration.status = new
    if new in st.FINAL and declaration.final_at is None:
        declaration.final_at = utcnow()
    add_event(declaration, "status", new, f"Declaration {st.label(new).lower()}: {why}")


def lock_declaration(declaration_id: int) -> Declaration:
    """Take the declaration's row lock, so concurrent answers of several agencies each see
    the others' before deriving the status (PostgreSQL; SQLite serialises writers)."""
    stmt = select(Declaration).where(Declaration.id == declaration_id)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db.session.execute(stmt).scalar_one()


def recompute(declaration: Declaration) -> str:
    db.session.refresh(declaration)
    subs = db.session.execute(
        select(AgencySubmission)
        .where(AgencySubmission.declaration_id == declaration.id)
        .execution_options(populate_existing=True)
    ).scalars().all()
    new = st.aggregate(subs)
    if new != declaration.status:
        behind = [s for s in subs if s.required and s.status not in (st.RELEASED,)]
        why = {
            st.RELEASED: "every required agency has released it",
            st.REJECTED: "an agency rejected it",
        }.get(new, ", ".join(f"{s.agency.name}: {st.label(s.status)}" for s in behind))
        _set_status(declaration, new, why)
    return new


def mark_sent(submission: AgencySubmission, at: datetime) -> bool:
    """queued -> sent, unless an answer already overtook the delivery's own commit."""
    result = db.session.execute(
        update(AgencySubmission)
        .where(AgencySubmission.id == submission.id, AgencySubmission.status == st.QUEUED)
        .values(status=st.SENT, sent_at=at)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(submission)
    if submission.sent_at is None:
        submission.sent_at = at
    return result.rowcount == 1


def apply_answer(submission: AgencySubmission, status: str, *, sequence: int, reason: str = "",
                 reference: str = "", event_id: str | None = None, actor: str) -> bool:
    """Record an agency's answer once (by event id) and in order (by sequence): a repeated
    callback changes nothing, a late one is kept on the timeline but does not undo a newer
    answer. Returns whether anything was recorded.

    Safe under concurrent answers: the declaration row is locked first (PostgreSQL), the
    event is inserted with ON CONFLICT DO NOTHING and the submission is updated only if the
    sequence is newer, both as single statements; the status is derived afterwards from
    freshly read submissions (on SQLite the first write has taken the database's write lock
    by then, so nothing can change underneath)."""
    if status not in st.ANSWERS:
        raise ValueError(f"unknown answer {status!r}; expected one of {', '.join(st.ANSWERS)}")
    declaration = lock_declaration(submission.declaration_id)
    label = st.label(status)
    text = f"{submission.agency.name}: {label}" + (f" ({reason})" if reason else "")
    recorded = insert_ignoring_conflict(DeclarationEvent, {
        "tenant_id": submission.tenant_id, "declaration_id": declaration.id,
        "submission_id": submission.id, "kind": "answer", "status": status, "message": text,
        "actor": actor, "external_id": event_id or f"platform:{uuid.uuid4()}",
        "created_at": utcnow(),
    }, ["tenant_id", "external_id"])
    if not recorded:
        return False
    values: dict[str, Any] = {"status": status, "last_sequence": sequence,
                              "answer_reason": reason, "answered_at": utcnow()}
    if reference:
        values["agency_reference"] = reference
    db.session.execute(
        update(AgencySubmission)
        .where(AgencySubmission.id == submission.id, AgencySubmission.last_sequence < sequence)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(submission)
    recompute(declaration)
    return True


def submission_by_message(agency: Agency, message_key: str) -> AgencySubmission:
    found = db.session.execute(
        select(AgencySubmission).where(AgencySubmission.agency_id == agency.id,
                                       AgencySubmission.message_key == message_key)
    ).scalar_one_or_none()
    if found is None:
        raise UnknownSubmission(f"no message {message_key} was sent to {agency.code}")
    return found


def get_for_company(company_id: int | None, declaration_id: object,
                    with_history: bool = False) -> Declaration | None:
    """A declaration of the bound tenant, and of the company when one is given; with its
    agencies and timeline loaded up front when the caller will show them."""
    options = [selectinload(Declaration.submissions).selectinload(AgencySubmission.agency),
               selectinload(Declaration.events).selectinload(DeclarationEvent.submission)
               .selectinload(AgencySubmission.agency),
               selectinload(Declaration.profile_version)] if with_history else []
    declaration = get_in_tenant(Declaration, declaration_id, *options)
    if declaration is None:
        return None
    if company_id is not None and declaration.company_id != company_id:
        return None
    return declaration
