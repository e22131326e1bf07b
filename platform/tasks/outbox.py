"""The transactional outbox: how work reaches the queues only after it has committed.

`enqueue()` adds a row in the caller's transaction. Once that transaction commits, a
relay hands the row to rq (production shape) or runs the job in-process (embedded
default, no REDIS_URL) and deletes the row. If the process dies, Redis is down or the
job fails, the row stays and a later relay (the scheduler, the next request) sends it
again, so every job must be safe to run twice, and is.
"""

from __future__ import annotations

import contextvars
import importlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, delete, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from singlewindow.platform.db.scoping import current_tenant_id, platform_wide, tenant_context
from singlewindow.platform.db.types import JSONType, UTCDateTime, utcnow
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import queues

log = logging.getLogger(__name__)

QUEUES = ("provisioning", "dispatch", "billing", "notify")


class OutboxMessage(db.Model):
    """A platform table (read across tenants by the relay), so not TenantScoped; it names
    the tenant a job is for, and that tenant's retirement deletes its rows."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    queue: Mapped[str] = mapped_column(String(32))
    func: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    job_id: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _path(func) -> str:
    if isinstance(func, str):
        return func
    return f"{func.__module__}:{func.__qualname__}"


def resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def enqueue(queue: str, func, *args: Any, job_id: str, delay: float = 0.0) -> None:
    """Schedule `func(*args)` to run, for the bound tenant, after this transaction commits."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    tenant_id = current_tenant_id()
    db.session.info["outbox_added"] = True
    db.session.add(
        OutboxMessage(
            tenant_id=tenant_id,
            queue=queue,
            func=_path(func),
            args=list(args),
            job_id=job_id,
            available_at=utcnow() + timedelta(seconds=delay),
        )
    )


_relaying: contextvars.ContextVar[bool] = contextvars.ContextVar("relaying", default=False)


# How long a relay owns a row it has claimed; a relay that dies frees it when this ends.
LEASE_SECONDS = 300


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    if session.info.pop("outbox_added", False):
        session.info["outbox_committed"] = True


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop("outbox_added", None)


def relay(limit: int = 200) -> int:
    """Send every due outbox row; returns how many were handled. Re-entrant calls (a job
    run inline that commits more work) return at once: the outer loop picks the new rows."""
    if _relaying.get():
        return 0
    token = _relaying.set(True)
    handled = 0
    try:
        while True:
            batch = _due(limit)
            if not batch:
                return handled
            for row_id in batch:
                handled += _handle(row_id)
    finally:
        _relaying.reset(token)


def _due(limit: int) -> list[int]:
    with platform_wide():
        ids = list(
            db.session.execute(
                select(OutboxMessage.id)
                .where(OutboxMessage.available_at <= utcnow())
                .order_by(OutboxMessage.id)
                .limit(limit)
            ).scalars()
        )
        db.session.rollback()  # end the read; each row is handled in its own transaction
    return ids


def _claim(row_id: int) -> OutboxMessage | None:
    """Take the row for LEASE_SECONDS with one conditional UPDATE, so two relays (threads,
    processes, or a web request and the scheduler) never both run the same job."""
    now = utcnow()
    with platform_wide():
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.available_at <= now)
            .values(available_at=now + timedelta(seconds=LEASE_SECONDS))
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed != 1:
            return None
        return db.session.execute(
            select(OutboxMessage).where(OutboxMessage.id == row_id)
        ).scalar_one_or_none()


def _handle(row_id: int) -> int:
    row = _claim(row_id)
    if row is None:
        return 0
    tenant_id, func, args, queue, job_id = row.tenant_id, row.func, row.args, row.queue, row.job_id
    db.session.rollback()  # hold nothing open while the job runs
    try:
        if queues.is_inline():
            run(func, tenant_id, *args)
        else:
            queues.get_queue(queue).enqueue_call(
                "singlewindow.platform.tasks.worker.run_job",
                args=(func, tenant_id, *args),
                job_id=job_id,
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
            )
    except Exception as exc:  # the row stays and is retried later
        db.session.rollback()
        log.exception("outbox job %s (%s) failed; will retry", job_id, func)
        with platform_wide():
            row = db.session.get(OutboxMessage, row_id)
            if row is not None:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                row.available_at = utcnow() + timedelta(seconds=min(300, 2**row.attempts))
                db.session.commit()
        return 1
    with platform_wide():
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id == row_id))
        db.session.commit()
    return 1


def run(func_path: str, tenant_id: int | None, *args: Any) -> Any:
    """Run one job with its tenant bound (or platform-wide for platform jobs)."""
    func = resolve(func_path)
    if tenant_id is None:
        with platform_wide():
            return func(*args)
    with tenant_context(tenant_id):
        try:
            return func(*args)
        finally:
            db.session.rollback()  # never leave a half-done transaction to the next job


def pending_count() -> int:
    with platform_wide():
        return len(db.session.execute(select(OutboxMessage.id)).all())


def configure(app) -> None:
    """Relay after every request that committed work (the embedded default runs the jobs
    here; the production shape only hands them to Redis)."""

    @app.after_request
    def _relay_after_request(response):
        if db.session.info.pop("outbox_committed", False):
            try:
                relay()
            except Exception:  # a relay failure must not turn a done request into a 500
                log.exception("outbox relay after request failed")
        return response
