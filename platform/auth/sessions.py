"""Signed-in sessions, held on the server so that signing out (or an administrator
disabling a user) ends them at once, and failed sign-ins, counted to slow guessing.

The browser's cookie only carries a random session id (signed by Flask); the row says
who it is for. Subjects are `user:<tenant id>:<user id>` or `operator:<operator id>`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.platform.db.types import UTCDateTime, utcnow
from singlewindow.platform.extensions import db

SESSION_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=5)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


class LoginSession(db.Model):
    __tablename__ = "login_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailure(db.Model):
    """Failed sign-ins per (host, e-mail), in a sliding window."""

    __tablename__ = "login_failures"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def user_subject(tenant_id: int, user_id: int) -> str:
    return f"user:{tenant_id}:{user_id}"


def tenant_prefix(tenant_id: int) -> str:
    """The start of every subject of a tenant's users."""
    return f"user:{tenant_id}:"


def operator_subject(operator_id: int) -> str:
    return f"operator:{operator_id}"


def start(subject: str) -> str:
    """Open a session; returns the id for the cookie (only its hash is stored)."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(LoginSession(id_hash=_hash(sid), subject=subject, created_at=now,
                                last_seen_at=now, expires_at=now + SESSION_LIFETIME))
    db.session.commit()
    return sid


def subject_of(sid: str | None) -> str | None:
    if not sid or not isinstance(sid, str):
        return None
    row = db.session.get(LoginSession, _hash(sid))
    now = utcnow()
    if row is None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:  # sliding expiry, written now and then only
        row.last_seen_at, row.expires_at = now, now + SESSION_LIFETIME
        db.session.commit()
    return row.subject


def end(sid: str | None) -> None:
    if sid and isinstance(sid, str):
        db.session.execute(delete(LoginSession).where(LoginSession.id_hash == _hash(sid)))
        db.session.commit()


def end_all(subject_prefix: str) -> None:
    """End every session of a user, an operator, or (`user:<tenant id>:`) a whole tenant."""
    db.session.execute(delete(LoginSession).where(LoginSession.subject.startswith(subject_prefix)))


def _failure_key(host: str, email: str) -> str:
    return _hash(f"{host.lower()}|{email.strip().lower()}")


def locked_for(host: str, email: str) -> timedelta | None:
    """How long sign-in stays refused for this address on this host, if it is."""
    row = db.session.get(LoginFailure, _failure_key(host, email))
    if row is None or row.count < MAX_FAILURES:
        return None
    left = row.first_at + FAILURE_WINDOW - utcnow()
    return left if left > timedelta(0) else None


def record_failure(host: str, email: str) -> None:
    key = _failure_key(host, email)
    row = db.session.get(LoginFailure, key)
    now = utcnow()
    if row is None or now - row.first_at > FAILURE_WINDOW:
        if row is None:
            row = LoginFailure(key_hash=key)
            db.session.add(row)
        row.count, row.first_at = 0, now
    row.count += 1
    db.session.commit()


def clear_failures(host: str, email: str) -> None:
    db.session.execute(delete(LoginFailure).where(
        LoginFailure.key_hash == _failure_key(host, email)))


def purge_expired() -> int:
    """Housekeeping: forget ended sessions and old failures."""
    now = utcnow()
    n = db.session.execute(delete(LoginSession).where(LoginSession.expires_at <= now)).rowcount
    db.session.execute(delete(LoginFailure).where(LoginFailure.first_at < now - FAILURE_WINDOW))
    db.session.commit()
    return n


def has_session_prefix(prefix: str) -> bool:
    return db.session.execute(select(LoginSession.id_hash).where(
        LoginSession.subject.startswith(prefix))).first() is not None
