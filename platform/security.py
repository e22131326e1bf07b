"""Browser-facing protections: a CSRF token for every form post, and security headers."""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

_EXEMPT_PREFIXES = ("/api/", "/oauth/")


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def init_app(app) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _refuse_nul():
        """No NUL character reaches a query: PostgreSQL text cannot hold one."""
        values = [request.path, *request.args.values(), *request.headers.values(),
                  *request.form.values()]
        if any("\x00" in v for v in values):
            abort(400, description="The request contains a NUL character.")

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response


def init_csrf(app) -> None:
    """After the tenant is known, so even a refused form is answered in its brand."""

    @app.before_request
    def _check_csrf():
        if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith(_EXEMPT_PREFIXES):
            return
        expected = session.get("csrf")
        given = request.form.get("csrf_token", "")
        if not expected or not hmac.compare_digest(expected, given):
            abort(400, description="The form has expired. Go back, reload the page and try again.")
