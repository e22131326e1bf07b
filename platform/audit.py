"""The audit log: an append-only record of what operator staff (and governance roles)
did, with whom and to what. Rows are never updated or deleted: the database refuses it
(triggers, see the migration), so not even a bug can rewrite history.

It names its target in words (`tenant:ke`) rather than by foreign key, so it outlives
what it describes: retiring a tenant removes the tenant's data, not the operator's
record of having retired it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.platform.db.types import JSONType, UTCDateTime, utcnow
from singlewindow.platform.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))  # operator:<email>, user:<email>, system
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="", index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(Text, default="")


def record(actor: str, action: str, target: str = "", summary: str = "",
           **detail: Any) -> AuditEntry:
    """Add an entry in the caller's transaction (it commits with the action it records)."""
    entry = AuditEntry(actor=actor, action=action, target=target, summary=summary,
                       detail=detail, at=utcnow(),
                       ip=(request.remote_addr or "") if has_request_context() else "")
    db.session.add(entry)
    return entry


def recent(limit: int = 200, target: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target:
        stmt = stmt.where(AuditEntry.target == target)
    return list(db.session.execute(stmt).scalars())
