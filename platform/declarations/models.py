"""Declarations, their per-agency submissions and their timeline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from singlewindow.platform.db.scoping import TenantScoped, tenant_fk, tenant_unique_id
from singlewindow.platform.db.types import DecimalType, JSONType, UTCDateTime, utcnow
from singlewindow.platform.extensions import db


class Declaration(TenantScoped, db.Model):
    """One export declaration: one form for all agencies."""

    __tablename__ = "declarations"
    __table_args__ = (
        # The declarant's own reference is unique per declarant: it makes re-imports safe.
        UniqueConstraint("tenant_id", "company_id", "shipment_ref"),
        tenant_unique_id(),
        tenant_fk("company_id", "companies"),
        tenant_fk("profile_version_id", "catalogue_profile_versions", ondelete=None),
        # A trader's newest first, within the tenant: the cost must not grow with the
        # platform's other tenants (infra/bench/tenant_scale.py).
        Index("ix_declarations_tenant_company_id", "tenant_id", "company_id", "id"),
        Index("ix_declarations_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int]
    profile_version_id: Mapped[int]
    shipment_ref: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    # The validated document, canonical: codes as strings, decimals as exact strings.
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(16))  # portal | api | import
    submitted_by: Mapped[str] = mapped_column(String(200), default="")
    # Denormalised from the document for lists and filters.
    exporter_name: Mapped[str] = mapped_column(String(200), default="")
    destination_country: Mapped[str] = mapped_column(String(2), default="")
    transport_mode: Mapped[str] = mapped_column(String(1), default="")
    invoice_currency: Mapped[str] = mapped_column(String(3), default="")
    total_value: Mapped[Decimal | None] = mapped_column(DecimalType(22, 3))
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company = relationship(
        "Company",
        primaryjoin="and_(Company.id == foreign(Declaration.company_id), "
        "Company.tenant_id == Declaration.tenant_id)",
    )
    profile_version = relationship(
        "ProfileVersion",
        primaryjoin="and_(ProfileVersion.id == foreign(Declaration.profile_version_id), "
        "ProfileVersion.tenant_id == Declaration.tenant_id)",
    )
    submissions: Mapped[list[AgencySubmission]] = relationship(
        primaryjoin="and_(Declaration.id == foreign(AgencySubmission.declaration_id), "
        "Declaration.tenant_id == AgencySubmission.tenant_id)",
        back_populates="declaration",
        order_by="AgencySubmission.id",
    )
    events: Mapped[list[DeclarationEvent]] = relationship(
        primaryjoin="and_(Declaration.id == foreign(DeclarationEvent.declaration_id), "
        "Declaration.tenant_id == DeclarationEvent.tenant_id)",
        # By when it happened: an agency may answer before its message is recorded as sent.
        order_by="(DeclarationEvent.created_at, DeclarationEvent.id)",
        viewonly=True,
    )

    @property
    def items(self) -> list[dict[str, Any]]:
        return self.document.get("items", [])

    @property
    def is_final(self) -> bool:
        return self.final_at is not None


class AgencySubmission(TenantScoped, db.Model):
    """What one agency received of a declaration, and where it stands with that agency."""

    __tablename__ = "agency_submissions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "declaration_id", "agency_id"),
        tenant_unique_id(),
        tenant_fk("declaration_id", "declarations"),
        tenant_fk("agency_id", "agencies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int]
    agency_id: Mapped[int]
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # Which routing rules brought the agency in, and for which goods items.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    items: Mapped[list[int]] = mapped_column(JSONType, default=list)
    # Stable id of the message: the agency's idempotency key for every delivery attempt.
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    agency_reference: Mapped[str] = mapped_column(String(100), default="")
    last_sequence: Mapped[int] = mapped_column(Integer, default=-1)
    answer_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    declaration: Mapped[Declaration] = relationship(
        primaryjoin="and_(Declaration.id == foreign(AgencySubmission.declaration_id), "
        "Declaration.tenant_id == AgencySubmission.tenant_id)",
        back_populates="submissions",
    )
    agency = relationship(
        "Agency",
        primaryjoin="and_(Agency.id == foreign(AgencySubmission.agency_id), "
        "Agency.tenant_id == AgencySubmission.tenant_id)",
    )


class DeclarationEvent(TenantScoped, db.Model):
    """One entry on a declaration's timeline."""

    __tablename__ = "declaration_events"
    __table_args__ = (
        # An agency's own event id, so a repeated callback is recorded once.
        UniqueConstraint("tenant_id", "external_id"),
        tenant_fk("declaration_id", "declarations"),
        tenant_fk("submission_id", "agency_submissions"),
        Index("ix_declaration_events_tenant_declaration", "tenant_id", "declaration_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int]
    submission_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(32))  # submitted, routed, sent, answer, status, ...
    status: Mapped[str] = mapped_column(String(16), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200), default="")
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission = relationship(
        "AgencySubmission",
        primaryjoin="and_(AgencySubmission.id == foreign(DeclarationEvent.submission_id), "
        "AgencySubmission.tenant_id == DeclarationEvent.tenant_id)",
        viewonly=True,
    )


class DeclarationDraft(TenantScoped, db.Model):
    """A declaration a trader has started and saved, not yet submitted: kept as typed, so
    it may hold what validation would refuse."""

    __tablename__ = "declaration_drafts"
    __table_args__ = (tenant_fk("company_id", "companies"),
                      Index("ix_declaration_drafts_tenant_company", "tenant_id", "company_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(254))
    shipment_ref: Mapped[str] = mapped_column(String(100), default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(TenantScoped, db.Model):
    """A client's Idempotency-Key and the declaration its first request created."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("tenant_id", "owner", "key"),
        tenant_fk("declaration_id", "declarations"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))  # who may replay it: client:<id>, user:<id>
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    declaration_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
