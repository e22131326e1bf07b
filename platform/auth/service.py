"""Accounts: creating users and API clients, checking passwords."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import func, select

from singlewindow.platform.auth.models import (
    Company,
    OAuthClient,
    OperatorUser,
    Role,
    User,
    hash_secret,
)
from singlewindow.platform.extensions import db


class AccountError(ValueError):
    pass


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise AccountError(f"{email!r} is not an e-mail address")
    return email


def authenticate_user(email: str, password: str) -> User | None:
    """A user of the bound tenant with this password, or None (same answer for a wrong
    password, an unknown address and an address of another tenant)."""
    try:
        email = normalise_email(email)
    except AccountError:
        return None
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def authenticate_operator(email: str, password: str) -> OperatorUser | None:
    try:
        email = normalise_email(email)
    except AccountError:
        return None
    op = db.session.execute(
        select(OperatorUser).where(OperatorUser.email == email)
    ).scalar_one_or_none()
    if op is None or not op.active or not op.check_password(password):
        return None
    return op


def ensure_user(email: str, name: str, role: str, password: str, *,
                company: Company | None = None, agency_id: int | None = None) -> User:
    """Create the user in the bound tenant, or update an existing one (idempotent)."""
    if role not in Role.ALL:
        raise AccountError(f"unknown role {role!r}")
    if role in Role.TRADERS and company is None:
        raise AccountError("a trader belongs to a company")
    if role == Role.AGENCY_OFFICER and agency_id is None:
        raise AccountError("an agency officer belongs to an agency")
    email = normalise_email(email)
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(email=email)
        db.session.add(user)
    user.name, user.role = name, role
    user.company_id = company.id if company is not None else None
    user.agency_id = agency_id
    user.set_password(password)
    return user


def ensure_operator(email: str, name: str, password: str) -> OperatorUser:
    """Create or reset an operator; a new one gets a TOTP secret to enrol in an app."""
    email = normalise_email(email)
    op = db.session.execute(
        select(OperatorUser).where(OperatorUser.email == email)
    ).scalar_one_or_none()
    if op is None:
        op = OperatorUser(email=email)
        db.session.add(op)
    op.name = name
    op.set_password(password)
    if not op.totp_secret:
        op.totp_secret = pyotp.random_base32()
    return op


def totp_uri(op: OperatorUser) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or by hand)."""
    return pyotp.TOTP(op.totp_secret).provisioning_uri(name=op.email,
                                                       issuer_name="Single Window Platform")


def verify_totp(op: OperatorUser, code: str) -> bool:
    """A current code (one step of clock drift allowed), and each code only once."""
    code = (code or "").strip().replace(" ", "")
    if not op.totp_secret or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(op.totp_secret)
    now = int(time.time())
    for drift in (0, -1, 1):
        at = now + drift * totp.interval
        step = at // totp.interval
        if step > op.totp_last_step and hmac.compare_digest(totp.at(at), code):
            op.totp_last_step = step
            db.session.commit()
            return True
    return False


def ensure_company(name: str, tax_id: str, country: str) -> Company:
    company = db.session.execute(
        select(Company).where(Company.tax_id == tax_id)
    ).scalar_one_or_none()
    if company is None:
        company = Company(name=name, tax_id=tax_id, country=country)
        db.session.add(company)
        db.session.flush()
    return company


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    secret: str  # shown once; only its hash is stored


def create_client(name: str, *, company: Company | None = None, agency_id: int | None = None,
                  scope: str = "declarations") -> IssuedClient:
    """A client acts for a trader company, for an agency, or (neither given) for the
    window itself: the window's own systems, e.g. a bulk migration of declarations."""
    if company is not None and agency_id is not None:
        raise AccountError("an API client acts for one company or one agency, not both")
    secret = secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id="swc_" + secrets.token_hex(12),
        secret_hash=hash_secret(secret),
        name=name,
        company_id=company.id if company is not None else None,
        agency_id=agency_id,
        scope=scope,
    )
    db.session.add(client)
    db.session.flush()
    return IssuedClient(client, secret)


def user_count() -> int:
    return db.session.execute(select(func.count(User.id))).scalar_one()
