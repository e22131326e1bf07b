"""The demo: the whole main job, end to end, on the embedded default.

The operator provisions two tenants from their country templates, every shipment of the
sample file becomes a declaration through the same import path the CLI uses, each goes to
its agencies over real HTTP (the simulated agency service, on loopback), the agencies'
answers come back to the window's agency API over HTTP, and the run ends with a summary
and where to look. Running it again reuses the same database without duplicates.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.serving import make_server

from singlewindow.billing import service as billing
from singlewindow.billing.models import UsageKind
from singlewindow.platform import operations
from singlewindow.platform.app import create_app
from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth.models import Company, OAuthClient, Role
from singlewindow.platform.catalogue import governance
from singlewindow.platform.catalogue import service as catalogue
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.declarations import importer
from singlewindow.platform.declarations import status as st
from singlewindow.platform.declarations.models import AgencySubmission, Declaration
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.provisioning import service as provisioning
from singlewindow.tenants.models import Agency, Tenant

DATA_DIR = Path(__file__).parent / "data"
SHIPMENTS = DATA_DIR / "shipments.csv"
BAD_SHIPMENTS = DATA_DIR / "shipments_bad.csv"
TENANTS = ("ke", "shanghai")
DEMO_PASSWORD = "demo-password"
OPERATOR_EMAIL = "operator@platform.example"
DEMO_CLIENT_NAME = "Demo API client"


def say(text: str = "") -> None:
    print(text, flush=True)


def heading(text: str) -> None:
    say()
    say(text)
    say("=" * len(text))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


@dataclass
class Logins:
    tenant: str
    admin: str
    traders: list[tuple[str, str]]  # (email, company)
    client_id: str
    client_secret: str
    client_company: str
    operator_totp: str = ""


class CallbackServer:
    """The window itself, served on an ephemeral loopback port for the agencies' answers."""

    def __init__(self, app: Flask):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.port

    def __enter__(self) -> CallbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()


def main(fresh: bool = False, timeout: float = 90.0) -> None:
    app = create_app()
    for noisy in ("werkzeug", "alembic"):  # the summary says what happened
        logging.getLogger(noisy).setLevel(logging.WARNING)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if fresh:
        if not uri.startswith("sqlite:///"):
            sys.exit("--fresh only resets the embedded SQLite database; it will not wipe " + uri)
        path = Path(uri.removeprefix("sqlite:///"))
        for extra in ("", "-wal", "-shm"):
            Path(str(path) + extra).unlink(missing_ok=True)
    public_domain = app.config["PLATFORM_DOMAIN"]
    with app.app_context():
        run(app, public_domain, timeout)


def run(app: Flask, public_domain: str, timeout: float) -> None:
    mode = "inline jobs" if not app.config.get("REDIS_URL") else "rq workers on REDIS_URL"
    database = app.config["SQLALCHEMY_DATABASE_URI"].split("://", 1)[0]
    heading("Single Window Platform: demo")
    say(f"database: {database} ({_where(app)}); jobs: {mode}")

    heading("1. Platform set-up")
    loaded = operations.prepare_database()
    if loaded:
        for name, rows in loaded.items():
            say(f"  reference data {name:<14} {rows:>7,} rows loaded")
    else:
        say("  reference data already loaded (HS 2022, UN/LOCODE, ISO 3166-1, ISO 4217, "
            "UNECE Rec 20/21)")
    simulator = operations.start_simulator_if_needed(app.config["SIMULATOR_URL"],
                                                     app.config["SIMULATOR_SECRET"])
    say(f"  simulated agency service: {app.config['SIMULATOR_URL']}"
        + ("" if simulator else " (already running, reused)"))

    with CallbackServer(app) as window:
        # The agencies answer to the window on this process's own port while the demo runs.
        app.config["PLATFORM_DOMAIN"] = f"localhost:{window.port}"
        say(f"  window serving agency answers on http://*.localhost:{window.port}")
        try:
            logins = _provision_and_register()
            _catalogue_change("ke")
            _declare(timeout)
            _bad_file(timeout)
            _summary()
        finally:
            app.config["PLATFORM_DOMAIN"] = public_domain
            if simulator is not None:
                simulator.stop()
    _where_to_look(public_domain, logins)


