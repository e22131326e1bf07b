"""Faults the production shape must survive without losing or repeating work: a worker
killed with SIGKILL in the middle of deliveries, and Redis unreachable when work commits.
(The embedded default has no worker or Redis to lose; these run with REDIS_URL set.)"""

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from singlewindow.billing.models import UsageEvent
from singlewindow.platform.auth.models import Company
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.declarations import service
from singlewindow.platform.declarations.models import (
    AgencySubmission,
    Declaration,
    DeclarationEvent,
)
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.platform.tasks.outbox import OutboxMessage

from helpers import declaration_payload, wait_until

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                                reason="needs Redis and rq workers (the production shape)")


def submit_many(window, n):
    with tenant_context(window.tenant_id):
        company = db.session.execute(select(Company)).scalars().first()
        ids = []
        for _ in range(n):
            d = service.submit(company, declaration_payload(window), source="api", actor="t")
            db.session.commit()
            ids.append(d.id)
    return ids


def settled(window, ids):
    """Every declaration final and every delivery recorded (copies to agencies whose
    answer is not required may still be on their way when the status is final)."""
    with tenant_context(window.tenant_id):
        open_ = db.session.execute(select(func.count()).select_from(Declaration).where(
            Declaration.id.in_(ids), Declaration.status.not_in(("released", "rejected")))
        ).scalar_one()
        unsent = db.session.execute(select(func.count()).select_from(AgencySubmission).where(
            AgencySubmission.declaration_id.in_(ids), AgencySubmission.sent_at.is_(None))
        ).scalar_one()
    return open_ == 0 and unsent == 0


def assert_each_effect_once(window, ids, engine):
    with tenant_context(window.tenant_id):
        final = db.session.execute(select(func.count()).select_from(Declaration).where(
            Declaration.id.in_(ids), Declaration.status.in_(("released", "rejected")))
        ).scalar_one()
        subs = db.session.execute(select(AgencySubmission).where(
            AgencySubmission.declaration_id.in_(ids))).scalars().all()
        sent = dict(db.session.execute(
            select(DeclarationEvent.submission_id, func.count())
            .where(DeclarationEvent.declaration_id.in_(ids), DeclarationEvent.kind == "sent")
            .group_by(DeclarationEvent.submission_id)).all())
        billed = db.session.execute(select(func.count()).select_from(UsageEvent).where(
            UsageEvent.subject.in_([f"submission:{s.id}" for s in subs]))).scalar_one()
    assert final == len(ids), "every declaration reaches a final status"
    odd = {s.id: (sent.get(s.id), s.status) for s in subs if sent.get(s.id) != 1}
    assert not odd, f"each delivery recorded once, not {odd}"
    assert billed == len(subs), "each agency message billed once"
    assert all(engine.messages[s.message_key].message["message_id"] == s.message_key
               for s in subs)  # the agency has each message, once per key


def test_worker_killed_mid_delivery_loses_and_repeats_nothing(platform, fresh_window, ctx):
    from conftest import start_worker

    victim = platform.workers[0]
    ids = submit_many(fresh_window, 12)
    outbox.relay()
    time.sleep(0.3)  # let the workers take jobs
    os.killpg(victim.pid, signal.SIGKILL)  # the worker and its work horse, mid-job
    victim.wait(10)
    platform.workers[0] = start_worker(platform.worker_env)

    assert wait_until(lambda: settled(fresh_window, ids), 90, every=0.2), \
        "work was lost with the killed worker"
    assert_each_effect_once(fresh_window, ids, platform.simulator.engine)


def test_redis_unreachable_at_commit_time(platform, fresh_window, ctx):
    from conftest import start_worker, stop_worker

    app = platform.app
    real = app.config["REDIS_URL"]
    for proc in platform.workers:  # no process may reach Redis while it is "down"
        stop_worker(proc)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("redis", None)
    try:
        ids = submit_many(fresh_window, 3)
        outbox.relay()  # cannot reach Redis: the work stays in the outbox
        with tenant_context(fresh_window.tenant_id):
            queued = db.session.execute(select(func.count()).select_from(AgencySubmission).where(
                AgencySubmission.declaration_id.in_(ids), AgencySubmission.sent_at.is_(None))
            ).scalar_one()
        assert queued > 0
        with platform_wide():
            assert outbox.pending_count() > 0
    finally:
        app.config["REDIS_URL"] = real
        app.extensions.pop("redis", None)
        platform.workers[:] = [start_worker(platform.worker_env) for _ in platform.workers]
    # Redis is back: the relay (the scheduler's, after the lease) hands the work on.
    with platform_wide():
        db.session.execute(update(OutboxMessage).values(available_at=OutboxMessage.created_at))
        db.session.commit()

    assert wait_until(lambda: settled(fresh_window, ids), 60)
    assert_each_effect_once(fresh_window, ids, platform.simulator.engine)


def test_provisioning_killed_at_step_after_step_ends_as_if_nothing_happened(platform, ctx):
    """SIGKILL the worker in the middle of three different steps; after each, a fresh
    worker resumes. The tenant ends up exactly as one clean run makes it."""
    from conftest import start_worker, stop_worker

    from singlewindow.platform.auth.models import Invitation
    from singlewindow.platform.catalogue.models import ProfileVersion
    from singlewindow.provisioning import service as provisioning
    from singlewindow.tenants.models import Agency, ProvisioningStep, RoutingRule, Tenant

    for proc in platform.workers:  # only the drill's worker may take the job
        stop_worker(proc)
    env = {**platform.worker_env, "PROVISIONING_STEP_PAUSE_SECONDS": "1.5"}
    worker = start_worker(env)
    slug = "drill-" + str(os.getpid())
    try:
        tenant = provisioning.start("gh", request=provisioning.TenantRequest(
            "gh", slug=slug, admin_email=f"admin@{slug}.example"))
        db.session.commit()
        tenant_id = tenant.id
        outbox.relay()

        def step(name):
            with tenant_context(tenant_id):
                return db.session.execute(select(ProvisioningStep.status).where(
                    ProvisioningStep.name == name)).scalar_one()

        for target in ("catalogue_profile", "connection_test", "first_admin_invitation"):
            assert wait_until(lambda t=target: step(t) == "running", 60), f"{target} never ran"
            os.killpg(worker.pid, signal.SIGKILL)  # mid-step: its transaction is lost
            worker.wait(10)
            worker = start_worker(env)
        assert wait_until(lambda: db.session.get(Tenant, tenant_id).status == "active", 120)
    finally:
        stop_worker(worker)
        platform.workers[:] = [start_worker(platform.worker_env) for _ in platform.workers]
    with tenant_context(tenant_id):
        def count(model):
            return db.session.execute(select(func.count()).select_from(model)).scalar_one()

        assert count(Agency) == 8 and count(RoutingRule) == 8 and count(ProfileVersion) == 1
        assert count(Invitation) == 1
        assert {s for s in db.session.execute(select(ProvisioningStep.status)).scalars()} == {"done"}
    folder = Path(platform.app.instance_path, "mail", f"tenant-{tenant_id}")
    assert wait_until(lambda: list(folder.glob("*.eml")), 30)
    time.sleep(1)
    assert len(list(folder.glob("*.eml"))) == 1  # one invitation, mailed once
