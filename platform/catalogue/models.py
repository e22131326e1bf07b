"""A tenant's catalogue profile, as numbered versions. A published version never changes;
declarations record the version they were made under."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.platform.db.scoping import TenantScoped, tenant_unique_id
from singlewindow.platform.db.types import JSONType, UTCDateTime, utcnow
from singlewindow.platform.extensions import db


class ProfileVersion(TenantScoped, db.Model):
    __tablename__ = "catalogue_profile_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"), tenant_unique_id())

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | published
    master_version: Mapped[str] = mapped_column(String(16))
    # [{"id": "hs_code", "required": true}, ...] in form order.
    elements: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
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
