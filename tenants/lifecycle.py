"""A tenant's life after provisioning: suspend, resume, and retire (after an export).

Retiring removes every trace of the tenant: its rows in every table (the tenant row's
foreign keys cascade through all tenant-owned tables), its jobs in the outbox and in
Redis, its sign-in sessions, and its files in the instance folder. What stays is the
operator's own audit log, which says that it was retired.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import delete, select

from singlewindow.platform import audit
from singlewindow.platform.auth import sessions
from singlewindow.platform.db.scoping import platform_wide
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import queues
from singlewindow.platform.tasks.outbox import QUEUES, OutboxMessage
from singlewindow.tenants import resolution
from singlewindow.tenants.models import Tenant, TenantStatus


class LifecycleError(ValueError):
    pass


def get(slug: str) -> Tenant:
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if tenant is None:
        raise LifecycleError(f"no tenant {slug!r}")
    return tenant


def suspend(tenant: Tenant, reason: str, actor: str) -> None:
    """Stop new work (portal and API refuse it, saying why); data stays readable."""
    if tenant.status != TenantStatus.ACTIVE:
        raise LifecycleError(f"only an active tenant can be suspended; {tenant.slug} is "
                             f"{tenant.status}")
    reason = reason.strip()
    if not reason:
        raise LifecycleError("give the reason: the tenant's users will read it")
    tenant.status, tenant.suspended_at, tenant.suspension_reason = (
        TenantStatus.SUSPENDED, utcnow(), reason[:500])
    audit.record(actor, "tenant.suspend", f"tenant:{tenant.slug}", reason)
    db.session.commit()
    resolution.invalidate()


def resume(tenant: Tenant, actor: str) -> None:
    if tenant.status != TenantStatus.SUSPENDED:
        raise LifecycleError(f"{tenant.slug} is {tenant.status}, not suspended")
    tenant.status, tenant.suspended_at, tenant.suspension_reason = TenantStatus.ACTIVE, None, ""
    audit.record(actor, "tenant.resume", f"tenant:{tenant.slug}", "new work accepted again")
    db.session.commit()
    resolution.invalidate()


def instance_files(tenant: Tenant) -> list[Path]:
    """Files the platform keeps for a tenant in the instance folder."""
    root = Path(current_app.instance_path)
    found = [root / "mail" / f"tenant-{tenant.id}"]
    found += sorted((root / "exports").glob(f"{tenant.slug}--*.zip"))
    return [p for p in found if p.exists()]


def retire(tenant: Tenant, actor: str, confirm_slug: str) -> dict[str, int]:
    """Remove the tenant and everything of it; it must have been exported first."""
    if confirm_slug != tenant.slug:
        raise LifecycleError("type the tenant's slug to confirm")
    if tenant.exported_at is None:
        raise LifecycleError(f"export {tenant.slug} before retiring it: retiring cannot be undone")
    if tenant.status == TenantStatus.ACTIVE:
        raise LifecycleError(f"suspend {tenant.slug} before retiring it")
    tenant_id, slug = tenant.id, tenant.slug
    removed = {"redis_jobs": _purge_redis(tenant_id), "files": 0}
    for path in instance_files(tenant):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        removed["files"] += 1
    with platform_wide():
        sessions.end_all(sessions.tenant_prefix(tenant_id))
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id))
        # Every tenant-owned table references tenants(id) ON DELETE CASCADE.
        db.session.execute(delete(Tenant).where(Tenant.id == tenant_id))
        audit.record(actor, "tenant.retire", f"tenant:{slug}",
                     "all data, jobs, sessions and files removed", tenant_id=tenant_id)
        db.session.commit()
    resolution.invalidate()
    return removed


def _purge_redis(tenant_id: int) -> int:
    """Delete the tenant's rq jobs wherever they are (queued, running, done, failed)."""
    if queues.is_inline():
        return 0
    connection = queues.redis_connection()
    removed = 0
    for name in QUEUES:
        queue = queues.get_queue(name)
        ids = set(queue.get_job_ids())
        for registry in (queue.started_job_registry, queue.finished_job_registry,
                         queue.failed_job_registry, queue.deferred_job_registry,
                         queue.scheduled_job_registry):
            ids.update(registry.get_job_ids())
        for job_id in ids:
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue
            if len(job.args) > 2 and job.args[2] == tenant_id:  # run_job(row, func, tenant, ...)
                job.delete()
                removed += 1
    return removed