def _where(app: Flask) -> str:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    return uri.removeprefix("sqlite:///") if uri.startswith("sqlite") else uri.split("@")[-1]


def _provision_and_register() -> list[Logins]:
    heading("2. The operator provisions two windows from country templates")
    operator = accounts.ensure_operator(OPERATOR_EMAIL, "Olu Operator", DEMO_PASSWORD)
    operator_totp = operator.totp_secret
    db.session.commit()
    for template in TENANTS:
        admin = provisioning.AdminAccount(f"admin@{template}.example",
                                          f"{template.upper()} administrator", DEMO_PASSWORD)
        tenant = provisioning.start(template, admin=admin)
        db.session.commit()
        tenant_id = tenant.id
        outbox.relay()
        tenant = db.session.get(Tenant, tenant_id)
        say(f"  {tenant.slug}: {tenant.name} [{tenant.status}]")
        for step in provisioning.steps_of(tenant_id):
            say(f"      {step.status:<6} {step.name.replace('_', ' ')}: {step.detail}")
        if tenant.status != "active":
            sys.exit(f"provisioning {template} did not finish; see the steps above")

    heading("3. Traders register (from the sample shipments' exporters)")
    shipments = importer.read_csv(SHIPMENTS.read_text(encoding="utf-8"))
    logins: list[Logins] = []
    for slug in TENANTS:
        tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()
        with tenant_context(tenant.id):
            traders: list[tuple[str, str]] = []
            seen: list[str] = []  # in file order, so the demo's API client is always the same
            for s in shipments:
                row = s.rows[0]
                if s.tenant != slug or row["exporter_tax_id"] in seen:
                    continue
                seen.append(row["exporter_tax_id"])
                company = accounts.ensure_company(row["exporter_name"], row["exporter_tax_id"],
                                                  tenant.country)
                email = f"{_slug(company.name)}@{slug}.example"
                accounts.ensure_user(email, f"{company.name} declarant", Role.TRADER_ADMIN,
                                     DEMO_PASSWORD, company=company)
                traders.append((email, company.name))
            first = db.session.execute(
                select(Company).where(Company.tax_id == seen[0])).scalar_one()
            client_id, secret = _demo_client(slug, first)
            db.session.commit()
            accounts.ensure_user(f"committee@{slug}.example", "Data committee member",
                                 Role.DATA_COMMITTEE, DEMO_PASSWORD)
            db.session.commit()
            say(f"  {slug}: {len(traders)} trader companies, each with a trader login")
            logins.append(Logins(slug, f"admin@{slug}.example", traders, client_id, secret,
                                 first.name, operator_totp))
    return logins


# A national tariff line under black tea (HS 0902.40): Kenya levies CTC tea in bulk apart.
TARIFF_LINE = ("09024010", "Black tea, CTC, in bulk")


def _catalogue_change(slug: str) -> None:
    """The catalogue changes only by approved proposal: the administrator proposes a
    national tariff line, the platform shows what it touches, the committee approves."""
    heading("4. The catalogue changes by approved proposal only")
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()
    with tenant_context(tenant.id):
        code, label = TARIFF_LINE
        current = catalogue.current_version()
        if code in current.tariff_lines:
            say(f"  {slug}: tariff line {code} is in force since version {current.version} "
                "(approved on an earlier run)")
            return
        proposal = governance.propose("add_code", {"list": governance.TARIFF, "code": code,
                                                   "label": label},
                                      "CTC tea in bulk carries its own export levy",
                                      f"user:admin@{slug}.example")
        db.session.commit()
        impact = proposal.impact
        say(f"  {slug}: admin@{slug}.example proposes: {proposal.summary}")
        say(f"      touches {', '.join(impact['elements'])}: "
            f"{len(impact['message_sets'])} agency message sets, "
            f"{len(impact['routing_rules'])} routing rules, "
            f"{impact['declarations_30_days']} declarations in the last 30 days")
        version = governance.approve(proposal, f"user:committee@{slug}.example",
                                     "agreed by the data committee")
        db.session.commit()
        say(f"      committee@{slug}.example approves: version {version.version} published, "
            f"in force from {version.effective_from:%Y-%m-%d %H:%M} UTC")


