"""Seconds from "create" to a live tenant: median of 10, on the embedded default and (with
BENCH_DATABASE_URL and BENCH_REDIS_URL) on PostgreSQL + Redis with one worker.

Baseline, measured in the same run: a job that does nothing, sent through the same path
(commit, outbox, queue, worker, done). The ratio says how much of the wait is provisioning
itself rather than getting a job done at all.

    .venv/bin/python infra/bench/provisioning.py
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python infra/bench/provisioning.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _setup import modes, platform, summary
from sqlalchemy import select

from singlewindow.platform.db.scoping import platform_wide
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.platform.tasks.outbox import OutboxMessage
from singlewindow.provisioning import service as provisioning
from singlewindow.tenants.models import Tenant

RUNS = 10
TEMPLATES = ("ke", "shanghai", "sg", "gh")


def wait(predicate, timeout=120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("gave up waiting")
        outbox.relay()
        db.session.rollback()
        time.sleep(0.01)


def provision_once(n: int) -> float:
    begun = time.perf_counter()
    tenant = provisioning.start(TEMPLATES[n % len(TEMPLATES)], request=provisioning.TenantRequest(
        TEMPLATES[n % len(TEMPLATES)], slug=f"bench-{n}", admin_email=f"admin{n}@bench.example"))
    db.session.commit()
    tenant_id = tenant.id
    outbox.relay()
    wait(lambda: db.session.get(Tenant, tenant_id).status in ("active", "failed"))
    elapsed = time.perf_counter() - begun
    assert db.session.get(Tenant, tenant_id).status == "active"
    return elapsed


def noop_once(n: int) -> float:
    begun = time.perf_counter()
    with platform_wide():
        outbox.enqueue("provisioning", outbox.ping, job_id=f"ping-{n}-{time.time_ns()}")
        db.session.commit()
        row = db.session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())
                                 ).scalars().first()
        outbox.relay()
        wait(lambda: db.session.get(OutboxMessage, row) is None)
    return time.perf_counter() - begun


def main() -> None:
    print(f"Provisioning a tenant from a template, create -> live ({RUNS} runs per mode)")
    for mode in modes():
        with platform(mode, workers=1) as bench, bench.app.app_context():
            noop_once(-1)  # warm up the queue path
            baseline = [noop_once(n) for n in range(RUNS)]
            runs = [provision_once(n) for n in range(RUNS)]
            ratio = statistics.median(runs) / statistics.median(baseline)
            label = "embedded (SQLite, inline)" if mode == "embedded" else \
                "PostgreSQL + Redis, 1 worker"
            print(f"  {label}")
            print(f"    provision: {summary(runs)}   goal: median under 5 s")
            print(f"    no-op job: {summary(baseline)}   (baseline: the queue path alone)")
            print(f"    ratio provision / no-op job: {ratio:.1f}")


if __name__ == "__main__":
    main()
