"""Platform-wide reference data: the same for every tenant, loaded once, never copied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from singlewindow.platform.db.types import UTCDateTime, utcnow
from singlewindow.platform.extensions import db


class ReferenceDataset(db.Model):
    """One row per loaded source file: what was loaded, from which bytes, when."""

    __tablename__ = "reference_datasets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HsCode(db.Model):
    """HS 2022 nomenclature: chapters (2 digits), headings (4), subheadings (6)."""

    __tablename__ = "hs_codes"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    level: Mapped[int]
    parent: Mapped[str | None] = mapped_column(String(10))
    section: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text)


class HsSection(db.Model):
    __tablename__ = "hs_sections"

    section: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class Location(db.Model):
    """UN/LOCODE. Codes are not unique in the source (official bilingual names), so rows
    keep their own id and `locode` is indexed, not a key."""

    __tablename__ = "locations"
    __table_args__ = (Index("ix_locations_locode", "locode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    locode: Mapped[str] = mapped_column(String(5))
    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(128))
    name_ascii: Mapped[str] = mapped_column(String(128))
    subdivision: Mapped[str] = mapped_column(String(8), default="")
    status: Mapped[str] = mapped_column(String(2), default="")
    function: Mapped[str] = mapped_column(String(8), default="")
    coordinates: Mapped[str] = mapped_column(String(16), default="")


class Country(db.Model):
    """ISO 3166-1 alpha-2, as UN/LOCODE lists them."""

    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))


class Currency(db.Model):
    """ISO 4217 current codes. `minor_unit` is None where the standard says N.A."""

    __tablename__ = "currencies"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    numeric_code: Mapped[str] = mapped_column(String(3))
    minor_unit: Mapped[int | None]


class Unit(db.Model):
    """UNECE Recommendation 20 units of measure (current and deprecated kept, flagged)."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    symbol: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(2), default="")


class PackageType(db.Model):
    """UNECE Recommendation 21 package type codes."""

    __tablename__ = "package_types"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(2), default="")
