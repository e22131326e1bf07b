"""The transactional outbox: how work reaches the queues only after it has committed,
and keeps reaching them until it is done.

`enqueue()` adds a row in the caller's transaction. Once that transaction commits, a
relay claims the row for a lease and either runs the job in-process (embedded default,
no REDIS_URL; agency deliveries run side by side in a small thread pool) or hands it to
rq. The row is deleted only when the job has finished: a job whose process died, whose
Redis entry was lost, or that failed comes due again when its lease ends (or after its
back-off) and is relayed again. So every job must be safe to run twice, and is.
"""

from __future__ import annotations

import contextvars
import importlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
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


PARALLEL_QUEUES = frozenset({"dispatch"})  # run side by side when inline
INLINE_THREADS = 8


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    if session.info.pop("outbox_added", False):
        session.info["outbox_committed"] = True


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop("outbox_added", None)


@dataclass(frozen=True)
class Claimed:
    id: int
    tenant_id: int | None
    queue: str
    func: str
    args: list[Any]
    job_id: str


def lease() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def relay(limit: int = 200) -> int:
    """Relay every due row; returns how many were handled. Re-entrant calls (a job run
    inline that commits more work) return at once: the outer loop picks the new rows."""
    if _relaying.get():
        return 0
    token = _relaying.set(True)
    handled = 0
    try:
        while True:
            claimed = [row for row in map(_claim, _due(limit)) if row is not None]
            if not claimed:
                return handled
            if queues.is_inline():
                _run_inline(claimed)
            else:
                for row in claimed:
                    _hand_to_rq(row)
            handled += len(claimed)
    finally:
        _relaying.reset(token)


def _due(limit: int) -> list[int]:
    with platform_wide():
        ids = list(db.session.execute(
            select(OutboxMessage.id)
            .where(OutboxMessage.available_at <= utcnow())
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).scalars())
        db.session.rollback()  # end the read; each row is claimed in its own transaction
    return ids


def _claim(row_id: int) -> Claimed | None:
    """Take a due row for one lease with a single conditional UPDATE, so two relays
    (threads, processes, a web request and the scheduler) never both take it."""
    now = utcnow()
    with platform_wide():
        taken = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.available_at <= now)
            .values(available_at=now + lease())
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if taken != 1:
            return None
        row = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.id == row_id)
        ).scalar_one_or_none()
        claimed = None if row is None else Claimed(row.id, row.tenant_id, row.queue, row.func,
                                                   list(row.args), row.job_id)
        db.session.rollback()
    return claimed


def _run_inline(rows: list[Claimed]) -> None:
    parallel = [r for r in rows if r.queue in PARALLEL_QUEUES]
    for row in rows:
        if row.queue not in PARALLEL_QUEUES:
            _execute_logged(row)
    if len(parallel) == 1:
        _execute_logged(parallel[0])
    elif parallel:
        app = current_app._get_current_object()

        def one(row: Claimed) -> None:
            with app.app_context():
                try:
                    _execute_logged(row)
                finally:
                    db.session.remove()

        with ThreadPoolExecutor(max_workers=INLINE_THREADS,
                                thread_name_prefix="inline-job") as pool:
            list(pool.map(one, parallel))


def _execute_logged(row: Claimed) -> None:
    """Inline, a failed job is logged and left in the outbox; the relay goes on."""
    try:
        execute(row.id, row.func, row.tenant_id, *row.args)
    except Exception:  # already logged and recorded on the row by execute()
        db.session.rollback()


def _hand_to_rq(row: Claimed) -> None:
    """Enqueue the row's job unless rq already holds it alive (queued, or started by a
    worker whose heart still beats): then the new lease just keeps watching it."""
    try:
        queue = queues.get_queue(row.queue)
        if _alive_in_rq(row.job_id, queue.connection):
            return
        queue.enqueue_call(
            "singlewindow.platform.tasks.worker.run_job",
            args=(row.id, row.func, row.tenant_id, *row.args),
            job_id=row.job_id,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
    except RedisError as exc:  # Redis down: the lease ends and a later relay tries again
        log.warning("could not hand job %s to Redis (%s); it stays in the outbox",
                    row.job_id, exc)


def _alive_in_rq(job_id: str, connection) -> bool:
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
        return True
    if status == JobStatus.STARTED and job.last_heartbeat is not None:
        beat = job.last_heartbeat
        beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
        # A started job whose worker has missed three heartbeats went down with it.
        stale = timedelta(seconds=3 * current_app.config["WORKER_HEARTBEAT_SECONDS"])
        return utcnow() - beat < stale
    return False


_current_row: contextvars.ContextVar[int | None] = contextvars.ContextVar("outbox_row",
                                                                          default=None)


def execute(row_id: int, func_path: str, tenant_id: int | None, *args: Any) -> None:
    """Run one outbox job (inline, or in an rq worker) and settle its row: deleted when
    done; on failure kept, with the error and a back-off before it comes due again."""
    with platform_wide():
        exists = db.session.execute(
            select(OutboxMessage.id).where(OutboxMessage.id == row_id)).first()
        db.session.rollback()
    if exists is None:
        return  # done already (a relayed duplicate)
    token = _current_row.set(row_id)
    try:
        run(func_path, tenant_id, *args)
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s (tenant %s, outbox row %s) failed; it will be retried",
                      func_path, tenant_id, row_id)
        with platform_wide():
            row = db.session.get(OutboxMessage, row_id)
            if row is not None:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                row.available_at = utcnow() + timedelta(seconds=min(300, 2**row.attempts))
                db.session.commit()
        raise
    finally:
        _current_row.reset(token)
    with platform_wide():
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id == row_id))
        db.session.commit()


def extend_lease() -> None:
    """A long job (provisioning) says it is still alive, so its row is not relayed again."""
    row_id = _current_row.get()
    if row_id is None:
        return
    with platform_wide():
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id)
            .values(available_at=utcnow() + lease())
            .execution_options(synchronize_session=False))
        db.session.commit()


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


def ping() -> None:
    """A job that does nothing: the queue's own latency, for benchmarks and health checks."""


def pending_count() -> int:
    with platform_wide():
        return len(db.session.execute(select(OutboxMessage.id)).all())


def oldest_pending() -> datetime | None:
    with platform_wide():
        return db.session.execute(
            select(OutboxMessage.created_at).order_by(OutboxMessage.id).limit(1)
        ).scalar_one_or_none()


def configure(app) -> None:
    """Relay after every request that committed work (the embedded default runs the jobs
    here; the production shape only hands them to Redis)."""

    @app.after_request
    def _relay_after_request(response):
        if db.session.info.pop("outbox_committed", False):
            try:
                relay()
            except Exception:  # a failed job stays in the outbox; the request is done
                log.exception("outbox relay after request failed")
        return response
