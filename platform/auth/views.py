"""Sign in and out, on a tenant's host (its users) or the platform host (operator staff)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, request, session, url_for

from singlewindow.platform.auth import service
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
    error = None
    email = request.form.get("email", "")
    if request.method == "POST":
        password = request.form.get("password", "")
        if g.get("tenant") is not None:
            user = service.authenticate_user(email, password)
            if user is not None:
                session.clear()
                session["tid"], session["uid"] = g.tenant.id, user.id
                return redirect(_safe_next(request.args.get("next")) or home_for(user))
        elif g.get("is_platform_host"):
            op = service.authenticate_operator(email, password)
            if op is not None:
                session.clear()
                session["op"] = op.id
                return redirect(_safe_next(request.args.get("next")) or url_for("operator.tenants"))
        error = "The e-mail address or the password is not right. Check both and try again."
    status = 401 if error else 200
    return render("auth/login.html", error=error, email=email), status


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
