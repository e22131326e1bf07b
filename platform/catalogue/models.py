"""A tenant's catalogue profile, as numbered versions. A published version never changes;
declarations record the version they were made under."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.platform.db.scoping import TenantScoped, tenant_fk, tenant_unique_id
from singlewindow.platform.db.types import JSONType, UTCDateTime, utcnow
from singlewindow.platform.extensions import db


class ProfileVersion(TenantScoped, db.Model):
    """One version of a tenant's catalogue profile. Once published it never changes (the
    database refuses an update); a change is a proposal that, approved, publishes the next
    version with its own effective date."""

    __tablename__ = "catalogue_profile_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"), tenant_unique_id())

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | published
    master_version: Mapped[str] = mapped_column(String(16))
    # [{"id": "hs_code", "required": true, "required_when": {...}}, ...] in form order.
    elements: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Elements of the tenant's own, defined like master elements (ids start with nat_).
    national_elements: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The tenant's own code lists: {"KE_ZONES": {"name": ..., "values": {code: label}}}.
    code_lists: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # National tariff lines (8 or 10 digits) under HS subheadings: {code: description}.
    tariff_lines: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effective_from: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def required_ids(self) -> set[str]:
        return {e["id"] for e in self.elements if e.get("required")}

    def element_ids(self) -> list[str]:
        return [e["id"] for e in self.elements]

    def entry(self, element_id: str) -> dict[str, Any] | None:
        return next((e for e in self.elements if e["id"] == element_id), None)


class ChangeProposal(TenantScoped, db.Model):
    """A proposed change to the catalogue profile: raised by an administrator or an agency
    officer, decided by the data committee; approved, it publishes the next version."""

    __tablename__ = "catalogue_change_proposals"
    __table_args__ = (tenant_unique_id(),
                      tenant_fk("version_id", "catalogue_profile_versions", ondelete=None))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    proposed_by: Mapped[str] = mapped_column(String(254))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    impact: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    decided_by: Mapped[str] = mapped_column(String(254), default="")
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effective_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_id: Mapped[int | None]
