"""Configuration from the environment.

With no DATABASE_URL the platform runs on SQLite in the instance folder, and with no
REDIS_URL jobs run inline in the process that committed them: the embedded default,
which shows the whole product on a bare machine. With both set it is the production
shape (PostgreSQL, Redis, separate rq workers).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def from_environment(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the config mapping; `overrides` (tests, the demo) win over the environment."""
    env = os.environ
    overrides = dict(overrides or {})
    database_url = overrides.pop("DATABASE_URL", None) or env.get("DATABASE_URL")
    # Migrations run as the tables' owner; the app connects as a role that owns nothing,
    # so PostgreSQL's row-level security applies to it. Unset: one URL for both.
    admin_url = overrides.pop("DATABASE_ADMIN_URL", None) or env.get("DATABASE_ADMIN_URL")
    if not database_url:
        database_url = "sqlite:///" + str(Path(instance_path) / "singlewindow.sqlite")
    config: dict[str, Any] = {
        "SECRET_KEY": env.get("SECRET_KEY") or _dev_secret(instance_path, "secret_key"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "DATABASE_ADMIN_URL": normalise_database_url(admin_url) if admin_url else None,
        "REDIS_URL": env.get("REDIS_URL") or None,
        # Host names: tenants live at <slug>.<PLATFORM_DOMAIN>; the operator console on
        # the bare PLATFORM_DOMAIN. A port in it is used for links, ignored for matching.
        "PLATFORM_DOMAIN": env.get("PLATFORM_DOMAIN", "localhost:5000"),
        "PREFERRED_URL_SCHEME": env.get("PREFERRED_URL_SCHEME", "http"),
        # Where the simulated agency service listens; country templates point their
        # demo connectors at it.
        "SIMULATOR_URL": env.get("SIMULATOR_URL", "http://127.0.0.1:5081"),
        "SIMULATOR_SECRET": env.get("SIMULATOR_SECRET") or _dev_secret(instance_path,
                                                                        "simulator_secret"),
        "CONNECTOR_TIMEOUT_SECONDS": float(env.get("CONNECTOR_TIMEOUT_SECONDS", "10")),
        "DISPATCH_MAX_ATTEMPTS": int(env.get("DISPATCH_MAX_ATTEMPTS", "5")),
        # How long a relayed job may run before the outbox presumes it lost and relays it
        # again (rq jobs still queued, or started by a live worker, are left alone).
        "OUTBOX_LEASE_SECONDS": int(env.get("OUTBOX_LEASE_SECONDS", "120")),
        # How often a worker beats its heart for the job it runs; a job whose worker has
        # missed three beats is presumed lost with it (and relayed again).
        "WORKER_HEARTBEAT_SECONDS": int(env.get("WORKER_HEARTBEAT_SECONDS", "10")),
        # Fault drills only: pause inside each provisioning step, to kill a worker mid-step.
        "PROVISIONING_STEP_PAUSE_SECONDS": float(env.get("PROVISIONING_STEP_PAUSE_SECONDS", "0")),
        "OAUTH2_TOKEN_EXPIRES_IN": {"client_credentials": 3600},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", "scrypt"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAIL_SMTP_HOST": env.get("MAIL_SMTP_HOST") or None,
        "MAIL_SMTP_PORT": int(env.get("MAIL_SMTP_PORT", "25")),
        "MAIL_FROM": env.get("MAIL_FROM", "Single Window Platform <no-reply@singlewindow.invalid>"),
        # Behind a TLS-terminating load balancer, how many proxies to trust for the
        # client's scheme and host (X-Forwarded-Proto/Host); 0 when serving directly.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
    }
    config.update(overrides)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    # OAuth2 demands HTTPS; plain HTTP is allowed only for a loopback development domain.
    host = config["PLATFORM_DOMAIN"].rsplit(":", 1)[0]
    local = host in ("localhost", "127.0.0.1") or host.endswith(".localhost")
    config.setdefault("OAUTH2_ALLOW_HTTP", local)
    if not local and not (env.get("SECRET_KEY") or overrides.get("SECRET_KEY")):
        # Several web hosts must share one key, so a generated one will not do here.
        raise RuntimeError(f"SECRET_KEY must be set when PLATFORM_DOMAIN is {host!r}")
    return config


def _dev_secret(instance_path: str, name: str) -> str:
    """A per-installation secret kept in the instance folder, so it survives restarts on a
    developer machine (and is shared by its web, worker and simulator processes) without
    anyone committing one. Production sets it in the environment."""
    path = Path(instance_path) / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
