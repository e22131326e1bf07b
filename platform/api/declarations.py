"""REST API for traders' systems: declarations and CSV imports (`/api/v1`)."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal

from authlib.integrations.flask_oauth2 import current_token
from flask import Blueprint, g, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from singlewindow.platform.api.errors import ApiError
from singlewindow.platform.auth.access import suspended_message
from singlewindow.platform.auth.models import Company
from singlewindow.platform.auth.oauth import require_oauth
from singlewindow.platform.catalogue.validation import DeclarationInvalid, ElementError
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
    if g.tenant.is_suspended and request.method not in ("GET", "HEAD"):
        raise ApiError(403, "window_suspended", suspended_message(g.tenant))


def _client():
    client = current_token.client
    if client.agency_id is not None:
        raise ApiError(403, "forbidden", "an agency's API client cannot declare")
    return client


def _company_scope() -> int | None:
    """A trader's client sees its company's declarations; a window client, all of them."""
    client = _client()
    return client.company_id


def _declarant(exporter_tax_id: object):
    """Who declares: a trader client's own company; for a window client (the window's own
    systems, a migration), the registered trader named by the exporter's identification."""
    client = _client()
    if client.company is not None:
        return client.company
    tax_id = exporter_tax_id.strip() if isinstance(exporter_tax_id, str) else ""
    company = db.session.execute(
        select(Company).where(Company.tax_id == tax_id)).scalar_one_or_none() if tax_id else None
    if company is None:
        raise DeclarationInvalid([ElementError(
            "exporter_tax_id", "Exporter identification number", None, "unknown_trader",
            f"{tax_id or 'no exporter'} is not a registered trader of this window")])
    return company


def _json_body(raw: bytes):
    if not request.is_json:
        raise ApiError(415, "unsupported_media", "send the declaration as application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_encoding",
                       f"the body is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the body nests too deeply") from None


_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _validation_error(exc: DeclarationInvalid) -> ApiError:
    n = len(exc.errors)
    return ApiError(422, "validation_failed",
                    f"the declaration has {n} error{'s' if n != 1 else ''}",
                    [e.as_dict() for e in exc.errors])


@bp.post("/declarations")
@require_oauth("declarations")
def create_declaration():
    raw = request.get_data()
    payload = _json_body(raw)
    key = request.headers.get("Idempotency-Key", "").strip()
    owner = f"client:{current_token.client.id}"
    digest = hashlib.sha256(raw).hexdigest()
    if key and not _KEY.match(key):
        raise ApiError(400, "invalid_idempotency_key",
                       "Idempotency-Key is 1 to 255 printable ASCII characters (a UUID is good)")
    if key:
        replay = _replay(owner, key, digest)
        if replay is not None:
            return replay
    try:
        company = _declarant(payload.get("exporter_tax_id") if isinstance(payload, dict) else None)
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
        # A concurrent request with the same key may have made it a moment ago.
        replay = _replay(owner, key, digest) if key else None
        if replay is not None:
            return replay
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
    company_id = _company_scope()
    try:
        args = ListQuerySchema().load(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError(400, "invalid_query", "invalid query parameters", exc.messages) from None
    stmt = select(Declaration)
    if company_id is not None:
        stmt = stmt.where(Declaration.company_id == company_id)
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
    declaration = service.get_for_company(_company_scope(), declaration_id, with_history=True)
    if declaration is None:
        raise ApiError(404, "not_found", f"no declaration {declaration_id}")
    return jsonify(_detail.dump(declaration))


@bp.post("/imports")
@require_oauth("declarations")
def import_csv():
    """A shipments CSV (text/csv body, or a multipart field named `file`): a trader's client
    declares every shipment as its company; a window client, as each registered exporter.
    Shipments of other windows in the file are skipped."""
    _client()
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
        shipments, tenant_slug=g.tenant.slug, resolve_company=_row_declarant,
        source="api", actor=current_token.client.name,
    )
    return jsonify(report.as_dict())


def _row_declarant(row: dict[str, str]):
    try:
        return _declarant(row.get("exporter_tax_id"))
    except DeclarationInvalid as exc:
        error = exc.errors[0]
        raise importer.RefuseShipment(error.element, error.code, error.message) from None
