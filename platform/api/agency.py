"""The agency side of the API: agency systems post their answers here (`/api/v1/agency`).

Authenticated like the messages we send them: an HMAC over the raw body with the
connector's shared secret, named by the `X-SW-Agency` header. An unknown agency and a bad
signature get the same 401.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, g, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from singlewindow.platform.api.errors import ApiError
from singlewindow.platform.declarations import service
from singlewindow.platform.declarations.schemas import AgencyAnswerSchema
from singlewindow.platform.extensions import db
from singlewindow.tenants.connectors import signing
from singlewindow.tenants.models import Agency

log = logging.getLogger(__name__)
bp = Blueprint("api_agency", __name__, url_prefix="/api/v1/agency")
_answer = AgencyAnswerSchema()


@bp.before_request
def _tenant_host_only():
    if g.get("tenant") is None:
        raise ApiError(404, "not_found", "there is no API on this host")


def _authenticated_agency(raw: bytes) -> Agency:
    code = request.headers.get("X-SW-Agency", "")
    agency = db.session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    secret = agency.connector.secret if agency is not None and agency.connector else None
    try:
        if not secret:
            raise signing.SignatureError("unknown agency")
        signing.verify(secret, request.headers.get(signing.HEADER), raw)
    except signing.SignatureError:
        raise ApiError(401, "invalid_signature",
                       "the X-SW-Agency and X-SW-Signature headers do not authenticate this "
                       "request") from None
    return agency


@bp.post("/answers")
def post_answer():
    raw = request.get_data()
    agency = _authenticated_agency(raw)
    try:
        body = _answer.load(json.loads(raw))
    except (ValueError, TypeError):
        raise ApiError(400, "invalid_json", "the body is not a JSON object") from None
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "the answer is not valid", exc.messages) from None
    try:
        submission = service.submission_by_message(agency, body["message_id"])
    except service.UnknownSubmission as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    try:
        recorded = service.apply_answer(
            submission, body["status"], sequence=body["sequence"], reason=body["reason"],
            reference=body["reference"], event_id=f"{agency.code}:{body['event_id']}",
            actor=agency.name,
        )
        db.session.commit()
    except IntegrityError as exc:  # the same event, delivered twice at once: the other one won
        log.info("answer %s from %s lost a race: %s", body["event_id"], agency.code, exc.orig)
        db.session.rollback()
        recorded = False
        submission = service.submission_by_message(agency, body["message_id"])
    return jsonify({"recorded": recorded, "submission_status": submission.status,
                    "declaration_status": submission.declaration.status})
