"""Who is asking, and may they: the current user per request, and the guards views use.

A tenant user counts only on the host of their own tenant (the session records the tenant
and is checked against the host on every request); operator staff only on the platform
host. Missing and not-yours look the same to the caller (404).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g, redirect, request, session, url_for

from singlewindow.platform.auth import sessions
from singlewindow.platform.auth.models import OperatorUser, User
from singlewindow.platform.db.scoping import get_in_tenant
from singlewindow.platform.extensions import db


def load_current_user() -> None:
    """The session's subject (held server-side) must match the host: a user of this
    tenant on its host, an operator on the platform host. Anything else is nobody."""
    g.user = None
    g.operator = None
    subject = sessions.subject_of(session.get("sid"))
    if subject is None:
        return
    kind, _, rest = subject.partition(":")
    tenant = g.get("tenant")
    if kind == "user" and tenant is not None:
        tenant_id, _, user_id = rest.partition(":")
        if tenant_id == str(tenant.id):
            user = get_in_tenant(User, user_id)
            if user is not None and user.active:
                g.user = user
    elif kind == "operator" and g.get("is_platform_host"):
        op = db.session.get(OperatorUser, int(rest))
        if op is not None and op.active:
            g.operator = op


def tenant_required(view: Callable) -> Callable:
    """The route exists only on a tenant's host."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("tenant") is None:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def login_required(*roles: str) -> Callable:
    """A signed-in user of this tenant, with one of `roles` when given."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if g.get("tenant") is None:
                abort(404)
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if roles and g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_roles = roles  # read by the route-walking isolation tests
        return wrapper

    return decorate


def operator_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not g.get("is_platform_host"):
            abort(404)
        if g.operator is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def open_for_work(view: Callable) -> Callable:
    """New work (a declaration, an import) only while the window is not suspended; its
    data stays readable meanwhile."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        tenant = g.get("tenant")
        if tenant is not None and tenant.is_suspended:
            abort(403, description=suspended_message(tenant))
        return view(*args, **kwargs)

    return wrapper


def suspended_message(tenant) -> str:
    return (f"{tenant.name} is suspended by the platform operator and accepts no new "
            f"declarations: {tenant.suspension_reason or 'no reason given'}. You can still "
            "read your declarations.")
