"""The `singlewindow` command: set-up, the demo, serving, workers and operator tasks.

Every command runs with the app's configuration from the environment (see config.py):
the embedded default with nothing set, the production shape with DATABASE_URL and
REDIS_URL.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from pathlib import Path

import click
import pyotp
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from werkzeug.serving import run_simple

from singlewindow.platform import audit, operations
from singlewindow.platform.app import create_app
from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth.models import Company, OperatorUser, Role
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.declarations import importer
from singlewindow.platform.demo import runner
from singlewindow.platform.extensions import db
from singlewindow.platform.reference import loader
from singlewindow.platform.simulator.app import SimulatorServer
from singlewindow.platform.tasks import outbox, worker
from singlewindow.provisioning import service as provisioning
from singlewindow.tenants import export, lifecycle
from singlewindow.tenants.models import Tenant


def _create_app(*_args) -> object:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True,
             add_version_option=False)
def main() -> None:
    """Single Window Platform."""


@main.command("setup")
@with_appcontext
def setup_command() -> None:
    """Create or upgrade the database and load the reference data."""
    loaded = operations.prepare_database()
    for name, rows in loaded.items():
        click.echo(f"loaded {name}: {rows:,} rows")
    click.echo("database ready" + ("" if loaded else " (reference data already current)"))


@main.group("reference")
def reference_group() -> None:
    """Platform-wide reference data."""


@reference_group.command("load")
@click.option("--force", is_flag=True, help="Reload even if the shipped files are unchanged.")
@with_appcontext
def reference_load(force: bool) -> None:
    """Load HS, UN/LOCODE, ISO and UNECE code lists from the shipped files."""
    loaded = loader.load_all(force=force)
    for name, rows in loaded.items():
        click.echo(f"loaded {name}: {rows:,} rows")
    if not loaded:
        click.echo("reference data already current")


@main.command("provision")
@click.argument("template")
@click.option("--slug", help="Tenant slug (host name label); defaults to the template name.")
@click.option("--name", help="Display name; defaults to the template's.")
@click.option("--region", help="Country or region it covers; defaults to the template's.")
@click.option("--plan", help="Billing plan; defaults to the template's.")
@click.option("--admin-email", help="The first tenant administrator, who is sent an invitation.")
@click.option("--admin-password", help="Instead of inviting, create the administrator with "
              "this password (development).")
@click.option("--custom-domain", help="A domain of the tenant's own (routed once verified).")
@with_appcontext
def provision_command(template: str, slug: str | None, name: str | None, region: str | None,
                      plan: str | None, admin_email: str | None, admin_password: str | None,
                      custom_domain: str | None) -> None:
    """Provision a tenant from a country template (see provisioning/countries/)."""
    admin = None
    if admin_email and admin_password:
        admin = provisioning.AdminAccount(admin_email, "Administrator", admin_password)
    request = provisioning.TenantRequest(template, slug=slug, name=name, region=region,
                                         plan=plan, custom_domain=custom_domain,
                                         admin_email=None if admin else admin_email)
    try:
        tenant = provisioning.start(template, request=request, admin=admin, actor="system:cli")
        db.session.commit()
    except (provisioning.TemplateError, provisioning.ProvisioningError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    tenant_id = tenant.id
    outbox.relay()  # inline: runs the steps now; with Redis: hands them to a worker

    def finished() -> bool:
        db.session.rollback()
        return db.session.get(Tenant, tenant_id).status in ("active", "failed")

    if not finished():
        click.echo("waiting for a worker to run the provisioning steps "
                   "(is `singlewindow worker` running?) ...")
        operations.wait_for(finished, timeout=120, every=0.5)
    for step in provisioning.steps_of(tenant_id):
        click.echo(f"  [{step.status:>7}] {step.name}: {step.detail}")
    tenant = db.session.get(Tenant, tenant_id)
    click.echo(f"tenant {tenant.slug}: {tenant.status}")
    if tenant.status != "active":
        sys.exit(1)


@main.group("tenants")
def tenants_group() -> None:
    """A tenant's lifecycle: list, suspend, resume, export, retire, restore."""


@tenants_group.command("list")
@with_appcontext
def tenants_list() -> None:
    for t in db.session.execute(select(Tenant).order_by(Tenant.slug)).scalars():
        click.echo(f"{t.slug:<20} {t.status:<13} {t.template:<10} {t.name}")


