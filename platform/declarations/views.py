"""The trader's portal on a tenant's host: declarations list, one declaration with its
agencies and timeline, and the form that makes a new one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for
from sqlalchemy import func, select

from singlewindow.platform.auth.access import login_required, open_for_work
from singlewindow.platform.auth.models import Role
from singlewindow.platform.catalogue import service as catalogue
from singlewindow.platform.catalogue.profile import Profile
from singlewindow.platform.catalogue.validation import DeclarationInvalid
from singlewindow.platform.db.scoping import get_in_tenant
from singlewindow.platform.declarations import drafts, forms, service
from singlewindow.platform.declarations import status as st
from singlewindow.platform.declarations.models import Declaration, DeclarationDraft
from singlewindow.platform.extensions import db
from singlewindow.platform.templating import render

bp = Blueprint("portal", __name__)
PER_PAGE = 50


def _company_scope() -> int | None:
    """Traders see their company's declarations; tenant staff see the whole window's."""
    return g.user.company_id if g.user.role in Role.TRADERS else None


@bp.get("/")
def home():
    if g.get("is_platform_host"):
        return redirect(url_for("operator.tenants"))
    if g.get("tenant") is None:
        abort(404)
    if g.user is None:
        return render("portal/welcome.html")
    if g.user.role in Role.TRADERS:
        return redirect(url_for("portal.declarations"))
    return redirect(url_for("admin.overview"))


@bp.get("/declarations")
@login_required(*Role.TRADERS, Role.TENANT_ADMIN, Role.DATA_COMMITTEE)
def declarations():
    status = request.args.get("status") or None
    page = max(1, request.args.get("page", 1, type=int))
    stmt = select(Declaration)
    company_id = _company_scope()
    if company_id is not None:
        stmt = stmt.where(Declaration.company_id == company_id)
    by_status = select(Declaration.status, func.count()).group_by(Declaration.status)
    if company_id is not None:
        by_status = by_status.where(Declaration.company_id == company_id)
    counts = dict(db.session.execute(by_status).all())
    if status:
        stmt = stmt.where(Declaration.status == status)
    rows = db.session.execute(
        stmt.order_by(Declaration.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).scalars().all()
    my_drafts = drafts.of_company(company_id) if company_id is not None else []
    return render("portal/declarations.html", declarations=rows, counts=counts, status=status,
                  page=page, per_page=PER_PAGE, drafts=my_drafts,
                  saved=request.args.get("saved"))


@bp.get("/declarations/<declaration_id>")
@login_required(*Role.TRADERS, Role.TENANT_ADMIN, Role.DATA_COMMITTEE)
def declaration(declaration_id: str):
    found = service.get_for_company(_company_scope(), declaration_id, with_history=True)
    if found is None:
        abort(404)
    # Shown as the version it was made under says, whatever the profile says today.
    return render("portal/declaration.html", d=found,
                  elements=Profile.of(found.profile_version).elements, final=st.FINAL)


@bp.route("/declarations/new", methods=["GET", "POST"])
@login_required(*Role.TRADERS)
@open_for_work
def new_declaration():
    version = catalogue.current_version()
    company = g.user.company
    draft = _draft(request.values.get("draft"))
    if request.method == "POST":
        form = forms.DeclarationForm.from_request(version, request.form, company)
    elif draft is not None:
        form = forms.DeclarationForm.from_draft(version, draft.document)
    else:
        form = forms.DeclarationForm.blank(version, company)
    errors: list[dict[str, Any]] = []
    if request.method == "POST" and "save_draft" in request.form:
        draft = drafts.save(draft, company, g.user.email, form.payload(keep_blank_items=True))
        db.session.commit()
        return redirect(url_for("portal.declarations", saved=draft.id))
    if request.method == "POST" and "add_item" not in request.form:
        try:
            created = service.submit(company, form.payload(), source="portal",
                                     actor=g.user.email)
            if draft is not None:
                db.session.delete(draft)  # declared: the draft has done its job
            db.session.commit()
            return redirect(url_for("portal.declaration", declaration_id=created.id))
        except DeclarationInvalid as exc:
            db.session.rollback()
            errors = [e.as_dict() for e in exc.errors]
        except service.DuplicateShipmentRef as exc:
            db.session.rollback()
            errors = [{"element": "shipment_ref", "element_name": "Shipment reference",
                       "item": None, "code": "duplicate", "message": str(exc)}]
    status = 422 if errors else 200
    return render("portal/new_declaration.html", form=form, errors=errors, draft=draft,
                  errors_by_field=forms.errors_by_field(errors)), status


def _draft(draft_id: str | None):
    """A draft of the trader's own company, or nothing (never another's)."""
    if not draft_id:
        return None
    found = get_in_tenant(DeclarationDraft, draft_id)
    if found is None or found.company_id != g.user.company_id:
        abort(404)
    return found


@bp.post("/drafts/<draft_id>/delete")
@login_required(*Role.TRADERS)
def delete_draft(draft_id: str):
    db.session.delete(_draft(draft_id))
    db.session.commit()
    return redirect(url_for("portal.declarations"))
