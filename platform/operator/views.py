"""The operator console, on the platform's own host: every tenant, its state and usage."""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from sqlalchemy import func, select

from singlewindow.billing import service as billing
from singlewindow.billing.models import UsageEvent
from singlewindow.platform.auth.access import operator_required
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.declarations.models import Declaration
from singlewindow.platform.extensions import db
from singlewindow.platform.templating import render
from singlewindow.tenants.models import ProvisioningStep, Tenant

bp = Blueprint("operator", __name__, url_prefix="/operator", template_folder="templates")


@bp.get("/")
@operator_required
def tenants():
    rows = db.session.execute(select(Tenant).order_by(Tenant.slug)).scalars().all()
    since = billing.month_start()
    # Operator code reads across tenants in one visible place.
    with platform_wide():
        declarations = dict(db.session.execute(
            select(Declaration.tenant_id, func.count()).group_by(Declaration.tenant_id)
        ).all())
        by_status: dict[int, dict[str, int]] = {}
        for tenant_id, status, n in db.session.execute(
            select(Declaration.tenant_id, Declaration.status, func.count())
            .group_by(Declaration.tenant_id, Declaration.status)
        ):
            by_status.setdefault(tenant_id, {})[status] = n
        usage: dict[int, dict[str, int]] = {}
        for tenant_id, kind, n in db.session.execute(
            select(UsageEvent.tenant_id, UsageEvent.kind, func.sum(UsageEvent.quantity))
            .where(UsageEvent.occurred_at >= since)
            .group_by(UsageEvent.tenant_id, UsageEvent.kind)
        ):
            usage.setdefault(tenant_id, {})[kind] = int(n)
    invoices = {t.id: billing.price(t.plan_code, usage.get(t.id, {})) for t in rows}
    return render("operator/tenants.html", tenants=rows, declarations=declarations,
                  by_status=by_status, usage=usage, invoices=invoices,
                  scheme=current_app.config["PREFERRED_URL_SCHEME"])


@bp.get("/tenants/<slug>")
@operator_required
def tenant(slug: str):
    found = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if found is None:
        abort(404)
    with tenant_context(found.id):
        steps = db.session.execute(
            select(ProvisioningStep).order_by(ProvisioningStep.position)
        ).scalars().all()
        invoice = billing.preview_invoice(found.plan_code)
    return render("operator/tenant.html", t=found, steps=steps, invoice=invoice,
                  scheme=current_app.config["PREFERRED_URL_SCHEME"])