def _lifecycle(action):
    try:
        return action()
    except (lifecycle.LifecycleError, export.RestoreError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None


@tenants_group.command("suspend")
@click.argument("slug")
@click.option("--reason", required=True, help="Shown to the tenant's users.")
@with_appcontext
def tenants_suspend(slug: str, reason: str) -> None:
    _lifecycle(lambda: lifecycle.suspend(lifecycle.get(slug), reason, "system:cli"))
    click.echo(f"{slug} suspended")


@tenants_group.command("resume")
@click.argument("slug")
@with_appcontext
def tenants_resume(slug: str) -> None:
    _lifecycle(lambda: lifecycle.resume(lifecycle.get(slug), "system:cli"))
    click.echo(f"{slug} resumed")


@tenants_group.command("export")
@click.argument("slug")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def tenants_export(slug: str, out: Path) -> None:
    """Write one archive with all of the tenant's data and a manifest."""
    data = _lifecycle(lambda: export.export(lifecycle.get(slug), "system:cli"))
    out.write_bytes(data)
    manifest = export.read_manifest(data)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"{slug}: {rows} rows in {len(manifest['tables'])} tables -> {out}")


@tenants_group.command("retire")
@click.argument("slug")
@click.option("--confirm", required=True, help="The slug again: retiring cannot be undone.")
@with_appcontext
def tenants_retire(slug: str, confirm: str) -> None:
    """Remove every trace of a suspended, exported tenant."""
    removed = _lifecycle(lambda: lifecycle.retire(lifecycle.get(slug), "system:cli", confirm))
    click.echo(f"{slug} retired ({removed['redis_jobs']} queued jobs and "
               f"{removed['files']} files removed with it)")


@tenants_group.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def tenants_restore(archive: Path) -> None:
    """Load an exported tenant into this platform (which must not have it)."""
    tenant = _lifecycle(lambda: export.restore(archive.read_bytes(), "system:cli"))
    click.echo(f"{tenant.slug} restored ({tenant.status})")


@main.command("import-shipments")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "tenant_slug", help="Import into this tenant only; rows of other "
              "windows are refused. Without it each shipment goes to its origin_tenant.")
@click.option("--register-companies", is_flag=True,
              help="Register exporters that are not yet traders of the window.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def import_command(csv_file: Path, tenant_slug: str | None, register_companies: bool,
                   as_json: bool) -> None:
    """Import a shipments CSV (one row per goods item, grouped by shipment_ref)."""
    try:
        shipments = importer.read_csv(csv_file.read_text(encoding="utf-8"))
    except (importer.ImportFileError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{csv_file}: {exc}") from None
    reports = operations.import_file(shipments, tenant_slug, register_companies, actor="cli")
    if as_json:
        click.echo(json.dumps({slug: r.as_dict() for slug, r in reports.items()}, indent=2,
                              ensure_ascii=False))
    else:
        for slug, report in reports.items():
            print_import_report(slug, report)
    if any(r.count("refused") for r in reports.values()):
        sys.exit(1)


def print_import_report(slug: str, report: importer.ImportReport) -> None:
    skipped = report.count("skipped")
    click.echo(f"{slug}: {report.count('accepted')} accepted, {report.count('unchanged')} "
               f"already declared, {report.count('refused')} refused"
               + (f", {skipped} skipped (other windows)" if skipped else ""))
    for o in report.outcomes:
        if o.result == "skipped":
            continue
        if o.result == "refused":
            for e in o.errors:
                where = f"goods item {e['item']}" if e.get("item") else "header"
                line = f"line {e['line']}" if e.get("line") else ""
                click.echo(f"  REFUSED {o.shipment} ({', '.join(filter(None, [line, where]))}) "
                           f"{e['element']}: {e['message']}")
        else:
            click.echo(f"  {o.result:<9} {o.shipment} -> declaration {o.declaration_id}")


@main.command("create-operator")
@click.argument("email")
@click.option("--name", default="Operator")
@click.password_option()
@with_appcontext
def create_operator(email: str, name: str, password: str) -> None:
    """Create (or reset) an operator staff account, and show its TOTP enrolment."""
    op = accounts.ensure_operator(email, name, password)
    audit.record("system:cli", "operator.create", f"operator:{op.email}", "account created or reset")
    db.session.commit()
    click.echo(f"operator {email} ready")
    click.echo("Enrol this key in an authenticator app (it asks for a code at every sign-in):")
    click.echo(f"  key: {op.totp_secret}")
    click.echo(f"  uri: {accounts.totp_uri(op)}")


@main.command("totp-code")
@click.argument("email")
@with_appcontext
def totp_code(email: str) -> None:
    """Print an operator's current TOTP code: a development aid, on localhost only."""
    if not current_app.config["OAUTH2_ALLOW_HTTP"]:
        raise click.ClickException("only on a development (localhost) platform; use your app")
    op = db.session.execute(
        select(OperatorUser).where(OperatorUser.email == email.strip().lower())
    ).scalar_one_or_none()
    if op is None or not op.totp_secret:
        raise click.ClickException(f"no operator {email}")
    click.echo(pyotp.TOTP(op.totp_secret).now())


@main.command("create-client")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--name", required=True, help="What the client is, e.g. 'ERP of Acme Ltd'.")
@click.option("--company-tax-id", help="The trader company it declares for.")
@click.option("--window", is_flag=True, help="Act for the window itself (all registered "
              "traders), e.g. for a bulk migration of declarations.")
@with_appcontext
def create_client(tenant_slug: str, name: str, company_tax_id: str | None, window: bool) -> None:
    """Issue an OAuth2 client-credentials client; the secret is shown once."""
    if bool(company_tax_id) == window:
        raise click.ClickException("give either --company-tax-id or --window")
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == tenant_slug)).scalar_one_or_none()
    if tenant is None:
        raise click.ClickException(f"no tenant {tenant_slug!r}")
    with tenant_context(tenant.id):
        company = None
        if company_tax_id:
            company = db.session.execute(
                select(Company).where(Company.tax_id == company_tax_id)
            ).scalar_one_or_none()
            if company is None:
                raise click.ClickException(f"no company {company_tax_id!r} in {tenant_slug}")
        issued = accounts.create_client(name, company=company,
                                        scope="declarations" if company else "declarations imports")
        client_id = issued.client.client_id
        db.session.commit()
    click.echo(f"client_id:     {client_id}")
    click.echo(f"client_secret: {issued.secret}   (shown once; only its hash is stored)")


