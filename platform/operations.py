"""Operations shared by the `singlewindow` command and the demo: preparing the database,
importing shipment files into their windows, running the simulated agency and the
scheduler loop in-process."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.pool import NullPool

from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth import sessions
from singlewindow.platform.auth.models import Company, OAuthToken
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.declarations import importer
from singlewindow.platform.extensions import db
from singlewindow.platform.reference import loader
from singlewindow.platform.simulator.app import SimulatorServer
from singlewindow.platform.tasks import outbox
from singlewindow.tenants.models import Tenant


class OperationError(RuntimeError):
    pass


def prepare_database() -> dict[str, int]:
    """Bring the schema to the latest migration, let the app's role use it, and load the
    reference data (all idempotent)."""
    upgrade(directory=str(Path(current_app.root_path) / "migrations"))
    grant_app_role()
    return loader.load_all()


def grant_app_role() -> None:
    """With a separate owner (DATABASE_ADMIN_URL), give the app's role what it needs on the
    tables and sequences: reading and writing rows, never owning or altering them."""
    admin_url = current_app.config.get("DATABASE_ADMIN_URL")
    if not admin_url:
        return
    app_user = db.engine.url.username
    admin = create_engine(admin_url, poolclass=NullPool)
    if not app_user or app_user == admin.url.username:
        admin.dispose()
        return
    role = admin.dialect.identifier_preparer.quote(app_user)
    with admin.begin() as conn:
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                          f"TO {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    admin.dispose()


def import_file(shipments: list[importer.Shipment], tenant_slug: str | None,
                register_companies: bool, actor: str) -> dict[str, importer.ImportReport]:
    """Import into one tenant, or into each shipment's origin_tenant; then relay the work."""
    with platform_wide():
        tenants = {t.slug: (t.id, t.country) for t in db.session.execute(select(Tenant)).scalars()}
    groups: dict[str, list[importer.Shipment]] = {}
    for shipment in shipments:
        slug = tenant_slug or shipment.tenant or ""
        groups.setdefault(slug, []).append(shipment)
    reports: dict[str, importer.ImportReport] = {}
    for slug, group in groups.items():
        if slug not in tenants:
            report = importer.ImportReport()
            for s in group:
                report.outcomes.append(importer.Outcome(s.ref, s.lines, "refused", errors=[{
                    "shipment": s.ref, "line": s.lines[0], "item": None,
                    "element": importer.TENANT_COLUMN, "code": "unknown_window",
                    "message": f"there is no window {slug!r} on this platform"
                               if slug else "no --tenant given and no origin_tenant column"}]))
            reports[slug or "?"] = report
            continue
        tenant_id, country = tenants[slug]
        with tenant_context(tenant_id):
            reports[slug] = importer.import_shipments(
                group, tenant_slug=slug, source="import", actor=actor,
                resolve_company=_company_resolver(register_companies, country),
            )
        outbox.relay()
    return reports


def _company_resolver(register: bool, country: str):
    def resolve(row: dict[str, str]):
        tax_id = (row.get("exporter_tax_id") or "").strip()
        name = (row.get("exporter_name") or "").strip()
        if not tax_id:
            raise importer.RefuseShipment("exporter_tax_id", "required",
                                          "Exporter identification number is required")
        found = db.session.execute(
            select(Company).where(Company.tax_id == tax_id)
        ).scalar_one_or_none()
        if found is not None:
            return found
        if not register:
            raise importer.RefuseShipment(
                "exporter_tax_id", "unknown_trader",
                f"exporter {tax_id} is not a registered trader of this window; register the "
                "company first or import with --register-companies")
        return accounts.ensure_company(name or tax_id, tax_id, country)

    return resolve


def start_simulator_if_needed(url: str, secret: str, time_scale: float = 1.0) -> SimulatorServer | None:
    """Start the simulated agency at `url` unless one already answers there."""
    try:
        if requests.get(url.rstrip("/") + "/health", timeout=1).ok:
            return None
    except requests.RequestException:
        pass
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise OperationError(f"SIMULATOR_URL {url} is not on this machine and not answering")
    try:
        return SimulatorServer(secret, parts.hostname, parts.port or 80, time_scale).start()
    except OSError as exc:
        raise OperationError(f"cannot start the simulated agency on {url}: {exc}") from None


HOUSEKEEPING_EVERY = 300.0  # seconds


def housekeeping() -> None:
    """Forget what has expired: sign-in sessions, failed sign-ins, access tokens."""
    sessions.purge_expired()
    with platform_wide():
        cutoff = int(time.time()) - 86400
        db.session.execute(delete(OAuthToken).where(
            OAuthToken.issued_at + OAuthToken.expires_in < cutoff))
        db.session.commit()


def scheduler_loop(app, stop: threading.Event, every: float = 1.0) -> None:
    """Periodic work: relay the outbox every tick, housekeeping now and then."""
    last_housekeeping = 0.0
    with app.app_context():
        while not stop.is_set():
            try:
                outbox.relay()
                if time.monotonic() - last_housekeeping > HOUSEKEEPING_EVERY:
                    housekeeping()
                    last_housekeeping = time.monotonic()
            except Exception:  # keep going: the next tick retries
                app.logger.exception("scheduler tick failed")
            finally:
                db.session.remove()
            stop.wait(every)


def wait_for(predicate, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()
