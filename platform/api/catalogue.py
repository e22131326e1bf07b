"""The window's catalogue profile, for trader software: its versions and, for each, the
JSON Schema of a declaration (`/api/v1/catalogue`). Public on the window's host: it is the
window's published form, nothing more."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from singlewindow.platform.api.errors import ApiError
from singlewindow.platform.catalogue import service
from singlewindow.platform.catalogue.jsonschema import json_schema
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.catalogue.profile import Profile
from singlewindow.platform.extensions import db

bp = Blueprint("api_catalogue", __name__, url_prefix="/api/v1/catalogue")


@bp.before_request
def _tenant_host_only():
    if g.get("tenant") is None:
        raise ApiError(404, "not_found", "there is no API on this host")


@bp.get("")
def versions():
    current = service.current_version()
    return jsonify({
        "current_version": current.version,
        "versions": [{
            "version": v.version, "status": v.status,
            "published_at": v.published_at.isoformat() if v.published_at else None,
            "effective_from": v.effective_from.isoformat() if v.effective_from else None,
            "notes": v.notes,
            "schema": f"{request.host_url}api/v1/catalogue/versions/{v.version}/schema",
        } for v in service.versions() if v.is_published],
    })


@bp.get("/versions/<int:number>")
def version(number: int):
    found = _version(number)
    profile = Profile.of(found)
    return jsonify({
        "version": found.version, "master_catalogue": found.master_version,
        "effective_from": found.effective_from.isoformat() if found.effective_from else None,
        "elements": [{**element.as_dict(), "required": bool(entry.get("required")),
                      "required_when": entry.get("required_when")}
                     for element, entry in profile.used()],
        "code_lists": found.code_lists, "tariff_lines": found.tariff_lines,
    })


@bp.get("/versions/<int:number>/schema")
def schema(number: int):
    found = _version(number)
    response = jsonify(json_schema(found, request.url))
    response.headers["Content-Type"] = "application/schema+json"
    return response


def _version(number: int) -> ProfileVersion:
    found = db.session.execute(select(ProfileVersion).where(
        ProfileVersion.version == number, ProfileVersion.status == "published")
    ).scalar_one_or_none()
    if found is None:
        raise ApiError(404, "not_found", f"no published catalogue profile version {number}")
    return found
