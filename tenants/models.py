"""The tenant (one region's single window) and what its administrators configure:
agencies, their connectors, and the routing rules that bring them into a declaration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from singlewindow.platform.db.scoping import TenantScoped, tenant_fk, tenant_unique_id
from singlewindow.platform.db.types import JSONType, UTCDateTime, utcnow
from singlewindow.platform.extensions import db


class TenantStatus:
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    FAILED = "failed"


class Tenant(db.Model):
    """A platform row, not tenant-owned: the operator's record of one single window."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(200), default="")
    template: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(20), default=TenantStatus.PROVISIONING)
    theme: Mapped[str] = mapped_column(String(63), default="default")
    branding: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=lambda: ["en"])
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # A custom domain routes to the tenant only once it is verified (see tenants/domains.py).
    custom_domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    domain_token: Mapped[str | None] = mapped_column(String(64))
    domain_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_code: Mapped[str] = mapped_column(String(63), default="standard")
    admin_email: Mapped[str | None] = mapped_column(String(254))  # the first admin, invited
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    provisioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str] = mapped_column(Text, default="")
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class ProvisioningStep(TenantScoped, db.Model):
    """One named step of turning a template into a live tenant, with its outcome."""

    __tablename__ = "provisioning_steps"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(63))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|done|failed
    detail: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Agency(TenantScoped, db.Model):
    """A body that must see or approve declarations (a PGA)."""

    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("tenant_id", "code"), tenant_unique_id())

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # customs, sps, licensing, port, ...
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    connector: Mapped[Connector | None] = relationship(
        primaryjoin="and_(Agency.id == foreign(Connector.agency_id), "
        "Agency.tenant_id == Connector.tenant_id)",
        back_populates="agency",
        uselist=False,
    )


class ConnectorMode:
    API = "api"
    EDIFACT = "edifact"
    EMBED = "embed"
    LINK = "link"
    ALL = (API, EDIFACT, EMBED, LINK)


class Connector(TenantScoped, db.Model):
    """How the platform reaches one agency, and what it sends (the agency's message set)."""

    __tablename__ = "connectors"
    __table_args__ = (
        UniqueConstraint("tenant_id", "agency_id"),
        tenant_unique_id(),
        tenant_fk("agency_id", "agencies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int]
    mode: Mapped[str] = mapped_column(String(16), default=ConnectorMode.API)
    endpoint: Mapped[str] = mapped_column(String(500), default="")
    auth: Mapped[str] = mapped_column(String(16), default="hmac")
    # The shared secret for HMAC signatures both ways. Held to sign, so not hashed.
    secret: Mapped[str] = mapped_column(String(200), default="")
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=10)
    health: Mapped[str] = mapped_column(String(16), default="unknown")  # up|down|unknown
    health_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    health_detail: Mapped[str] = mapped_column(Text, default="")

    agency: Mapped[Agency] = relationship(
        primaryjoin="and_(Agency.id == foreign(Connector.agency_id), "
        "Agency.tenant_id == Connector.tenant_id)",
        back_populates="connector",
    )
    mappings: Mapped[list[MessageMapping]] = relationship(
        primaryjoin="and_(Connector.id == foreign(MessageMapping.connector_id), "
        "Connector.tenant_id == MessageMapping.tenant_id)",
        order_by="MessageMapping.version.desc()",
        viewonly=True,
    )


class MessageMapping(TenantScoped, db.Model):
    """An agency's message set and its own names and formats for it, as one numbered
    version, written for (pinned to) a catalogue profile version. When an agency changes
    its format it gets a new mapping version in force from a date; declarations and traders
    see no change.

    `elements`: [{"id": "hs_code", "field": "CodeTS", "format": {...}, "when": {...}}]:
    `field` is the agency's name (default: the element id), `format` how to write the
    value (`date`: a strftime pattern, `decimal_comma`, `upper`, `values`: a code map), and
    `when` sends the element only if the goods or the declaration match (`hs_prefixes`,
    or element values)."""

    __tablename__ = "message_mappings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "connector_id", "version"),
        tenant_fk("connector_id", "connectors"),
        tenant_fk("profile_version_id", "catalogue_profile_versions", ondelete=None),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int]
    version: Mapped[int]
    profile_version_id: Mapped[int]
    all_elements: Mapped[bool] = mapped_column(Boolean, default=False)
    elements: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def field_names(self) -> dict[str, str]:
        return {e["id"]: e.get("field") or e["id"] for e in self.elements}


class RoutingRule(TenantScoped, db.Model):
    """Brings an agency into a declaration when its conditions match (see routing.py)."""

    __tablename__ = "routing_rules"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_unique_id(),
        tenant_fk("agency_id", "agencies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int]
    priority: Mapped[int] = mapped_column(Integer, default=100)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    legal_basis: Mapped[str] = mapped_column(Text, default="")

    agency: Mapped[Agency] = relationship(
        primaryjoin="and_(Agency.id == foreign(RoutingRule.agency_id), "
        "Agency.tenant_id == RoutingRule.tenant_id)",
    )
