"""Test set-up: the real thing, started once per session.

- The database is the one DATABASE_URL names (PostgreSQL on CI) or a fresh SQLite file;
  its schema is built by the Alembic migrations, as in production, and the shipped
  reference data is loaded into it.
- With REDIS_URL set, jobs go through Redis to real `singlewindow worker` processes
  (the Redis database named in the URL is flushed first); without it they run inline.
- The simulated agency runs on a loopback port, and the app itself is served on another
  so the agencies' answers come back over HTTP.

Two tenants from the shipped templates, `ke` and `shanghai`, are provisioned once; tests
that need a clean window provision their own from a template under a fresh slug.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from singlewindow.platform.config import normalise_database_url

from helpers import REPO, Window, provision_window


def pytest_report_header(config) -> list[str]:
    db = os.environ.get("DATABASE_URL") or "SQLite (embedded default)"
    jobs = f"rq workers on {os.environ['REDIS_URL']}" if os.environ.get("REDIS_URL") else "inline"
    return [f"singlewindow: database {db.split('@')[-1]}, jobs {jobs}"]


@dataclass
class Platform:
    app: Flask
    port: int
    simulator: object
    redis_mode: bool
    workers: list[subprocess.Popen] = field(default_factory=list)
    worker_env: dict[str, str] = field(default_factory=dict)

    def host(self, slug: str | None = None) -> str:
        return f"http://{slug + '.' if slug else ''}{self.domain}"

    @property
    def domain(self) -> str:
        """The platform's own host. It sits below `localhost` (which resolves to this
        machine), so other names under `localhost` can play the tenants' own domains."""
        return f"sw.localhost:{self.port}"


APP_ROLE = "singlewindow_app"


def _reset_postgres(url: str) -> str:
    """Empty the database and make sure the app's own role exists; returns the app's URL.
    The tables belong to the role in DATABASE_URL (the owner, which runs migrations); the
    app connects as APP_ROLE, which owns nothing, so row-level security binds it."""
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                              {"r": APP_ROLE}).first()
        if not exists:
            conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
    app_url = engine.url.set(username=APP_ROLE, password=None)
    engine.dispose()
    return app_url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def platform(tmp_path_factory) -> Iterator[Platform]:
    from singlewindow.platform import operations
    from singlewindow.platform.app import create_app
    from singlewindow.platform.simulator.app import SimulatorServer

    instance = tmp_path_factory.mktemp("instance")
    os.environ["SINGLEWINDOW_INSTANCE"] = str(instance)
    admin_url = os.environ.get("DATABASE_URL") or None
    database_url = admin_url or f"sqlite:///{instance}/test.sqlite"
    redis_url = os.environ.get("REDIS_URL") or None
    if database_url.startswith("postgres"):
        database_url = _reset_postgres(admin_url)
    else:
        admin_url = None
    if redis_url:
        Redis.from_url(redis_url).flushdb()
    secret = secrets.token_hex(16)
    simulator = SimulatorServer(secret, time_scale=0.05).start()
    settings = {
        "DATABASE_URL": database_url,
        "DATABASE_ADMIN_URL": admin_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_hex(16),
        "SIMULATOR_URL": simulator.url,
        "SIMULATOR_SECRET": secret,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # the slow default is for production
        "OUTBOX_LEASE_SECONDS": 5,  # so jobs lost with a killed worker come back quickly
        "WORKER_HEARTBEAT_SECONDS": 1,
        "TESTING": True,
    }
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["PLATFORM_DOMAIN"] = f"sw.localhost:{server.port}"
    with app.app_context():
        operations.prepare_database()
    result = Platform(app, server.port, simulator, bool(redis_url))
    stop = threading.Event()
    if redis_url:
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "SECRET_KEY": settings["SECRET_KEY"], "SIMULATOR_URL": simulator.url,
               "SIMULATOR_SECRET": secret, "PLATFORM_DOMAIN": app.config["PLATFORM_DOMAIN"],
               "PASSWORD_HASH_METHOD": settings["PASSWORD_HASH_METHOD"],
               "OUTBOX_LEASE_SECONDS": str(settings["OUTBOX_LEASE_SECONDS"]),
               "WORKER_HEARTBEAT_SECONDS": str(settings["WORKER_HEARTBEAT_SECONDS"]),
               "SINGLEWINDOW_INSTANCE": str(instance)}
        result.worker_env = env
        result.workers = [start_worker(env) for _ in range(3)]
        # The scheduler's job in production: relay retries that fall due.
        threading.Thread(target=operations.scheduler_loop, args=(app, stop, 0.3),
                         daemon=True).start()
    yield result
    stop.set()
    for proc in result.workers:
        stop_worker(proc)
    server.shutdown()
    simulator.stop()
    with app.app_context():
        from singlewindow.platform.extensions import db

        db.session.remove()
        db.engine.dispose()  # close pooled connections before the interpreter does


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """A real `singlewindow worker` process; its log goes to the instance folder."""
    exe = Path(sys.executable).with_name("singlewindow")
    log = open(Path(env["SINGLEWINDOW_INSTANCE"]) / "workers.log", "a")  # noqa: SIM115
    with log:
        return subprocess.Popen([str(exe), "worker"], env=env, cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture
def app(platform) -> Flask:
    return platform.app


@pytest.fixture
def ctx(app) -> Iterator[None]:
    from singlewindow.platform.extensions import db

    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture(scope="session")
def windows(platform) -> dict[str, Window]:
    """`ke` and `shanghai`, as the demo has them."""
    with platform.app.app_context():
        return {
            "ke": provision_window(platform, "ke", "ke",
                                   ("Kilimanjaro Highland Teas Ltd", "P051234567X")),
            "shanghai": provision_window(platform, "shanghai", "shanghai",
                                         ("Pudong Smart Devices Co Ltd", "91310115MA1K4XXXX1")),
        }


@pytest.fixture
def ke(windows) -> Window:
    return windows["ke"]


@pytest.fixture
def shanghai(windows) -> Window:
    return windows["shanghai"]


@pytest.fixture
def fresh_window(platform, ctx):
    """A new tenant from the `ke` template under a fresh slug, for tests that count."""
    slug = "t" + uuid.uuid4().hex[:10]
    return provision_window(platform, "ke", slug)