def _demo_client(slug: str, company: Company) -> tuple[str, str]:
    """The demo's API client for a window. Secrets are stored only hashed, so the demo
    keeps its own copy in the instance folder (a developer machine's), to print the same
    credentials on every run."""
    path = Path(current_app.instance_path) / "demo-api-clients.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    known = saved.get(slug)
    if known:
        client = db.session.execute(select(OAuthClient).where(
            OAuthClient.client_id == known["client_id"])).scalar_one_or_none()
        if client is not None and client.check_client_secret(known["client_secret"]):
            return known["client_id"], known["client_secret"]
    issued = accounts.create_client(DEMO_CLIENT_NAME, company=company)
    saved[slug] = {"client_id": issued.client.client_id, "client_secret": issued.secret}
    path.write_text(json.dumps(saved, indent=2))
    path.chmod(0o600)
    return issued.client.client_id, issued.secret


def _declare(timeout: float) -> None:
    heading("5. Traders declare: every sample shipment, validated, routed, sent in parallel")
    shipments = importer.read_csv(SHIPMENTS.read_text(encoding="utf-8"))
    say(f"  {SHIPMENTS.name}: {sum(len(s.rows) for s in shipments)} goods-item rows, "
        f"{len(shipments)} shipments")
    reports = operations.import_file(shipments, None, register_companies=False, actor="demo import")
    for slug, report in reports.items():
        say(f"  {slug}: {report.count('accepted')} declared now, {report.count('unchanged')} "
            f"already declared earlier, {report.count('refused')} refused")
        for o in report.outcomes:
            for e in o.errors:
                say(f"    REFUSED {o.shipment}: {e['element']}: {e['message']}")

    _wait([o.declaration_id for r in reports.values() for o in r.outcomes
           if o.result == "accepted"], timeout)


def _wait(declaration_ids: list[int], timeout: float) -> None:
    """Wait for the declarations made in this run (an earlier, interrupted run's open ones
    are only reported)."""
    if not declaration_ids:
        return
    say(f"  waiting for the agencies' answers on {len(declaration_ids)} declaration(s) ...")

    def all_final() -> bool:
        outbox.relay()  # retries that fell due
        with platform_wide():
            open_count = db.session.execute(
                select(func.count()).select_from(Declaration)
                .where(Declaration.id.in_(declaration_ids), Declaration.status.not_in(st.FINAL))
            ).scalar_one()
        db.session.rollback()
        return open_count == 0

    if not operations.wait_for(all_final, timeout, every=0.25):
        say(f"  some declarations are still open after {timeout:g} s (see the summary)")
    else:
        say("  every one has its final answer")