@main.command("create-user")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(Role.ALL), required=True)
@click.option("--company-tax-id", help="For traders: their company's identification number.")
@click.password_option()
@with_appcontext
def create_user(tenant_slug: str, email: str, name: str, role: str,
                company_tax_id: str | None, password: str) -> None:
    """Create (or reset) a user of one tenant."""
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == tenant_slug)).scalar_one_or_none()
    if tenant is None:
        raise click.ClickException(f"no tenant {tenant_slug!r}")
    with tenant_context(tenant.id):
        company = None
        if company_tax_id:
            company = db.session.execute(
                select(Company).where(Company.tax_id == company_tax_id)
            ).scalar_one_or_none()
            if company is None:
                raise click.ClickException(f"no company {company_tax_id!r} in {tenant_slug}")
        try:
            accounts.ensure_user(email, name, role, password, company=company)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"user {email} ({role}) ready in {tenant_slug}")


@main.command("simulator")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5081, type=int)
@click.option("--time-scale", default=1.0, type=float, help="Multiply every answer delay.")
@with_appcontext
def simulator_command(host: str, port: int, time_scale: float) -> None:
    """Run the simulated agency service."""
    server = SimulatorServer(current_app.config["SIMULATOR_SECRET"], host, port, time_scale)
    click.echo(f"simulated agency listening on {server.url}")
    with contextlib.suppress(KeyboardInterrupt):
        server.server.serve_forever()


@main.command("scheduler")
@click.option("--every", default=1.0, type=float, help="Seconds between ticks.")
@with_appcontext
def scheduler_command(every: float) -> None:
    """Periodic work: relay the outbox (retries, and anything Redis missed)."""
    stop = threading.Event()
    click.echo(f"scheduler running every {every:g} s")
    try:
        operations.scheduler_loop(current_app._get_current_object(), stop, every)
    except KeyboardInterrupt:
        stop.set()


@main.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--no-fork", is_flag=True, help="Run jobs in this process (faster, less isolated).")
def worker_command(queues: tuple[str, ...], burst: bool, no_fork: bool) -> None:
    """Run an rq worker (needs REDIS_URL) on QUEUES, default all."""
    worker.work(list(queues) or None, burst=burst, fork=not no_fork)


@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, help="Defaults to the port in PLATFORM_DOMAIN.")
@click.option("--no-simulator", is_flag=True, help="Do not start the simulated agency.")
@with_appcontext
def serve_command(host: str, port: int | None, no_simulator: bool) -> None:
    """Development server: the web app, the simulated agency and (with no Redis) the
    scheduler, in one process."""
    app = current_app._get_current_object()
    port = port or int(app.config["PLATFORM_DOMAIN"].rpartition(":")[2] or 80)
    if not no_simulator:
        try:
            sim = operations.start_simulator_if_needed(app.config["SIMULATOR_URL"],
                                                       app.config["SIMULATOR_SECRET"])
        except operations.OperationError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"simulated agency: {app.config['SIMULATOR_URL']}"
                   + ("" if sim else " (already running)"))
    stop = threading.Event()
    threading.Thread(target=operations.scheduler_loop, args=(app, stop), daemon=True).start()
    domain = app.config["PLATFORM_DOMAIN"]
    click.echo(f"operator console: http://{domain}/operator   tenants: http://<slug>.{domain}/")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    stop.set()


@main.command("demo")
@click.option("--fresh", is_flag=True, help="Start from an empty database (SQLite only).")
@click.option("--timeout", default=90.0, type=float, help="Seconds to wait for final answers.")
def demo_command(fresh: bool, timeout: float) -> None:
    """Run the whole main job end to end on real reference data and print where to look."""
    runner.main(fresh=fresh, timeout=timeout)


