"""The tenant administrator's console (`/admin` on the tenant's host): the window at a
glance, its agencies with their connectors, and the routing rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, request, url_for
from sqlalchemy import func, select

from singlewindow.platform import audit
from singlewindow.platform.auth import invitations
from singlewindow.platform.auth.access import login_required
from singlewindow.platform.auth.models import Company, Invitation, Role, User
from singlewindow.platform.auth.service import AccountError
from singlewindow.platform.catalogue import service as catalogue
from singlewindow.platform.declarations.models import AgencySubmission, Declaration
from singlewindow.platform.extensions import db
from singlewindow.platform.templating import render
from singlewindow.tenants import domains
from singlewindow.tenants.connectors import mapping
from singlewindow.tenants.models import Agency, RoutingRule, Tenant

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

STAFF = (Role.TENANT_ADMIN, Role.DATA_COMMITTEE)


@bp.get("/")
@login_required(*STAFF, Role.AGENCY_OFFICER)
def overview():
    by_status = dict(db.session.execute(
        select(Declaration.status, func.count()).group_by(Declaration.status)
    ).all())
    dead = db.session.execute(
        select(func.count()).select_from(AgencySubmission)
        .where(AgencySubmission.status == "failed")
    ).scalar_one()
    counts = {
        "agencies": db.session.execute(select(func.count(Agency.id))).scalar_one(),
        "rules": db.session.execute(select(func.count(RoutingRule.id))).scalar_one(),
        "companies": db.session.execute(select(func.count(Company.id))).scalar_one(),
        "users": db.session.execute(select(func.count(User.id))).scalar_one(),
    }
    return render("admin/overview.html", by_status=by_status, dead_letters=dead, counts=counts)


@bp.get("/agencies")
@login_required(*STAFF)
def agencies():
    rows = db.session.execute(select(Agency).order_by(Agency.name)).scalars().all()
    rules = db.session.execute(
        select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.code)
    ).scalars().all()
    rules_by_agency: dict[int, list[RoutingRule]] = {}
    for rule in rules:
        rules_by_agency.setdefault(rule.agency_id, []).append(rule)
    mappings = {a.id: mapping.in_force(a.connector.id) for a in rows if a.connector}
    return render("admin/agencies.html", agencies=rows, rules_by_agency=rules_by_agency,
                  mappings=mappings)


@bp.route("/agencies/<code>/mappings", methods=["GET", "POST"])
@login_required(Role.TENANT_ADMIN)
def mappings(code: str):
    """An agency's message mapping versions; a new one when the agency changes format."""
    agency = db.session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    if agency is None or agency.connector is None:
        abort(404)
    current = mapping.in_force(agency.connector.id)
    error = None
    text = json.dumps(current.elements if current else [], indent=1)
    if request.method == "POST":
        text = request.form.get("elements", "")
        try:
            entries = json.loads(text or "[]")
            raw = request.form.get("effective_from", "").strip()
            when = datetime.fromisoformat(raw).replace(
                tzinfo=ZoneInfo(g.tenant.timezone)).astimezone(UTC) if raw else None
            made = mapping.add_version(
                agency.connector, entries, all_elements=request.form.get("all_elements") == "yes",
                profile_version=catalogue.current_version(), created_by=g.user.email,
                notes=request.form.get("notes", "").strip()[:500], effective_from=when)
            audit.record(f"user:{g.user.email}", "mapping.version", f"agency:{agency.code}",
                         f"message mapping v{made.version}", elements=made.elements)
            db.session.commit()
            return redirect(url_for("admin.mappings", code=code))
        except ValueError as exc:  # bad JSON, a bad date, or a MappingError
            db.session.rollback()
            error = str(exc)
    history = agency.connector.mappings
    return render("admin/mappings.html", agency=agency, current=current, history=history,
                  error=error, text=text), 422 if error else 200


@bp.get("/rules")
@login_required(*STAFF)
def rules():
    rows = db.session.execute(
        select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.code)
    ).scalars().all()
    return render("admin/rules.html", rules=rows)


@bp.route("/users", methods=["GET", "POST"])
@login_required(Role.TENANT_ADMIN)
def users():
    notice = error = None
    if request.method == "POST":
        tenant = db.session.get(Tenant, g.tenant.id)
        try:
            sent = invitations.invite(tenant, request.form.get("email", ""),
                                      request.form.get("role", ""), request.form.get("name", ""))
            db.session.commit()
            notice = "Invitation sent." if sent else "That address already has an account or an invitation."
        except (invitations.InvitationError, AccountError) as exc:
            db.session.rollback()
            error = str(exc)
    rows = db.session.execute(select(User).order_by(User.role, User.email)).scalars().all()
    companies = db.session.execute(select(Company).order_by(Company.name)).scalars().all()
    pending = db.session.execute(select(Invitation).where(
        Invitation.accepted_at.is_(None)).order_by(Invitation.email)).scalars().all()
    return render("admin/users.html", users=rows, companies=companies, pending=pending,
                  notice=notice, error=error, staff_roles=STAFF_ROLES), 422 if error else 200


STAFF_ROLES = {Role.TENANT_ADMIN: Role.LABELS[Role.TENANT_ADMIN],
               Role.DATA_COMMITTEE: Role.LABELS[Role.DATA_COMMITTEE]}


@bp.route("/domain", methods=["GET", "POST"])
@login_required(Role.TENANT_ADMIN)
def domain():
    """The window's own domain: name it, point it here, verify it."""
    tenant = db.session.get(Tenant, g.tenant.id)
    error = notice = None
    actor = f"user:{g.user.email}"
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "request":
                domains.request_domain(tenant, request.form.get("domain", ""), actor)
                notice = "Saved. Point the domain at the platform, then verify it."
            elif action == "verify":
                domains.verify(tenant, actor)
                notice = f"{tenant.custom_domain} is verified and now opens this window."
            elif action == "remove":
                domains.remove(tenant, actor)
                notice = "The custom domain is removed."
        except domains.DomainError as exc:
            db.session.rollback()
            error = str(exc)
    return render("admin/domain.html", t=tenant, error=error, notice=notice,
                  well_known=domains.WELL_KNOWN), 422 if error else 200