def _summary() -> None:
    heading("7. Summary")
    for slug in TENANTS:
        tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()
        with tenant_context(tenant.id):
            declarations = db.session.execute(
                select(Declaration).options(
                    selectinload(Declaration.submissions).selectinload(AgencySubmission.agency))
                .order_by(Declaration.shipment_ref)
            ).scalars().all()
            say()
            say(f"{tenant.name} ({slug}): {len(declarations)} declarations")
            for d in declarations:
                took = (d.final_at - d.created_at).total_seconds() if d.final_at else None
                when = f"{took:.1f} s" if took is not None else "(open)"
                items = ", ".join(i["hs_code"] for i in d.items)
                say(f"  {d.shipment_ref:<13} {st.label(d.status).upper():<9} in {when:<8} "
                    f"{d.exporter_name} -> {d.destination_country}  [HS {items}]")
                for s in d.submissions:
                    why = "; ".join(f"{r['rule_name']} ({r['detail']})" for r in s.reasons)
                    flag = "" if s.required else " (for information)"
                    answer = f"{st.label(s.status)}" + (f": {s.answer_reason}" if s.answer_reason else "")
                    say(f"      {s.agency.code:<12} {answer}{flag}")
                    say(f"      {'':<12} why: {why}")
            by_status: dict[str, int] = {}
            for d in declarations:
                by_status[d.status] = by_status.get(d.status, 0) + 1
            say("  outcome: " + ", ".join(f"{n} {st.label(s).lower()}" for s, n in sorted(by_status.items())))
            used = billing.usage_by_kind()
            preview = billing.preview_invoice(tenant.plan_code)
            say("  usage ledger: " + ", ".join(
                f"{UsageKind.LABELS[k].lower()}: {used.get(k, 0)}" for k in UsageKind.LABELS))
            say(f"  invoice preview this month ({preview.plan_name} plan): "
                f"{preview.format(preview.total)} (base fee {preview.format(preview.base_fee)} "
                "plus usage beyond the included volume)")
            agencies = db.session.execute(select(func.count(Agency.id))).scalar_one()
            say(f"  {agencies} agencies configured")


def _bad_file(timeout: float) -> None:
    heading("6. A file with mistakes: every bad shipment refused, with the reason")
    shipments = importer.read_csv(BAD_SHIPMENTS.read_text(encoding="utf-8"))
    reports = operations.import_file(shipments, None, register_companies=True,
                                     actor="demo import")
    for slug, report in reports.items():
        for o in report.outcomes:
            if o.result == "refused":
                for e in o.errors:
                    where = f"item {e['item']}" if e.get("item") else "header"
                    say(f"  {slug:<9} {o.shipment} refused: {where}, {e['element']}: {e['message']}")
            else:
                say(f"  {slug:<9} {o.shipment} {o.result}: declaration {o.declaration_id} "
                    "(a control row with no mistake)")
    _wait([o.declaration_id for r in reports.values() for o in r.outcomes
           if o.result == "accepted"], timeout)


def _where_to_look(domain: str, logins: list[Logins]) -> None:
    heading("8. Where to look")
    say("Start the web app (it also starts the simulated agency):")
    say("    make serve            # or: .venv/bin/singlewindow serve")
    say()
    say(f"Operator console   http://{domain}/operator")
    say(f"    {OPERATOR_EMAIL} / {DEMO_PASSWORD}, then a TOTP code: enrol the key "
        f"{logins[0].operator_totp} in an authenticator app,")
    say(f"    or print the current code with: .venv/bin/singlewindow totp-code {OPERATOR_EMAIL}")
    for login in logins:
        say(f"{login.tenant:<18} http://{login.tenant}.{domain}/")
        say(f"    tenant admin   {login.admin} / {DEMO_PASSWORD}")
        say(f"    data committee committee@{login.tenant}.example / {DEMO_PASSWORD}   "
            "(catalogue proposals: /admin/catalogue)")
        for email, company in login.traders[:3]:
            say(f"    trader         {email} / {DEMO_PASSWORD}   ({company})")
        if len(login.traders) > 3:
            say(f"    ... and {len(login.traders) - 3} more traders (see /admin/users)")
        say(f"    API client     {login.client_id} / {login.client_secret}   ({login.client_company})")
    say()
    first = logins[0]
    host = f"{first.tenant}.{domain}"
    say("Try the API (curl sends *.localhost to 127.0.0.1 with --resolve):")
    port = domain.rpartition(":")[2] or "80"
    say(f"    curl -s --resolve {first.tenant}.localhost:{port}:127.0.0.1 -u "
        f"{first.client_id}:{first.client_secret} -d grant_type=client_credentials "
        f"http://{host}/oauth/token")
    say(f"    curl -s --resolve {first.tenant}.localhost:{port}:127.0.0.1 -H 'Authorization: "
        f"Bearer <access_token>' http://{host}/api/v1/declarations")
    say()
    say("Import a file yourself:  .venv/bin/singlewindow import-shipments "
        "platform/demo/data/shipments_bad.csv")
