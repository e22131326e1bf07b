"""The catalogue in the tenant's console (`/admin/catalogue`): the profile in force and its
versions; change proposals, with what each touches; and the data committee's decision."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, request, url_for
from sqlalchemy import select

from singlewindow.platform.auth.access import login_required
from singlewindow.platform.auth.models import Role
from singlewindow.platform.catalogue import governance, service
from singlewindow.platform.catalogue.master import elements
from singlewindow.platform.catalogue.models import ChangeProposal, ProfileVersion
from singlewindow.platform.catalogue.profile import Profile
from singlewindow.platform.db.scoping import get_in_tenant
from singlewindow.platform.extensions import db
from singlewindow.platform.templating import render

bp = Blueprint("catalogue", __name__, url_prefix="/admin/catalogue", template_folder="templates")

READERS = (Role.TENANT_ADMIN, Role.DATA_COMMITTEE, Role.AGENCY_OFFICER)
PROPOSERS = (Role.TENANT_ADMIN, Role.AGENCY_OFFICER)


def _who() -> str:
    return f"user:{g.user.email}"


@bp.get("/")
@login_required(*READERS)
def profile():
    current = service.current_version()
    latest = service.latest_version()
    proposals = db.session.execute(
        select(ChangeProposal).order_by(ChangeProposal.status != "open",
                                        ChangeProposal.id.desc()).limit(50)).scalars().all()
    return render("catalogue/profile.html", version=current, profile=Profile.of(current),
                  scheduled=latest if latest and latest.version != current.version else None,
                  versions=service.versions(), proposals=proposals)


@bp.get("/versions/<int:number>")
@login_required(*READERS)
def version(number: int):
    found = db.session.execute(
        select(ProfileVersion).where(ProfileVersion.version == number)).scalar_one_or_none()
    if found is None:
        abort(404)
    return render("catalogue/profile.html", version=found, profile=Profile.of(found),
                  scheduled=None, versions=service.versions(), proposals=[])


def _payload(form) -> dict[str, Any]:
    """The change as the form describes it (only the fields its kind uses)."""
    kind = form.get("kind", "")
    payload: dict[str, Any] = {}
    if kind in ("add_element", "change_requirement", "remove_element", "change_format"):
        payload["id"] = form.get("id", "").strip()
    if kind in ("add_element", "change_requirement"):
        payload["required"] = form.get("required") == "yes"
        when = form.get("required_when", "").strip()
        if when:
            try:
                payload["required_when"] = json.loads(when)
            except ValueError:
                raise governance.ProposalError(
                    'required_when: write it as JSON, e.g. {"transport_mode": ["1"]}') from None
    if kind == "add_element" and payload.get("id", "").startswith("nat_"):
        payload["definition"] = {k: form.get(f"nat_{k}", "").strip() for k in
                                 ("name", "definition", "level", "type", "format", "code_list")
                                 if form.get(f"nat_{k}", "").strip()}
    if kind == "change_format":
        payload["format"] = form.get("format", "").strip()
    if kind in ("add_code", "retire_code"):
        payload.update(list=form.get("list", "").strip(), code=form.get("code", "").strip())
        if kind == "add_code":
            payload.update(label=form.get("label", "").strip(),
                           list_name=form.get("list_name", "").strip())
    return payload


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required(*PROPOSERS)
def new_proposal():
    error = None
    if request.method == "POST":
        try:
            proposal = governance.propose(request.form.get("kind", ""), _payload(request.form),
                                          request.form.get("reason", ""), _who())
            db.session.commit()
            return redirect(url_for("catalogue.proposal", proposal_id=proposal.id))
        except governance.ProposalError as exc:
            db.session.rollback()
            error = str(exc)
    current = service.latest_version() or service.current_version()
    in_profile = set(current.element_ids())
    return render("catalogue/new_proposal.html", kinds=governance.KINDS, error=error,
                  form=request.form, addable=[e for e in elements().values()
                                              if e.id not in in_profile],
                  profile=Profile.of(current)), 422 if error else 200


@bp.get("/proposals/<proposal_id>")
@login_required(*READERS)
def proposal(proposal_id: str):
    found = get_in_tenant(ChangeProposal, proposal_id)
    if found is None:
        abort(404)
    impact = governance.impact(found.kind, found.payload) if found.status == "open" \
        else found.impact
    return render("catalogue/proposal.html", p=found, impact=impact, kinds=governance.KINDS,
                  error=request.args.get("error"))


@bp.post("/proposals/<proposal_id>/decide")
@login_required(Role.DATA_COMMITTEE)
def decide(proposal_id: str):
    found = get_in_tenant(ChangeProposal, proposal_id)
    if found is None:
        abort(404)
    comment = request.form.get("comment", "")
    try:
        if request.form.get("decision") == "approve":
            raw = request.form.get("effective_from", "").strip()
            # Entered in the window's own time zone; stored in UTC.
            when = datetime.fromisoformat(raw).replace(
                tzinfo=ZoneInfo(g.tenant.timezone)).astimezone(UTC) if raw else None
            governance.approve(found, _who(), comment, when)
        else:
            governance.reject(found, _who(), comment)
        db.session.commit()
    except (governance.ProposalError, ValueError) as exc:
        db.session.rollback()
        return redirect(url_for("catalogue.proposal", proposal_id=found.id, error=str(exc)))
    return redirect(url_for("catalogue.proposal", proposal_id=found.id))
