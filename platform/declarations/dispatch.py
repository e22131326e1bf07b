"""Fan-out: delivering one agency submission through the agency's connector.

Each (declaration, agency) pair is its own job, so agencies are reached in parallel by
as many workers as run. A delivery carries the submission's stable message key, which
the agency uses to ignore repeats; retries back off exponentially with jitter, and a
submission that keeps failing lands in the dead-letter state (`failed`), visible to the
tenant admin.
"""

from __future__ import annotations

import logging
import random

from flask import current_app

from singlewindow.billing import service as billing
from singlewindow.billing.models import UsageKind
from singlewindow.platform.catalogue.profile import Profile
from singlewindow.platform.db.scoping import get_in_tenant, require_tenant_id
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.declarations import service
from singlewindow.platform.declarations import status as st
from singlewindow.platform.declarations.models import AgencySubmission
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.tenants.connectors import api, mapping, messages
from singlewindow.tenants.models import ConnectorMode, Tenant

log = logging.getLogger(__name__)


def callback_url(tenant: Tenant) -> str:
    cfg = current_app.config
    return f"{cfg['PREFERRED_URL_SCHEME']}://{tenant.slug}.{cfg['PLATFORM_DOMAIN']}/api/v1/agency/answers"


def backoff_seconds(attempt: int) -> float:
    """1, 2, 4, 8 ... seconds, capped at 5 minutes, with full jitter on the upper half."""
    base = min(300.0, 2.0 ** (attempt - 1))
    return base / 2 + random.uniform(0, base / 2)


def deliver(submission_id: int) -> None:
    submission = get_in_tenant(AgencySubmission, submission_id)
    if submission is None or submission.sent_at is not None or submission.status == st.FAILED:
        return  # delivered already (a repeated job), or dead-lettered
    if submission.status != st.QUEUED:
        # The agency answered before this job recorded the sending (its process died in
        # between): the agency has the message, so record that, without sending again.
        _record_sent(submission_id, "the agency has answered it")
        return
    agency = submission.agency
    connector = agency.connector
    declaration = submission.declaration
    tenant = db.session.get(Tenant, require_tenant_id())
    if connector is None or connector.mode != ConnectorMode.API:
        mode = connector.mode if connector else "none"
        _failed(submission_id, f"connector mode {mode!r} cannot deliver automatically yet",
                retryable=False)
        return
    message = messages.build(
        message_key=submission.message_key,
        tenant_slug=tenant.slug,
        agency_code=agency.code,
        declaration_id=declaration.id,
        declarant={"name": declaration.company.name, "tax_id": declaration.company.tax_id},
        document=declaration.document,
        items=submission.items,
        mapping=mapping.in_force(connector.id),
        profile=Profile.of(declaration.profile_version),
        callback_url=callback_url(tenant),
        reasons=submission.reasons,
    )
    endpoint, secret, timeout = connector.endpoint, connector.secret, connector.timeout_seconds
    db.session.rollback()  # hold no transaction open across the network call
    try:
        delivered = api.send(endpoint, secret, agency.code, message, timeout=float(timeout))
    except api.DeliveryError as exc:
        _failed(submission_id, str(exc), retryable=exc.retryable)
        return
    _record_sent(submission_id, f"HTTP {delivered.http_status}", delivered)


def _record_sent(submission_id: int, how: str, delivered: api.Delivered | None = None) -> None:
    # Lock order, everywhere: the declaration row first, then its submissions.
    submission = get_in_tenant(AgencySubmission, submission_id)
    declaration = service.lock_declaration(submission.declaration_id)
    db.session.refresh(submission)
    if submission.sent_at is not None:
        db.session.rollback()  # another run of this job recorded it first
        return
    service.mark_sent(submission, utcnow())
    submission.attempts += 1
    submission.last_error = ""
    service.add_event(declaration, "sent", st.SENT,
                      f"Message sent to {submission.agency.name} ({how})", submission=submission)
    billing.record(UsageKind.AGENCY_MESSAGE_SENT, f"message:{submission.message_key}",
                   subject=f"submission:{submission.id}")
    if delivered is not None and delivered.status in st.ANSWERS:
        service.apply_answer(submission, delivered.status, sequence=0,
                             reference=delivered.reference, actor=submission.agency.name)
    else:
        service.recompute(declaration)
    db.session.commit()


def _failed(submission_id: int, error: str, retryable: bool) -> None:
    submission = get_in_tenant(AgencySubmission, submission_id)
    declaration = service.lock_declaration(submission.declaration_id)
    db.session.refresh(submission)
    if submission.status != st.QUEUED:
        db.session.rollback()  # answered meanwhile: the agency has it after all
        return
    submission.attempts += 1
    submission.last_error = error
    max_attempts = current_app.config["DISPATCH_MAX_ATTEMPTS"]
    if retryable and submission.attempts < max_attempts:
        delay = backoff_seconds(submission.attempts)
        service.add_event(declaration, "delivery_retry", st.QUEUED,
                          f"Delivery to {submission.agency.name} failed ({error}); attempt "
                          f"{submission.attempts + 1} of {max_attempts} in {delay:.0f} s",
                          submission=submission)
        outbox.enqueue("dispatch", service.DELIVER_JOB, submission.id,
                       job_id=f"dispatch-{submission.tenant_id}-{submission.id}-{submission.attempts}",
                       delay=delay)
    else:
        submission.status = st.FAILED
        service.add_event(declaration, "delivery_failed", st.FAILED,
                          f"Delivery to {submission.agency.name} stopped after "
                          f"{submission.attempts} attempt(s): {error}. An administrator can "
                          "retry it.", submission=submission)
        log.warning("submission %s of tenant %s dead-lettered: %s", submission.id,
                    submission.tenant_id, error)
        service.recompute(declaration)
    db.session.commit()
