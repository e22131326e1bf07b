"""Invitations: how people join a tenant (the first administrator at provisioning, and
anyone an administrator invites). The e-mailed link works once, within a week."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from singlewindow.platform import mail
from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth.models import Invitation, Role, User
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.extensions import db
from singlewindow.tenants.models import Tenant

VALID_FOR = timedelta(days=7)


class InvitationError(ValueError):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accept_url(tenant: Tenant, token: str) -> str:
    cfg = current_app.config
    return f"{cfg['PREFERRED_URL_SCHEME']}://{tenant.slug}.{cfg['PLATFORM_DOMAIN']}/invitations/{token}"


def invite(tenant: Tenant, email: str, role: str, name: str = "") -> Invitation | None:
    """Invite `email` to the bound tenant, once: an address with a pending invitation or
    an account already is left alone (so a re-run sends nothing twice). The mail goes
    out after the caller commits."""
    if role not in Role.ALL or role in Role.TRADERS or role == Role.AGENCY_OFFICER:
        raise InvitationError(f"invitations are for staff roles; {role!r} is not one")
    email = accounts.normalise_email(email)
    if db.session.execute(select(User.id).where(User.email == email)).first():
        return None
    existing = db.session.execute(
        select(Invitation).where(Invitation.email == email)).scalar_one_or_none()
    if existing is not None:
        return None
    token = secrets.token_urlsafe(32)
    invitation = Invitation(email=email, name=name, role=role, token_hash=_hash(token),
                            expires_at=utcnow() + VALID_FOR)
    db.session.add(invitation)
    db.session.flush()
    mail.queue(email, f"You are invited to {tenant.name}",
               f"Hello{' ' + name if name else ''},\n\n"
               f"You have been invited to {tenant.name} as {Role.LABELS[role].lower()}.\n"
               f"Choose your password here (the link works once, for 7 days):\n\n"
               f"  {accept_url(tenant, token)}\n\n"
               "If you did not expect this, ignore this message.\n",
               key=f"{tenant.id}-invitation-{invitation.id}")
    return invitation


def pending(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == _hash(token))).scalar_one_or_none()
    if invitation is None or invitation.accepted_at is not None or \
            invitation.expires_at <= utcnow():
        return None
    return invitation


def accept(token: str, name: str, password: str) -> User:
    invitation = pending(token)
    if invitation is None:
        raise InvitationError("this invitation link has been used or has expired; ask for a new one")
    if len(password) < 12:
        raise InvitationError("choose a password of at least 12 characters")
    if not name.strip():
        raise InvitationError("enter your name")
    user = accounts.ensure_user(invitation.email, name.strip()[:200], invitation.role, password)
    invitation.accepted_at = utcnow()
    return user
