"""Who may do what: trader companies, tenant users with roles, operator staff, and the
OAuth2 clients that trader and agency systems use."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime

from flask import current_app
from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from singlewindow.platform.db.scoping import TenantScoped, tenant_fk, tenant_unique_id
from singlewindow.platform.db.types import UTCDateTime, utcnow
from singlewindow.platform.extensions import db


class Role:
    TENANT_ADMIN = "tenant_admin"
    DATA_COMMITTEE = "data_committee"
    TRADER_ADMIN = "trader_admin"
    TRADER_USER = "trader_user"
    AGENCY_OFFICER = "agency_officer"
    ALL = (TENANT_ADMIN, DATA_COMMITTEE, TRADER_ADMIN, TRADER_USER, AGENCY_OFFICER)
    TRADERS = (TRADER_ADMIN, TRADER_USER)
    LABELS = {
        TENANT_ADMIN: "Tenant administrator",
        DATA_COMMITTEE: "Data committee",
        TRADER_ADMIN: "Trader administrator",
        TRADER_USER: "Trader",
        AGENCY_OFFICER: "Agency officer",
    }


class PasswordMixin:
    password_hash: Mapped[str] = mapped_column(String(255), default="")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


class Company(TenantScoped, db.Model):
    """A trader registered with one window: an exporter, or a broker acting for one."""

    __tablename__ = "companies"
    __table_args__ = (UniqueConstraint("tenant_id", "tax_id"), tenant_unique_id())

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str] = mapped_column(String(35))
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(PasswordMixin, TenantScoped, db.Model):
    """A person who uses one tenant's window. Traders belong to a company, agency
    officers to an agency."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        tenant_unique_id(),
        tenant_fk("company_id", "companies"),
        tenant_fk("agency_id", "agencies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    company_id: Mapped[int | None]
    agency_id: Mapped[int | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company | None] = relationship(
        primaryjoin="and_(Company.id == foreign(User.company_id), "
        "Company.tenant_id == User.tenant_id)",
    )

    @property
    def is_trader(self) -> bool:
        return self.role in Role.TRADERS

    @property
    def role_label(self) -> str:
        return Role.LABELS.get(self.role, self.role)


class OperatorUser(PasswordMixin, db.Model):
    """Operator staff: platform users, not members of any tenant. They sign in with a
    password and a TOTP code (RFC 6238) from an authenticator app."""

    __tablename__ = "operator_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(String(64), default="")
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)  # a code works once
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(TenantScoped, db.Model):
    """An invitation to join a tenant with a role; the link carries a token that is
    stored only as its hash, works once and expires."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def hash_secret(secret: str) -> str:
    """Client secrets and tokens are random and long, so a fast hash is enough to keep
    them out of the database in a usable form."""
    return hashlib.sha256(secret.encode()).hexdigest()


class OAuthClient(TenantScoped, db.Model):
    """A machine client (client-credentials grant) acting for a company or an agency."""

    __tablename__ = "oauth_clients"
    __table_args__ = (
        tenant_unique_id(),
        tenant_fk("company_id", "companies"),
        tenant_fk("agency_id", "agencies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    company_id: Mapped[int | None]
    agency_id: Mapped[int | None]
    scope: Mapped[str] = mapped_column(Text, default="declarations")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company | None] = relationship(
        primaryjoin="and_(Company.id == foreign(OAuthClient.company_id), "
        "Company.tenant_id == OAuthClient.tenant_id)",
    )

    # Authlib's ClientMixin protocol.
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        if not scope:
            return self.scope
        allowed = set(self.scope.split())
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class OAuthToken(TenantScoped, db.Model):
    """An issued bearer token, stored only as its hash."""

    __tablename__ = "oauth_tokens"
    __table_args__ = (tenant_fk("client_ref", "oauth_clients"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_ref: Mapped[int]
    scope: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[int]
    expires_in: Mapped[int]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    client: Mapped[OAuthClient] = relationship(
        primaryjoin="and_(OAuthClient.id == foreign(OAuthToken.client_ref), "
        "OAuthClient.tenant_id == OAuthToken.tenant_id)",
    )

    # Authlib's TokenMixin protocol.
    def check_client(self, client) -> bool:
        return client.id == self.client_ref

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self) -> bool:
        return self.revoked or not self.client.active

    def get_user(self):
        return None
