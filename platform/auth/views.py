"""Sign in and out, on a tenant's host (its users) or the platform host (operator staff)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, request, session, url_for

from singlewindow.platform import audit
from singlewindow.platform.auth import invitations, service, sessions
from singlewindow.platform.auth.models import OperatorUser, Role
from singlewindow.platform.extensions import db
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
                # The password is half of it: the TOTP code comes next.
                session.clear()
                session["mfa_operator"], session["mfa_email"] = op.id, email
                session["mfa_until"] = time.time() + MFA_SECONDS
                return redirect(url_for("auth.login_code", next=request.args.get("next")))
        sessions.record_failure(host, email)
        error = "The e-mail address or the password is not right. Check both and try again."
    status = 401 if error else 200
    return render("auth/login.html", error=error, email=email), status


MFA_SECONDS = 300


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """Operator staff's second factor: the six-digit code of their authenticator app."""
    if not g.get("is_platform_host"):
        abort(404)
    op_id, email = session.get("mfa_operator"), session.get("mfa_email", "")
    if not op_id or time.time() > session.get("mfa_until", 0):
        session.clear()
        return redirect(url_for("auth.login"))
    error = None
    if request.method == "POST":
        host = request.host
        if sessions.locked_for(host, email) is not None:
            session.clear()
            return redirect(url_for("auth.login"))
        op = db.session.get(OperatorUser, op_id)
        if op is not None and op.active and service.verify_totp(op, request.form.get("code", "")):
            audit.record(f"operator:{op.email}", "operator.sign_in", f"operator:{op.email}",
                         "signed in with password and TOTP")
            db.session.commit()
            return _signed_in(sessions.operator_subject(op.id), host, email,
                              url_for("operator.tenants"))
        sessions.record_failure(host, email)
        error = "That code is not right or has expired. Enter the current code from your app."
    return render("auth/login_code.html", error=error), 401 if error else 200


def _signed_in(subject: str, host: str, email: str, home: str):
    sessions.clear_failures(host, email)
    sessions.end(session.get("sid"))
    session.clear()  # a fresh session: nothing of the signed-out one carries over
    session["sid"] = sessions.start(subject)
    return redirect(_safe_next(request.args.get("next")) or home)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Someone invited to this window chooses their name and password."""
    if g.get("tenant") is None:
        abort(404)
    invitation = invitations.pending(token)
    if invitation is None:
        return render("auth/invitation.html", invitation=None, error=None), 404
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("confirm", ""):
            error = "The two passwords are not the same."
        else:
            try:
                user = invitations.accept(token, request.form.get("name", ""), password)
                db.session.commit()
            except invitations.InvitationError as exc:
                db.session.rollback()
                error = str(exc)[0].upper() + str(exc)[1:] + "."
            else:
                return _signed_in(sessions.user_subject(g.tenant.id, user.id), request.host,
                                  user.email, home_for(user))
    return render("auth/invitation.html", invitation=invitation, error=error), \
        422 if error else 200


@bp.post("/logout")
def logout():
    sessions.end(session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))
