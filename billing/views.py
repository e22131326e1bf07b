"""Usage and the invoice preview, for the tenant's administrator (`/admin/usage`)."""

from __future__ import annotations

from flask import Blueprint, g
from sqlalchemy import select

from singlewindow.billing import service
from singlewindow.billing.models import UsageEvent, UsageKind
from singlewindow.platform.auth.access import login_required
from singlewindow.platform.auth.models import Role
from singlewindow.platform.extensions import db
from singlewindow.platform.templating import render
from singlewindow.tenants.models import Tenant

bp = Blueprint("billing", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/usage")
@login_required(Role.TENANT_ADMIN)
def usage():
    tenant = db.session.get(Tenant, g.tenant.id)
    preview = service.preview_invoice(tenant.plan_code)
    recent = db.session.execute(
        select(UsageEvent).order_by(UsageEvent.id.desc()).limit(50)
    ).scalars().all()
    return render("billing/usage.html", preview=preview, recent=recent, labels=UsageKind.LABELS,
                  all_time=service.usage_by_kind())
