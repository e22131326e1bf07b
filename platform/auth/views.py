"""Sign in and out, on a tenant's host (its users) or the platform host (operator staff)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, request, session, url_for

from singlewindow.platform.auth import service, sessions
from singlewindow.platform.auth.models import Role
from singlewindow.platform.templating import render

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only local paths: never send someone to another host after signing in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user) -> str:
    if user.role in Role.TRADERS:
        return url_for("portal.declarations")
    return url_for("admin.overview")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.get("tenant") is None and not g.get("is_platform_host"):
        abort(404)
    error = None
    email = request.form.get("email", "")[:254]
    if request.method == "POST":
        host = request.host
        wait = sessions.locked_for(host, email)
        if wait is not None:
            minutes = max(1, round(wait.total_seconds() / 60))
            error = (f"Too many failed attempts for this address. Try again in {minutes} "
                     f"minute{'s' if minutes > 1 else ''}.")
            return render("auth/login.html", error=error, email=email), 429
        password = request.form.get("password", "")
        if g.get("tenant") is not None:
            user = service.authenticate_user(email, password)
            if user is not None:
                return _signed_in(sessions.user_subject(g.tenant.id, user.id), host, email,
                                  home_for(user))
        else:
            op = service.authenticate_operator(email, password)
            if op is not None:
                return _signed_in(sessions.operator_subject(op.id), host, email,
                                  url_for("operator.tenants"))
        sessions.record_failure(host, email)
        error = "The e-mail address or the password is not right. Check both and try again."
    status = 401 if error else 200
    return render("auth/login.html", error=error, email=email), status


def _signed_in(subject: str, host: str, email: str, home: str):
    sessions.clear_failures(host, email)
    sessions.end(session.get("sid"))
    session.clear()  # a fresh session: nothing of the signed-out one carries over
    session["sid"] = sessions.start(subject)
    return redirect(_safe_next(request.args.get("next")) or home)


@bp.post("/logout")
def logout():
    sessions.end(session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))
