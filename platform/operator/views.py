"""The operator console, on the platform's own host: every tenant with its state and
usage, the provisioning wizard with live progress, each tenant's lifecycle (retry,
suspend, resume, export, retire), and the audit log. Views stay thin: the rules live in
provisioning/service.py, tenants/lifecycle.py and tenants/export.py."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from sqlalchemy import func, select

from singlewindow.billing import service as billing
from singlewindow.billing.models import UsageEvent
from singlewindow.platform import audit
from singlewindow.platform.auth.access import operator_required
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.declarations.models import Declaration
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.platform.templating import render
from singlewindow.provisioning import service as provisioning
from singlewindow.tenants import export, lifecycle
from singlewindow.tenants.models import ProvisioningStep, Tenant

bp = Blueprint("operator", __name__, url_prefix="/operator", template_folder="templates")


def _actor() -> str:
    return f"operator:{g.operator.email}"


def _tenant(slug: str) -> Tenant:
    found = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


@bp.get("/")
@operator_required
def tenants():
    rows = db.session.execute(select(Tenant).order_by(Tenant.slug)).scalars().all()
    since = billing.month_start()
    # Operator code reads across tenants in one visible, audited place.
    audit.record(_actor(), "operator.read_all_tenants", "platform",
                 "tenant list with declarations and usage of every tenant")
    db.session.commit()
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
                  pending_jobs=outbox.pending_count(),
                  messages=get_flashed_messages(with_categories=True),
                  scheme=current_app.config["PREFERRED_URL_SCHEME"])


@bp.route("/tenants/new", methods=["GET", "POST"])
@operator_required
def new_tenant():
    form = {k: request.form.get(k, "").strip() for k in
            ("template", "slug", "name", "region", "plan", "admin_email", "custom_domain")}
    errors: list[str] = []
    if request.method == "POST":
        req = provisioning.TenantRequest(
            template=form["template"], slug=form["slug"] or None, name=form["name"] or None,
            region=form["region"] or None, plan=form["plan"] or None,
            admin_email=form["admin_email"] or None, custom_domain=form["custom_domain"] or None)
        with platform_wide():
            exists = db.session.execute(select(Tenant.id).where(
                Tenant.slug == (req.slug or req.template))).first()
        if exists:
            errors = [f"slug: a tenant {req.slug or req.template!r} already exists"]
        else:
            try:
                tenant = provisioning.start(req.template, request=req, actor=_actor())
                db.session.commit()
                return redirect(url_for("operator.tenant", slug=tenant.slug))
            except provisioning.ProvisioningError as exc:
                db.session.rollback()
                errors = str(exc).split("; ")
    return render("operator/new_tenant.html", form=form, errors=errors,
                  templates=provisioning.available_templates(), plans=billing.plans()), \
        422 if errors else 200


@bp.get("/tenants/<slug>")
@operator_required
def tenant(slug: str):
    found = _tenant(slug)
    with tenant_context(found.id):
        steps = db.session.execute(
            select(ProvisioningStep).order_by(ProvisioningStep.position)).scalars().all()
        invoice = billing.preview_invoice(found.plan_code)
    exports = sorted(Path(current_app.instance_path, "exports").glob(f"{found.slug}--*.zip"))
    return render("operator/tenant.html", t=found, steps=steps, invoice=invoice,
                  labels=provisioning.STEP_LABELS, exports=[p.name for p in exports],
                  history=audit.recent(50, target=f"tenant:{found.slug}"),
                  messages=get_flashed_messages(with_categories=True),
                  scheme=current_app.config["PREFERRED_URL_SCHEME"])


@bp.get("/tenants/<slug>/progress")
@operator_required
def progress(slug: str):
    """The provisioning steps as JSON, polled by the tenant page while it provisions."""
    found = _tenant(slug)
    with tenant_context(found.id):
        steps = db.session.execute(
            select(ProvisioningStep).order_by(ProvisioningStep.position)).scalars().all()
    return jsonify({
        "tenant": found.slug, "status": found.status,
        "steps": [{"name": s.name, "label": provisioning.STEP_LABELS.get(s.name, s.name),
                   "status": s.status, "detail": s.detail} for s in steps],
    })


def _act(slug: str, action) -> object:
    found = _tenant(slug)
    try:
        message = action(found)
        flash(message, "ok")
    except (lifecycle.LifecycleError, provisioning.ProvisioningError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("operator.tenant", slug=slug))


@bp.post("/tenants/<slug>/retry")
@operator_required
def retry(slug: str):
    def go(t: Tenant) -> str:
        provisioning.retry(t, _actor())
        db.session.commit()
        return "Provisioning restarted at the first step not done."
    return _act(slug, go)


@bp.post("/tenants/<slug>/suspend")
@operator_required
def suspend(slug: str):
    def go(t: Tenant) -> str:
        lifecycle.suspend(t, request.form.get("reason", ""), _actor())
        return f"{t.name} is suspended."
    return _act(slug, go)


@bp.post("/tenants/<slug>/resume")
@operator_required
def resume(slug: str):
    def go(t: Tenant) -> str:
        lifecycle.resume(t, _actor())
        return f"{t.name} accepts new work again."
    return _act(slug, go)


@bp.post("/tenants/<slug>/export")
@operator_required
def export_tenant(slug: str):
    def go(t: Tenant) -> str:
        path = export.save(t, export.export(t, _actor()))
        return f"Exported to {path.name}; download it below."
    return _act(slug, go)


@bp.get("/tenants/<slug>/exports/<name>")
@operator_required
def download_export(slug: str, name: str):
    found = _tenant(slug)
    folder = Path(current_app.instance_path, "exports")
    path = folder / name
    if not name.startswith(f"{found.slug}--") or path.parent != folder or not path.is_file():
        abort(404)
    return send_file(path, as_attachment=True, download_name=name)


@bp.post("/tenants/<slug>/retire")
@operator_required
def retire(slug: str):
    found = _tenant(slug)
    try:
        lifecycle.retire(found, _actor(), request.form.get("confirm", ""))
    except lifecycle.LifecycleError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("operator.tenant", slug=slug))
    flash(f"{slug} is retired: nothing of it is left on the platform.", "ok")
    return redirect(url_for("operator.tenants"))


@bp.get("/audit")
@operator_required
def audit_log():
    return render("operator/audit.html", entries=audit.recent(500))
