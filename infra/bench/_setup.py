"""Shared set-up for the benchmarks: a fresh platform on the embedded default (a new
SQLite file, jobs inline) or on PostgreSQL + Redis (a dedicated database and Redis
database, real worker processes), with the simulated agency on a loopback port."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from singlewindow.platform import operations
from singlewindow.platform.app import create_app
from singlewindow.platform.extensions import db
from singlewindow.platform.simulator.app import SimulatorServer

BENCH_DB = "singlewindow_bench"
APP_ROLE = "singlewindow_app"


@dataclass
class Bench:
    app: object
    mode: str
    workers: list[subprocess.Popen] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def _fresh_postgres(admin_url: str) -> tuple[str, str]:
    """A dedicated, empty database (never the one the tests use) and the app role's URL."""
    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {BENCH_DB}"))
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                            {"r": APP_ROLE}).first():
            conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
    server.dispose()
    admin = url.set(database=BENCH_DB)
    return (admin.render_as_string(hide_password=False),
            admin.set(username=APP_ROLE, password=None).render_as_string(hide_password=False))


@contextlib.contextmanager
def platform(mode: str, workers: int = 1, time_scale: float = 0.05) -> Iterator[Bench]:
    """mode: 'embedded', or 'production' (needs BENCH_DATABASE_URL and BENCH_REDIS_URL)."""
    instance = Path(tempfile.mkdtemp(prefix="sw-bench-"))
    os.environ["SINGLEWINDOW_INSTANCE"] = str(instance)
    secret = secrets.token_hex(16)
    simulator = SimulatorServer(secret, time_scale=time_scale).start()
    settings = {"SIMULATOR_URL": simulator.url, "SIMULATOR_SECRET": secret,
                "SECRET_KEY": secrets.token_hex(16), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "OUTBOX_LEASE_SECONDS": 30, "WORKER_HEARTBEAT_SECONDS": 2}
    if mode == "embedded":
        settings.update(DATABASE_URL=f"sqlite:///{instance}/bench.sqlite", REDIS_URL=None)
    else:
        admin_url, app_url = _fresh_postgres(os.environ["BENCH_DATABASE_URL"])
        settings.update(DATABASE_URL=app_url, DATABASE_ADMIN_URL=admin_url,
                        REDIS_URL=os.environ["BENCH_REDIS_URL"])
        Redis.from_url(settings["REDIS_URL"]).flushdb()
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["PLATFORM_DOMAIN"] = f"bench.localhost:{server.port}"
    with app.app_context():
        operations.prepare_database()
    bench = Bench(app, mode)
    stop = threading.Event()
    if mode != "embedded":
        bench.env = {**os.environ, **{k: str(v) for k, v in settings.items() if v is not None},
                     "PLATFORM_DOMAIN": app.config["PLATFORM_DOMAIN"]}
        bench.env.pop("DATABASE_ADMIN_URL", None)
        exe = Path(sys.executable).with_name("singlewindow")
        bench.workers = [subprocess.Popen([str(exe), "worker"], env=bench.env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True) for _ in range(workers)]
        threading.Thread(target=operations.scheduler_loop, args=(app, stop, 0.2),
                         daemon=True).start()
    try:
        yield bench
    finally:
        stop.set()
        for proc in bench.workers:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        server.shutdown()
        simulator.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def modes() -> list[str]:
    found = ["embedded"]
    if os.environ.get("BENCH_DATABASE_URL") and os.environ.get("BENCH_REDIS_URL"):
        found.append("production")
    return found


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (f"median {statistics.median(ordered) * 1000:8.1f} ms   p90 {p90 * 1000:8.1f} ms   "
            f"(n={len(ordered)})")
