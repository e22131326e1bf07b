"""Helpers the tests share: provisioning a window, signing in, tokens, payloads."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth.models import OperatorUser, Role
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.provisioning import service as provisioning
from singlewindow.tenants.models import Agency, Tenant

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "platform" / "demo" / "data"  # the copy of the shared samples the project ships
PASSWORD = "correct horse battery staple"


def wait_until(predicate, timeout: float = 30.0, every: float = 0.05):
    """Poll until `predicate()` is truthy, relaying the outbox meanwhile (inline mode runs
    due retries that way; with Redis the workers and the scheduler do the work)."""
    deadline = time.monotonic() + timeout
    while True:
        outbox.relay()
        value = predicate()
        db.session.rollback()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


@dataclass
class Window:
    """One provisioned tenant with its people and an API client."""

    slug: str
    tenant_id: int
    base_url: str
    admin_email: str
    trader_email: str
    company_id: int
    company_tax_id: str
    company_name: str
    client_id: str
    client_secret: str
    officer_email: str = ""


def provision_window(platform, template: str, slug: str,
                     company: tuple[str, str] | None = None) -> Window:
    """Provision a tenant from a template, with an admin, a trader company and its user,
    an agency officer, and an API client for the company."""
    admin_email = f"admin@{slug}.example"
    tenant = provisioning.start(template, slug=slug, admin=provisioning.AdminAccount(
        admin_email, "Admin", PASSWORD))
    db.session.commit()
    tenant_id = tenant.id
    outbox.relay()
    assert wait_until(lambda: db.session.get(Tenant, tenant_id).status == "active", 60), \
        f"{slug} did not become active"
    name, tax_id = company or (f"{slug.title()} Exporters Ltd", f"TAX-{slug.upper()}-1")
    country = db.session.get(Tenant, tenant_id).country
    with tenant_context(tenant_id):
        firm = accounts.ensure_company(name, tax_id, country)
        trader_email = f"trader@{slug}.example"
        accounts.ensure_user(trader_email, "Trader", Role.TRADER_ADMIN, PASSWORD, company=firm)
        first_agency = db.session.execute(select(Agency).order_by(Agency.id)).scalars().first()
        officer_email = f"officer@{slug}.example"
        accounts.ensure_user(officer_email, "Officer", Role.AGENCY_OFFICER, PASSWORD,
                             agency_id=first_agency.id)
        issued = accounts.create_client("Test client", company=firm)
        db.session.commit()
        window = Window(slug, tenant_id, platform.host(slug), admin_email, trader_email,
                        firm.id, tax_id, name, issued.client.client_id, issued.secret,
                        officer_email)
    return window


class HostClient(FlaskClient):
    """A test client bound to one host name, as a browser on that window would be."""

    host = "localhost"

    def open(self, *args, **kwargs):
        if not kwargs.get("base_url") and not (args and not isinstance(args[0], str)):
            kwargs["base_url"] = f"http://{self.host}"
        return super().open(*args, **kwargs)


def client_for(app: Flask, window: Window | None, platform) -> HostClient:
    client = HostClient(app, app.response_class, use_cookies=True)
    client.host = f"{window.slug}.{platform.domain}" if window else platform.domain
    return client


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match[1]


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    token = csrf(client)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token})


def login_operator(client: FlaskClient, email: str, password: str = PASSWORD):
    """Password, then the TOTP code an authenticator app would show now."""
    first = login(client, email, password)
    if first.status_code != 302 or "/login/code" not in first.headers.get("Location", ""):
        return first
    op = db.session.execute(select(OperatorUser).where(OperatorUser.email == email)).scalar_one()
    op.totp_last_step = 0  # tests sign in many times a minute; each code works only once
    db.session.commit()
    token = csrf(client, "/login/code")
    return client.post("/login/code", data={"code": pyotp.TOTP(op.totp_secret).now(),
                                            "csrf_token": token})


def api_token(client: FlaskClient, window: Window) -> str:
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(window.client_id, window.client_secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def declaration_payload(window: Window, **overrides) -> dict:
    """A valid declaration of the window's company (Kenyan tea by sea)."""
    payload = {
        "shipment_ref": "T-" + uuid.uuid4().hex[:12].upper(),
        "exporter_name": window.company_name,
        "exporter_tax_id": window.company_tax_id,
        "consignee_name": "Harbourside Tea Blenders Plc",
        "consignee_country": "GB",
        "destination_country": "GB",
        "port_of_loading": "KEMBA",
        "port_of_discharge": "GBFXT",
        "transport_mode": "1",
        "vessel_or_flight": "MSC AURORA 612W",
        "incoterm": "FOB",
        "invoice_currency": "USD",
        "items": [{
            "item_no": 1, "hs_code": "090240", "goods_description": "Black tea, bulk",
            "origin_country": "KE", "quantity": "18000", "unit": "KGM",
            "net_mass_kg": "18000", "gross_mass_kg": "18540", "packages": 300,
            "package_type": "BG", "item_value": "52200.00",
        }],
    }
    payload.update(overrides)
    return payload
