"""REST API for traders' systems: declarations and CSV imports (`/api/v1`)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from authlib.integrations.flask_oauth2 import current_token
from flask import Blueprint, g, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from singlewindow.platform.api.errors import ApiError
from singlewindow.platform.auth.oauth import require_oauth
from singlewindow.platform.catalogue.validation import DeclarationInvalid
from singlewindow.platform.declarations import importer, service
from singlewindow.platform.declarations.models import Declaration, IdempotencyRecord
from singlewindow.platform.declarations.schemas import (
    DeclarationDetailSchema,
    DeclarationSummarySchema,
    ListQuerySchema,
)
from singlewindow.platform.extensions import db

bp = Blueprint("api_declarations", __name__, url_prefix="/api/v1")

_detail = DeclarationDetailSchema()
_summary = DeclarationSummarySchema(many=True)


@bp.before_request
def _tenant_host_only():
    if g.get("tenant") is None:
        raise ApiError(404, "not_found", "there is no API on this host")
    if not g.tenant.is_active:
        raise ApiError(503, "window_unavailable",
                       f"the {g.tenant.name} window is {g.tenant.status}; try again later")


def _company():
    client = current_token.client
    if client.company is None:
        raise ApiError(403, "forbidden", "this API client does not act for a trader company")
    return client.company


def _json_body():
    if not request.is_json:
        raise ApiError(415, "unsupported_media", "send the declaration as application/json")
    try:
        return json.loads(request.get_data(), parse_float=Decimal)
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None


def _validation_error(exc: DeclarationInvalid) -> ApiError:
    n = len(exc.errors)
    return ApiError(422, "validation_failed",
                    f"the declaration has {n} error{'s' if n != 1 else ''}",
                    [e.as_dict() for e in exc.errors])


@bp.post("/declarations")
@require_oauth("declarations")
def create_declaration():
    company = _company()
    raw = request.get_data()
    payload = _json_body()
    key = request.headers.get("Idempotency-Key", "").strip()
    owner = f"client:{current_token.client.id}"
    digest = hashlib.sha256(raw).hexdigest()
    if len(key) > 255:
        raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key is at most 255 characters")
    if key:
        replay = _replay(owner, key, digest)
        if replay is not None:
            return replay
    try:
        declaration = service.submit(company, payload, source="api",
                                     actor=current_token.client.name)
        if key:
            db.session.add(IdempotencyRecord(owner=owner, key=key, request_hash=digest,
                                             declaration_id=declaration.id))
        db.session.commit()
    except DeclarationInvalid as exc:
        db.session.rollback()
        raise _validation_error(exc) from None
    except service.DuplicateShipmentRef as exc:
        db.session.rollback()
        raise ApiError(409, "duplicate_shipment_ref", str(exc),
                       {"declaration": exc.declaration.id}) from None
    except IntegrityError:
        # A concurrent request with the same key or reference committed first.
        db.session.rollback()
        replay = _replay(owner, key, digest) if key else None
        if replay is not None:
            return replay
        raise ApiError(409, "conflict", "a concurrent request created this declaration") from None
    response = jsonify(_detail.dump(declaration))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/declarations/{declaration.id}"
    return response


def _replay(owner: str, key: str, digest: str):
    record = db.session.execute(
        select(IdempotencyRecord).where(IdempotencyRecord.owner == owner,
                                        IdempotencyRecord.key == key)
    ).scalar_one_or_none()
    if record is None:
        return None
    if record.request_hash != digest:
        raise ApiError(422, "idempotency_key_reused",
                       "this Idempotency-Key was used with a different request body; use a new "
                       "key for a new declaration")
    declaration = service.get_for_company(None, record.declaration_id)
    response = jsonify(_detail.dump(declaration))
    response.status_code = 201
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/declarations/{declaration.id}"
    return response


@bp.get("/declarations")
@require_oauth("declarations")
def list_declarations():
    company = _company()
    try:
        args = ListQuerySchema().load(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError(400, "invalid_query", "invalid query parameters", exc.messages) from None
    stmt = select(Declaration).where(Declaration.company_id == company.id)
    if "status" in args:
        stmt = stmt.where(Declaration.status == args["status"])
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page, per_page = args["page"], args["per_page"]
    rows = db.session.execute(
        stmt.order_by(Declaration.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).scalars().all()
    return jsonify({"data": _summary.dump(rows), "page": page, "per_page": per_page,
                    "total": total, "has_more": page * per_page < total})


@bp.get("/declarations/<declaration_id>")
@require_oauth("declarations")
def get_declaration(declaration_id: str):
    declaration = service.get_for_company(_company().id, declaration_id)
    if declaration is None:
        raise ApiError(404, "not_found", f"no declaration {declaration_id}")
    return jsonify(_detail.dump(declaration))


@bp.post("/imports")
@require_oauth("declarations")
def import_csv():
    """A shipments CSV (text/csv body, or a multipart field named `file`), declared as the
    client's company."""
    company = _company()
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_encoding", "the CSV must be UTF-8") from None
    try:
        shipments = importer.read_csv(text)
    except importer.ImportFileError as exc:
        raise ApiError(400, "invalid_csv", str(exc)) from None
    report = importer.import_shipments(
        shipments, tenant_slug=g.tenant.slug, resolve_company=lambda row: company,
        source="api", actor=current_token.client.name,
    )
    return jsonify(report.as_dict())
