"""The rq side: the function rq runs for every job, and the worker process.

Jobs are plain functions that take ids; `run_job` gives them an app context and their
tenant, and relays whatever they enqueued. The worker forks a work horse per job, so the
horse drops the connections it inherited before touching the database.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from flask import Flask, has_app_context
from rq import SimpleWorker, Worker

from singlewindow.platform.app import create_app
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox, queues

_app: Flask | None = None
_app_pid: int | None = None


def _worker_app() -> Flask:
    global _app, _app_pid
    if _app is None:
        _app = create_app()
        _app_pid = os.getpid()
    if _app_pid != os.getpid():
        # A forked work horse: never share the parent's pooled connections.
        with _app.app_context():
            db.engine.dispose(close=False)
        _app_pid = os.getpid()
    return _app


@contextlib.contextmanager
def app_context() -> Iterator[None]:
    if has_app_context():
        yield
        return
    with _worker_app().app_context():
        yield


def run_job(row_id: int, func_path: str, tenant_id: int | None, *args: Any) -> None:
    """What rq runs: the outbox job of row `row_id`, which is deleted once it is done."""
    with app_context():
        try:
            outbox.execute(row_id, func_path, tenant_id, *args)
        finally:
            try:
                outbox.relay()  # hand on what the job enqueued, without waiting a tick
            finally:
                db.session.remove()


def work(queue_names: list[str] | None = None, burst: bool = False, fork: bool = True) -> None:
    """Run an rq worker on the named queues (all of them by default). By default each job
    runs in a forked work horse (a crash or a leak dies with it); without forking, jobs
    run in the worker process itself, which saves the fork's ~0.1 s per job."""
    app = _worker_app()
    with app.app_context():
        connection = queues.redis_connection()
        names = queue_names or list(outbox.QUEUES)
        worker_class = Worker if fork else SimpleWorker
        worker = worker_class([queues.get_queue(n) for n in names], connection=connection,
                        job_monitoring_interval=app.config["WORKER_HEARTBEAT_SECONDS"])
        db.engine.dispose()  # the parent holds no connection while horses work
    worker.work(burst=burst, with_scheduler=False)
