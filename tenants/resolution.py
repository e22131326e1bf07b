"""Which tenant a request is for, from its host name alone.

`<slug>.<PLATFORM_DOMAIN>` or a tenant's verified custom domain is that tenant; the bare
PLATFORM_DOMAIN is the operator's console; anything else is a plain 404. Ports are
ignored for matching (the same tenant answers on :5000 in development and :443 behind a
load balancer). Look-ups are cached per host for a short time, so a request costs one
dictionary hit however many tenants exist.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from singlewindow.platform.extensions import db
from singlewindow.tenants.models import Tenant

CACHE_SECONDS = 30.0
CACHE_SIZE = 20_000  # host names remembered (unknown ones too), before starting afresh


@dataclass(frozen=True)
class TenantInfo:
    """What a request needs to know of its tenant, detached from any session."""

    id: int
    slug: str
    name: str
    country: str
    status: str
    theme: str
    branding: dict[str, Any]
    languages: tuple[str, ...]
    timezone: str
    suspension_reason: str = ""

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_suspended(self) -> bool:
        return self.status == "suspended"

    @classmethod
    def of(cls, tenant: Tenant) -> TenantInfo:
        return cls(tenant.id, tenant.slug, tenant.name, tenant.country, tenant.status,
                   tenant.theme, dict(tenant.branding or {}), tuple(tenant.languages or ["en"]),
                   tenant.timezone, tenant.suspension_reason or "")


class _Platform:
    def __repr__(self) -> str:
        return "PLATFORM"


PLATFORM = _Platform()  # the host is the operator's own

_cache: dict[str, tuple[float, TenantInfo | None]] = {}
_lock = threading.Lock()


def hostname(host: str) -> str:
    """'KE.localhost:5000' -> 'ke.localhost' (IPv6 literals keep their brackets)."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def resolve(host: str, platform_domain: str) -> TenantInfo | _Platform | None:
    name = hostname(host)
    base = hostname(platform_domain)
    if name == base:
        return PLATFORM
    now = time.monotonic()
    hit = _cache.get(name)
    if hit is not None and hit[0] > now:
        return hit[1]
    info = _lookup(name, base)
    with _lock:
        if len(_cache) >= CACHE_SIZE:  # a flood of made-up host names cannot grow it
            _cache.clear()
        _cache[name] = (now + CACHE_SECONDS, info)
    return info


def _lookup(name: str, base: str) -> TenantInfo | None:
    if name.endswith("." + base):
        slug = name[: -(len(base) + 1)]
        if not slug or "." in slug:
            return None
        stmt = select(Tenant).where(Tenant.slug == slug)
    else:  # a custom domain routes only once verified
        stmt = select(Tenant).where(Tenant.custom_domain == name,
                                    Tenant.domain_verified_at.is_not(None))
    tenant = db.session.execute(stmt).scalar_one_or_none()
    return TenantInfo.of(tenant) if tenant is not None else None


def invalidate() -> None:
    """Forget cached look-ups (after a tenant's status, slug or domain changes)."""
    with _lock:
        _cache.clear()


def tenant_url(slug: str, platform_domain: str, scheme: str = "http", path: str = "/") -> str:
    return f"{scheme}://{slug}.{platform_domain}{path}"
