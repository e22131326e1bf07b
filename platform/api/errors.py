"""API errors: always `{"error": {"code", "message", "details"}}` with the right status."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None):
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media",
          422: "invalid", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}


def is_api_request() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/oauth/")


def init_app(app) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)



def http_error_response(exc: HTTPException):
    """An HTTP error (404, 405, 413 ...) raised under /api, in the API's shape."""
    status = exc.code or 500
    return error_response(status, _CODES.get(status, "error"), exc.description or exc.name)
