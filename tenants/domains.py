"""Custom domains: a tenant's administrator names a domain, points it at the platform,
and the platform verifies it by fetching a token from it before routing there.

Until verified, the only thing the platform serves on that host is the token, at
`/.well-known/singlewindow-verification`: proof that the domain reaches this platform.
"""

from __future__ import annotations

import re
import secrets

import requests
from flask import current_app
from sqlalchemy import select

from singlewindow.platform import audit
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.extensions import db
from singlewindow.tenants import resolution
from singlewindow.tenants.connectors import http
from singlewindow.tenants.models import Tenant

WELL_KNOWN = "/.well-known/singlewindow-verification"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class DomainError(ValueError):
    pass


def check_name(name: str) -> str:
    name = (name or "").strip().lower().rstrip(".")
    platform_host = resolution.hostname(current_app.config["PLATFORM_DOMAIN"])
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(lb) for lb in labels):
        raise DomainError(f"{name!r} is not a domain name (like trade.example.gov)")
    if labels[-1].isdigit():
        raise DomainError("give a domain name, not an IP address")
    if name == platform_host or name.endswith("." + platform_host):
        raise DomainError(f"{name} is under the platform's own domain; it needs no setting up")
    return name


def request_domain(tenant: Tenant, name: str, actor: str) -> str:
    """Set (or replace) the tenant's custom domain, unverified; returns the token."""
    name = check_name(name)
    taken = db.session.execute(select(Tenant.id).where(
        Tenant.custom_domain == name, Tenant.id != tenant.id)).first()
    if taken is not None:
        raise DomainError(f"{name} is already in use on this platform")
    tenant.custom_domain, tenant.domain_verified_at = name, None
    tenant.domain_token = secrets.token_urlsafe(24)
    audit.record(actor, "domain.request", f"tenant:{tenant.slug}", name)
    db.session.commit()
    resolution.invalidate()
    return tenant.domain_token


def pending_token(host_name: str) -> str | None:
    """The token to serve on a host that is some tenant's unverified domain."""
    return db.session.execute(select(Tenant.domain_token).where(
        Tenant.custom_domain == host_name, Tenant.domain_verified_at.is_(None))).scalar()


def verify(tenant: Tenant, actor: str) -> None:
    """Fetch the token from the domain itself; route there only if it comes back."""
    if not tenant.custom_domain or not tenant.domain_token:
        raise DomainError("add a domain first")
    scheme = current_app.config["PREFERRED_URL_SCHEME"]
    port = current_app.config["PLATFORM_DOMAIN"].rpartition(":")[2]
    netloc = tenant.custom_domain + (f":{port}" if port.isdigit() else "")
    url = f"{scheme}://{netloc}{WELL_KNOWN}"
    try:
        response = http.get(url, timeout=5)
        body = response.text.strip() if response.status_code == 200 else ""
    except requests.RequestException as exc:
        raise DomainError(f"could not reach {url}: {type(exc).__name__}; check the DNS "
                          "record points at the platform") from None
    if not secrets.compare_digest(body, tenant.domain_token):
        raise DomainError(f"{url} did not answer with this domain's token; check the DNS "
                          "record points at the platform")
    tenant.domain_verified_at = utcnow()
    audit.record(actor, "domain.verify", f"tenant:{tenant.slug}", tenant.custom_domain)
    db.session.commit()
    resolution.invalidate()


def remove(tenant: Tenant, actor: str) -> None:
    if tenant.custom_domain:
        audit.record(actor, "domain.remove", f"tenant:{tenant.slug}", tenant.custom_domain)
    tenant.custom_domain = tenant.domain_token = tenant.domain_verified_at = None
    db.session.commit()
    resolution.invalidate()
