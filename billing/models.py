"""The usage ledger: one row per billable event, the only thing that decides a bill."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.platform.db.scoping import TenantScoped
from singlewindow.platform.db.types import UTCDateTime, utcnow
from singlewindow.platform.extensions import db


class UsageKind:
    DECLARATION_SUBMITTED = "declaration_submitted"
    AGENCY_MESSAGE_SENT = "agency_message_sent"
    DOCUMENT_STORED = "document_stored"
    CERTIFICATE_ISSUED = "certificate_issued"
    LABELS = {
        DECLARATION_SUBMITTED: "Declarations submitted",
        AGENCY_MESSAGE_SENT: "Agency messages sent",
        DOCUMENT_STORED: "Documents stored",
        CERTIFICATE_ISSUED: "Certificates issued",
    }


class UsageEvent(TenantScoped, db.Model):
    __tablename__ = "usage_events"
    # The idempotency key makes recording the same billable event twice impossible.
    __table_args__ = (UniqueConstraint("tenant_id", "idempotency_key"),
                      Index("ix_usage_events_tenant_occurred", "tenant_id", "occurred_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(100), default="")  # e.g. declaration:12
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
