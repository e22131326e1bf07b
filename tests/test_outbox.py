"""Jobs reach the queue only after their work commits, and running one twice changes
nothing."""

from sqlalchemy import func, select, update

from singlewindow.billing.models import UsageEvent
from singlewindow.platform.auth.models import Company
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.declarations import dispatch, service
from singlewindow.platform.declarations.models import AgencySubmission, DeclarationEvent
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.platform.tasks.outbox import OutboxMessage

from helpers import declaration_payload, wait_until


def outbox_rows(tenant_id):
    with platform_wide():
        return db.session.execute(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.tenant_id == tenant_id)).scalar_one()


def test_rolled_back_work_queues_nothing(fresh_window, ctx):
    with tenant_context(fresh_window.tenant_id):
        company = db.session.execute(select(Company)).scalars().first()
        service.submit(company, declaration_payload(fresh_window), source="api", actor="t")
        db.session.rollback()
    assert outbox_rows(fresh_window.tenant_id) == 0
    assert outbox.relay() == 0


def test_committed_work_is_delivered_once_even_if_the_job_runs_again(platform, fresh_window, ctx):
    with tenant_context(fresh_window.tenant_id):
        company = db.session.execute(select(Company)).scalars().first()
        d = service.submit(company, declaration_payload(fresh_window), source="api", actor="t")
        db.session.commit()
        declaration_id = d.id
    assert outbox_rows(fresh_window.tenant_id) == len(d.submissions)

    def all_sent():
        with tenant_context(fresh_window.tenant_id):
            subs = db.session.execute(select(AgencySubmission).where(
                AgencySubmission.declaration_id == declaration_id)).scalars().all()
            return all(s.sent_at is not None for s in subs) and subs

    subs = wait_until(all_sent, 30)
    assert subs
    # A redelivered job (a worker died after sending, say) finds the work done.
    with tenant_context(fresh_window.tenant_id):
        for s in subs:
            dispatch.deliver(s.id)
        sent_events = db.session.execute(select(func.count()).select_from(DeclarationEvent).where(
            DeclarationEvent.declaration_id == declaration_id,
            DeclarationEvent.kind == "sent")).scalar_one()
        billed = db.session.execute(select(func.count()).select_from(UsageEvent).where(
            UsageEvent.kind == "agency_message_sent")).scalar_one()
    assert sent_events == len(subs) and billed == len(subs)
    keys = [s.message_key for s in subs]
    assert all(platform.simulator.engine.messages[k].deliveries == 1 for k in keys)


def test_unreachable_agency_is_retried_then_dead_lettered(platform, fresh_window, ctx):
    from singlewindow.tenants.models import Agency

    with tenant_context(fresh_window.tenant_id):
        kephis = db.session.execute(select(Agency).where(Agency.code == "kephis")).scalar_one()
        kephis.connector.endpoint = "http://127.0.0.1:9/agencies/sps_plant/kephis/messages"
        db.session.commit()
        company = db.session.execute(select(Company)).scalars().first()
        d = service.submit(company, declaration_payload(fresh_window), source="api", actor="t")
        db.session.commit()
        sub_id = next(s.id for s in d.submissions if s.agency.code == "kephis")
    max_attempts = platform.app.config["DISPATCH_MAX_ATTEMPTS"]
    platform.app.config["DISPATCH_MAX_ATTEMPTS"] = 2
    try:
        def dead():
            # Retries back off; make the next one due now so the test need not wait.
            with platform_wide():
                db.session.execute(update(OutboxMessage).where(
                    OutboxMessage.tenant_id == fresh_window.tenant_id,
                    OutboxMessage.attempts == 0,  # a retry not yet claimed by a relay
                ).values(available_at=OutboxMessage.created_at))
                db.session.commit()
            with tenant_context(fresh_window.tenant_id):
                return db.session.execute(select(AgencySubmission.status).where(
                    AgencySubmission.id == sub_id)).scalar_one() == "failed"

        assert wait_until(dead, 30)
    finally:
        platform.app.config["DISPATCH_MAX_ATTEMPTS"] = max_attempts
    with tenant_context(fresh_window.tenant_id):
        kinds = db.session.execute(select(DeclarationEvent.kind).where(
            DeclarationEvent.submission_id == sub_id)).scalars().all()
        sub = db.session.execute(select(AgencySubmission).where(
            AgencySubmission.id == sub_id)).scalar_one()
    assert "delivery_retry" in kinds and "delivery_failed" in kinds
    assert "cannot reach" in sub.last_error
