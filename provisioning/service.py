"""Turning a country template into a live tenant, in named steps.

`start()` records the tenant and queues the provisioning job (after commit); the job
runs every step not yet done, each in its own transaction and each written so that
running it again changes nothing (agencies, connectors and rules are matched by code,
the profile is published only once, users by e-mail). A step that fails is recorded with
its reason, and running the job again resumes from it.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select

from singlewindow.billing import service as billing
from singlewindow.platform import audit
from singlewindow.platform.auth import invitations
from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth.models import Role, User
from singlewindow.platform.catalogue import service as catalogue
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.provisioning.schema import SLUG, TemplateSchema, paths
from singlewindow.tenants import domains, resolution
from singlewindow.tenants.connectors import mapping
from singlewindow.tenants.models import (
    Agency,
    Connector,
    ConnectorMode,
    ProvisioningStep,
    RoutingRule,
    Tenant,
    TenantStatus,
)
from singlewindow.themes import loader as themes

log = logging.getLogger(__name__)
COUNTRIES_DIR = Path(__file__).parent / "countries"
PROVISION_JOB = "singlewindow.provisioning.jobs:provision"
_VAR = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


class TemplateError(ValueError):
    def __init__(self, template: str, problems: list[str]):
        super().__init__(f"template {template!r} is not valid:\n  " + "\n  ".join(problems))
        self.problems = problems


class ProvisioningError(RuntimeError):
    pass


def available_templates() -> list[str]:
    return sorted(p.stem for p in COUNTRIES_DIR.glob("*.json"))


def load_template(name: str, source: str | None = None) -> dict[str, Any]:
    """Read, fill in ${SETTINGS} from the app config, and validate a template."""
    if source is None:
        path = COUNTRIES_DIR / f"{name}.json"
        if not SLUG.match(name) or not path.is_file():
            raise TemplateError(name, [f"no template named {name!r}; available: "
                                       f"{', '.join(available_templates())}"])
        source = path.read_text(encoding="utf-8")
    config = current_app.config

    def fill(match: re.Match) -> str:
        key = match[1]
        if key not in config or not isinstance(config[key], str):
            raise TemplateError(name, [f"${{{key}}}: no such setting"])
        return json.dumps(config[key])[1:-1]

    try:
        raw = json.loads(_VAR.sub(fill, source))
    except json.JSONDecodeError as exc:
        raise TemplateError(name, [f"line {exc.lineno}: {exc.msg}"]) from None
    try:
        data = TemplateSchema().load(raw)
    except ValidationError as exc:
        raise TemplateError(name, paths(exc.messages)) from None
    if data["theme"] not in themes.available():
        raise TemplateError(name, [f"theme: {data['theme']!r} is not an installed theme pack"])
    if data["plan"] not in billing.plans():
        raise TemplateError(name, [f"plan: {data['plan']!r} is not a plan"])
    return data


@dataclass(frozen=True)
class AdminAccount:
    email: str
    name: str
    password: str


# The steps, in order. Each takes (tenant, template) with the tenant bound.
STEPS: list[tuple[str, str]] = [
    ("tenant_record", "Record the tenant"),
    ("catalogue_profile", "Publish the catalogue profile from the template"),
    ("agencies_and_routing", "Create agencies, connectors and routing rules"),
    ("connection_test", "Test every api connector"),
    ("theme_and_branding", "Apply the theme and branding"),
    ("billing_account", "Open the billing account on the plan"),
    ("first_admin_invitation", "Invite the first administrator"),
]
STEP_LABELS = dict(STEPS)
RESERVED_SLUGS = frozenset({"www", "api", "admin", "operator", "static", "mail", "app"})


@dataclass(frozen=True)
class TenantRequest:
    """What the operator asks for; everything but the template is optional."""

    template: str
    slug: str | None = None
    name: str | None = None
    region: str | None = None
    plan: str | None = None
    admin_email: str | None = None
    custom_domain: str | None = None


def check_request(req: TenantRequest) -> dict[str, Any]:
    """Refuse a bad request as a whole, naming each bad field, before anything is made."""
    problems: list[str] = []
    try:
        data = load_template(req.template)
    except TemplateError as exc:
        raise ProvisioningError("template: " + "; ".join(exc.problems)) from None
    slug = (req.slug or data["template"]).strip().lower()
    if not SLUG.match(slug) or slug in RESERVED_SLUGS:
        problems.append(f"slug: {slug!r} must be 2-63 lower-case letters, digits and dashes, "
                        "starting with a letter, and not a reserved name")
    if req.plan and req.plan not in billing.plans():
        problems.append(f"plan: {req.plan!r} is not a plan; choose one of "
                        f"{', '.join(billing.plans())}")
    if req.admin_email:
        try:
            accounts.normalise_email(req.admin_email)
        except accounts.AccountError as exc:
            problems.append(f"admin_email: {exc}")
    if req.custom_domain:
        try:
            domains.check_name(req.custom_domain)
        except domains.DomainError as exc:
            problems.append(f"custom_domain: {exc}")
    if req.name is not None and not req.name.strip():
        problems.append("name: give the window a name")
    if problems:
        raise ProvisioningError("; ".join(problems))
    return {**data, "slug": slug}


def start(template_name: str, *, slug: str | None = None, name: str | None = None,
          admin: AdminAccount | None = None, request: TenantRequest | None = None,
          actor: str = "system") -> Tenant:
    """Record the tenant (the first step) and queue the rest; the caller commits."""
    req = request or TenantRequest(template_name, slug=slug, name=name)
    data = check_request(req)
    slug = data["slug"]
    with platform_wide():
        tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
        if tenant is not None and tenant.template != req.template:
            raise ProvisioningError(f"slug: tenant {slug!r} already exists from template "
                                    f"{tenant.template!r}")
        if req.custom_domain:
            taken = db.session.execute(select(Tenant.slug).where(
                Tenant.custom_domain == domains.check_name(req.custom_domain))).scalar()
            if taken is not None and taken != slug:
                raise ProvisioningError(f"custom_domain: {req.custom_domain} is already in use")
        if tenant is None:
            tenant = Tenant(slug=slug, name=(req.name or data["name"]).strip(),
                            country=data["country"], region=req.region or data["region"],
                            template=req.template, status=TenantStatus.PROVISIONING,
                            theme=data["theme"], branding=data["branding"],
                            languages=data["languages"], timezone=data["timezone"],
                            plan_code=req.plan or data["plan"],
                            admin_email=req.admin_email.strip().lower() if req.admin_email else None)
            if req.custom_domain:
                tenant.custom_domain = domains.check_name(req.custom_domain)
                tenant.domain_token = secrets.token_urlsafe(24)
            db.session.add(tenant)
            db.session.flush()
            audit.record(actor, "tenant.provision", f"tenant:{slug}",
                         f"from template {req.template}", plan=tenant.plan_code,
                         admin_email=tenant.admin_email, custom_domain=tenant.custom_domain)
    with tenant_context(tenant.id):
        for position, (step, _) in enumerate(STEPS):
            exists = db.session.execute(
                select(ProvisioningStep).where(ProvisioningStep.name == step)
            ).scalar_one_or_none()
            if exists is None:
                now = utcnow()
                done = step == "tenant_record"
                db.session.add(ProvisioningStep(
                    name=step, position=position, status="done" if done else "pending",
                    detail=f"{tenant.slug}: {tenant.name}" if done else "",
                    started_at=now if done else None, finished_at=now if done else None))
        if admin is not None:
            # Stored now, hashed, so no password ever travels through a queue.
            accounts.ensure_user(admin.email, admin.name, Role.TENANT_ADMIN, admin.password)
        outbox.enqueue("provisioning", PROVISION_JOB, req.template,
                       job_id=f"provision-{tenant.id}")
        db.session.flush()  # write the tenant's rows while it is bound (row-level security)
    return tenant


def retry(tenant: Tenant, actor: str) -> None:
    """Run the provisioning job again (it resumes at the first step not done)."""
    if tenant.status not in (TenantStatus.FAILED, TenantStatus.PROVISIONING):
        raise ProvisioningError(f"{tenant.slug} is {tenant.status}; nothing to retry")
    tenant.status = TenantStatus.PROVISIONING
    with tenant_context(tenant.id):
        outbox.enqueue("provisioning", PROVISION_JOB, tenant.template,
                       job_id=f"provision-{tenant.id}-{secrets.token_hex(4)}")
    audit.record(actor, "tenant.retry", f"tenant:{tenant.slug}", "provisioning retried")


def run(tenant_id: int, template_name: str) -> Tenant:
    """Run every step not yet done (the tenant is bound by the caller)."""
    data = load_template(template_name)
    tenant = db.session.get(Tenant, tenant_id)
    actions: dict[str, Callable[[Tenant, dict], str]] = {
        "catalogue_profile": _catalogue_profile,
        "agencies_and_routing": _agencies_and_routing,
        "connection_test": _connection_test,
        "theme_and_branding": _theme_and_branding,
        "billing_account": _billing_account,
        "first_admin_invitation": _first_admin_invitation,
    }
    steps = db.session.execute(
        select(ProvisioningStep).order_by(ProvisioningStep.position)
    ).scalars().all()
    for step in steps:
        if step.status == "done" or step.name not in actions:
            continue
        step.started_at, step.status = utcnow(), "running"
        db.session.commit()
        try:
            detail = actions[step.name](tenant, data)
            pause = current_app.config["PROVISIONING_STEP_PAUSE_SECONDS"]
            if pause:  # a fault drill: time to kill the worker in the middle of this step
                time.sleep(pause)
        except Exception as exc:
            db.session.rollback()
            step = db.session.get(ProvisioningStep, step.id)
            step.status, step.detail, step.finished_at = "failed", f"{type(exc).__name__}: {exc}", utcnow()
            db.session.get(Tenant, tenant_id).status = TenantStatus.FAILED
            db.session.commit()
            resolution.invalidate()
            raise ProvisioningError(f"step {step.name} failed: {exc}") from exc
        step = db.session.get(ProvisioningStep, step.id)
        step.status, step.detail, step.finished_at = "done", detail, utcnow()
        db.session.commit()
        outbox.extend_lease()  # still alive: do not relay this job again meanwhile
    tenant = db.session.get(Tenant, tenant_id)
    tenant.status = TenantStatus.ACTIVE
    tenant.provisioned_at = tenant.provisioned_at or utcnow()
    db.session.commit()
    resolution.invalidate()
    return tenant


def _catalogue_profile(tenant: Tenant, data: dict) -> str:
    existing = db.session.execute(select(ProfileVersion)).scalars().first()
    if existing is not None:
        return f"version {existing.version} already published"
    spec = data["catalogue"]
    version = catalogue.publish(catalogue.Content(
        spec["elements"], spec["national_elements"], spec["code_lists"], spec["tariff_lines"]),
        notes=spec["notes"])
    db.session.flush()
    return f"version {version.version} published with {len(version.elements)} elements"


def _agencies_and_routing(tenant: Tenant, data: dict) -> str:
    agencies = {a.code: a for a in db.session.execute(select(Agency)).scalars()}
    for spec in data["agencies"]:
        agency = agencies.get(spec["code"])
        if agency is None:
            agency = Agency(code=spec["code"])
            db.session.add(agency)
            agencies[spec["code"]] = agency
        agency.name, agency.kind, agency.description = spec["name"], spec["kind"], spec["description"]
        db.session.flush()
        connector = agency.connector
        if connector is None:
            connector = Connector(agency_id=agency.id)
            db.session.add(connector)
        c = spec["connector"]
        connector.mode, connector.endpoint, connector.auth = c["mode"], c["endpoint"], c["auth"]
        connector.secret, connector.timeout_seconds = c["secret"], c["timeout_seconds"]
        db.session.flush()
        if not connector.mappings:  # version 1 from the template; later ones by the admin
            mapping.add_version(
                connector, [{"id": e, **({"field": c["field_map"][e]} if e in c["field_map"]
                                         else {})} for e in c["message_set"]],
                all_elements=not c["message_set"], profile_version=catalogue.latest_version(),
                created_by="provisioning", notes=f"from template {data['template']}")
    rules = {r.code: r for r in db.session.execute(select(RoutingRule)).scalars()}
    for spec in data["routing_rules"]:
        rule = rules.get(spec["code"])
        if rule is None:
            rule = RoutingRule(code=spec["code"])
            db.session.add(rule)
        rule.name, rule.agency_id = spec["name"], agencies[spec["agency"]].id
        rule.priority, rule.required = spec["priority"], spec["required"]
        rule.conditions, rule.legal_basis = spec["conditions"], spec["legal_basis"]
    db.session.flush()
    return f"{len(data['agencies'])} agencies, {len(data['routing_rules'])} routing rules"


def _connection_test(tenant: Tenant, data: dict) -> str:
    """Reach every api connector's endpoint. An agency that is down does not stop the
    window opening (declarations queue for it); its health says so."""
    connectors = db.session.execute(
        select(Connector).where(Connector.mode == ConnectorMode.API)
    ).scalars().all()
    targets = [(c.id, c.endpoint, c.timeout_seconds) for c in connectors]
    db.session.rollback()
    results: dict[int, tuple[str, str]] = {}
    for connector_id, endpoint, timeout in targets:
        try:
            response = requests.get(endpoint, timeout=min(timeout, 5))
            ok = response.status_code < 500
            results[connector_id] = ("up" if ok else "down", f"HTTP {response.status_code}")
        except requests.RequestException as exc:
            results[connector_id] = ("down", type(exc).__name__)
    now = utcnow()
    for connector_id, (health, detail) in results.items():
        connector = db.session.get(Connector, connector_id)
        connector.health, connector.health_detail, connector.health_checked_at = health, detail, now
    up = sum(1 for h, _ in results.values() if h == "up")
    return f"{up} of {len(results)} api connectors reachable"


def _theme_and_branding(tenant: Tenant, data: dict) -> str:
    tenant = db.session.get(Tenant, tenant.id)
    tenant.theme, tenant.branding = data["theme"], data["branding"]
    tenant.languages, tenant.timezone = data["languages"], data["timezone"]
    return f"theme {data['theme']}, colours {data['branding']['primary']} / {data['branding']['accent']}"


def _billing_account(tenant: Tenant, data: dict) -> str:
    tenant = db.session.get(Tenant, tenant.id)
    plan = billing.plans()[tenant.plan_code]
    return f"plan {plan['name']} ({plan['currency']}); usage is recorded in the ledger"


def _first_admin_invitation(tenant: Tenant, data: dict) -> str:
    """Invite the requested first administrator, once (a re-run finds the invitation)."""
    tenant = db.session.get(Tenant, tenant.id)
    admins = db.session.execute(
        select(User.email).where(User.role == Role.TENANT_ADMIN)).scalars().all()
    if tenant.admin_email and tenant.admin_email not in admins:
        invitations.invite(tenant, tenant.admin_email, Role.TENANT_ADMIN, "Administrator")
        db.session.flush()
        return f"invitation to {tenant.admin_email} (mailed; valid 7 days)"
    if admins:
        return "administrator " + ", ".join(admins)
    return "no administrator requested; invite one with `singlewindow create-user`"


def steps_of(tenant_id: int) -> list[ProvisioningStep]:
    with tenant_context(tenant_id):
        return list(db.session.execute(
            select(ProvisioningStep).order_by(ProvisioningStep.position)
        ).scalars())
