"""The application factory: `create_app()` binds each part with its `init_app`."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request
from flask.templating import DispatchingJinjaLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

# Model modules are imported so the metadata (and Alembic) sees every table.
from singlewindow.billing import models as _billing_models  # noqa: F401
from singlewindow.billing import views as billing_views
from singlewindow.platform import audit as _audit_models  # noqa: F401
from singlewindow.platform import config as config_module
from singlewindow.platform import security, templating
from singlewindow.platform.api import agency as agency_api
from singlewindow.platform.api import catalogue as catalogue_api
from singlewindow.platform.api import declarations as declarations_api
from singlewindow.platform.api import errors as api_errors
from singlewindow.platform.auth import access, oauth
from singlewindow.platform.auth import models as _auth_models  # noqa: F401
from singlewindow.platform.auth import sessions as _sessions_models  # noqa: F401
from singlewindow.platform.auth import views as auth_views
from singlewindow.platform.catalogue import models as _catalogue_models  # noqa: F401
from singlewindow.platform.catalogue import views as catalogue_views
from singlewindow.platform.db import rls
from singlewindow.platform.db.scoping import bind_tenant, unbind_tenant
from singlewindow.platform.declarations import models as _declaration_models  # noqa: F401
from singlewindow.platform.declarations import views as portal_views
from singlewindow.platform.extensions import db, migrate
from singlewindow.platform.operator import views as operator_views
from singlewindow.platform.reference import models as _reference_models  # noqa: F401
from singlewindow.platform.tasks import outbox
from singlewindow.tenants import admin_views, domains, resolution
from singlewindow.tenants import models as _tenant_models  # noqa: F401
from singlewindow.themes import loader as themes

PACKAGE_DIR = Path(__file__).parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


class App(Flask):
    jinja_environment = themes.ThemedEnvironment

    def create_global_jinja_loader(self):
        return themes.ThemeLoader(DispatchingJinjaLoader(self))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, let readers and one writer work at once, and wait for
    the write lock instead of failing (the embedded default has several threads)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    instance_path = os.environ.get("SINGLEWINDOW_INSTANCE") or str(Path.cwd() / "instance")
    app = App(
        "singlewindow.platform",
        root_path=str(PACKAGE_DIR),
        instance_path=instance_path,
        template_folder="templates",
        static_folder="static",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config_module.from_environment(app.instance_path, overrides))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"timeout": 30, "check_same_thread": False},
        }
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    with app.app_context():
        rls.install(db.engine)
    security.init_app(app)
    api_errors.init_app(app)
    oauth.init_app(app)
    outbox.configure(app)
    _tenancy(app)
    security.init_csrf(app)
    for bp in (auth_views.bp, portal_views.bp, admin_views.bp, billing_views.bp, catalogue_views.bp,
               operator_views.bp, declarations_api.bp, agency_api.bp, catalogue_api.bp):
        app.register_blueprint(bp)
    templating.init_app(app)
    themes.init_app(app)
    _html_errors(app)
    return app


def _tenancy(app: Flask) -> None:
    @app.before_request
    def _resolve_tenant():
        g.tenant = None
        g.is_platform_host = False
        if request.endpoint in ("static", "theme_static"):
            return None
        found = resolution.resolve(request.host, app.config["PLATFORM_DOMAIN"])
        if found is None:
            if request.path == domains.WELL_KNOWN:  # a custom domain being verified
                token = domains.pending_token(resolution.hostname(request.host))
                if token:
                    return token, 200, {"Content-Type": "text/plain; charset=utf-8"}
            return render_template("errors/unknown_host.html"), 404
        if found is resolution.PLATFORM:
            g.is_platform_host = True
        else:
            if found.status in ("provisioning", "failed"):
                return render_template("errors/unknown_host.html"), 404
            g.tenant = found
            g._tenant_token = bind_tenant(found.id)
        access.load_current_user()
        return None

    @app.teardown_request
    def _unbind(exc):
        token = g.pop("_tenant_token", None)
        if token is not None:
            unbind_tenant(token)


def _html_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _page(exc: HTTPException):
        if api_errors.is_api_request():
            return api_errors.http_error_response(exc)
        if exc.code in (400, 403, 404, 405, 413):
            page = "errors/404.html" if exc.code == 404 else "errors/generic.html"
            return templating.render(page, error=exc), exc.code
        return exc
