"""Does a request cost more when the platform holds more tenants? The same page (a
trader's declarations list, and an API read of one declaration), for a tenant with the
same data, measured with 1 tenant on the platform and again with 1,000; printed as the
ratio of median latencies (goal: at most 1.1).

The other 999 tenants are written in bulk with the same data volume each (a company, a
trader, a catalogue profile and 20 declarations), as provisioning them one by one would
take long and measure nothing more.

    .venv/bin/python infra/bench/tenant_scale.py
    BENCH_DATABASE_URL=... BENCH_REDIS_URL=... .venv/bin/python infra/bench/tenant_scale.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _setup import modes, platform, summary
from sqlalchemy import insert, select

from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth.models import Company, Role, User
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.declarations import service
from singlewindow.platform.declarations.models import Declaration
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.provisioning import service as provisioning
from singlewindow.tenants.models import Tenant

OTHERS = 999
PER_TENANT = 20
SAMPLES = 300
PASSWORD = "benchmark password"


def payload(n: int, tax_id: str) -> dict:
    return {"shipment_ref": f"BENCH-{n:04d}", "exporter_name": "Bench Exporters Ltd",
            "exporter_tax_id": tax_id, "consignee_name": "Harbourside Tea Blenders Plc",
            "consignee_country": "GB", "destination_country": "GB", "port_of_loading": "KEMBA",
            "port_of_discharge": "GBFXT", "transport_mode": "1", "vessel_or_flight": "MSC 612W",
            "incoterm": "FOB", "invoice_currency": "USD", "items": [
                {"item_no": 1, "hs_code": "090240", "goods_description": "Black tea",
                 "origin_country": "KE", "quantity": "18000", "unit": "KGM",
                 "net_mass_kg": "18000", "gross_mass_kg": "18540", "packages": 300,
                 "package_type": "BG", "item_value": "52200.00"}]}


def first_tenant(app) -> tuple[int, int]:
    tenant = provisioning.start("ke", slug="measured")
    db.session.commit()
    tenant_id = tenant.id
    while db.session.get(Tenant, tenant_id).status != "active":
        outbox.relay()
        db.session.rollback()
        time.sleep(0.05)
    with tenant_context(tenant_id):
        company = accounts.ensure_company("Bench Exporters Ltd", "BENCH-1", "KE")
        accounts.ensure_user("trader@measured.example", "Trader", Role.TRADER_ADMIN, PASSWORD,
                             company=company)
        for n in range(PER_TENANT):
            service.submit(company, payload(n, "BENCH-1"), source="api", actor="bench")
            db.session.commit()
        declaration_id = db.session.execute(select(Declaration.id)).scalars().first()
    outbox.relay()
    return tenant_id, declaration_id


def add_tenants(count: int, template_tenant: int) -> None:
    """Copy the measured tenant's shape into `count` more tenants, in bulk."""
    with platform_wide():
        source = db.session.get(Tenant, template_tenant)
        profile = db.session.execute(select(ProfileVersion).where(
            ProfileVersion.tenant_id == template_tenant)).scalar_one()
        documents = [d.document for d in db.session.execute(select(Declaration).where(
            Declaration.tenant_id == template_tenant)).scalars()]
        now = utcnow()
        for n in range(count):
            tenant_id = db.session.execute(insert(Tenant).values(
                slug=f"other-{n}", name=f"Other window {n}", country="KE", region="",
                template="ke", status="active", theme=source.theme, branding=source.branding,
                languages=["en"], timezone="UTC", plan_code="standard", created_at=now,
                suspension_reason="").returning(Tenant.id)).scalar_one()
            company_id = db.session.execute(insert(Company).values(
                tenant_id=tenant_id, name="Other Ltd", tax_id="OTHER-1", country="KE",
                created_at=now).returning(Company.id)).scalar_one()
            db.session.execute(insert(User).values(
                tenant_id=tenant_id, email="trader@other.example", name="Trader",
                role=Role.TRADER_ADMIN, company_id=company_id, active=True, created_at=now,
                password_hash=""))
            version_id = db.session.execute(insert(ProfileVersion).values(
                tenant_id=tenant_id, version=1, status="published",
                master_version=profile.master_version, elements=profile.elements, notes="",
                created_at=now, published_at=now, effective_from=now
            ).returning(ProfileVersion.id)).scalar_one()
            db.session.execute(insert(Declaration), [{
                "tenant_id": tenant_id, "company_id": company_id,
                "profile_version_id": version_id, "shipment_ref": doc["shipment_ref"],
                "status": "released", "document": doc, "source": "api", "submitted_by": "bench",
                "exporter_name": doc["exporter_name"], "destination_country": "GB",
                "transport_mode": "1", "invoice_currency": "USD", "total_value": "52200.00",
                "item_count": 1, "created_at": now} for doc in documents])
            if n % 100 == 99:
                db.session.commit()
        db.session.commit()


def measure(app, domain: str, declaration_id: int, token: str) -> dict[str, list[float]]:
    browser = app.test_client()
    host = f"measured.{domain}"
    page = browser.get("/login", base_url=f"http://{host}").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    browser.post("/login", base_url=f"http://{host}", data={
        "email": "trader@measured.example", "password": PASSWORD, "csrf_token": csrf})
    api = app.test_client()
    samples: dict[str, list[float]] = {"portal list": [], "api read": []}
    for i in range(SAMPLES + 100):
        t0 = time.perf_counter()
        assert browser.get("/declarations", base_url=f"http://{host}").status_code == 200
        t1 = time.perf_counter()
        assert api.get(f"/api/v1/declarations/{declaration_id}", base_url=f"http://{host}",
                       headers={"Authorization": f"Bearer {token}"}).status_code == 200
        t2 = time.perf_counter()
        if i >= 100:  # warm-up discarded
            samples["portal list"].append(t1 - t0)
            samples["api read"].append(t2 - t1)
    return samples


def main() -> None:
    print(f"Request cost with 1 tenant vs {OTHERS + 1} tenants ({PER_TENANT} declarations each, "
          f"{SAMPLES} requests per figure)")
    for mode in modes():
        with platform(mode, workers=1) as bench, bench.app.app_context():
            app = bench.app
            tenant_id, declaration_id = first_tenant(app)
            with tenant_context(tenant_id):
                company = db.session.execute(select(Company)).scalars().first()
                issued = accounts.create_client("bench", company=company)
                client_id, secret = issued.client.client_id, issued.secret
                db.session.commit()
            domain = app.config["PLATFORM_DOMAIN"]
            token = json.loads(app.test_client().post(
                "/oauth/token", base_url=f"http://measured.{domain}",
                data={"grant_type": "client_credentials"},
                auth=(client_id, secret)).get_data())["access_token"]
            one = measure(app, domain, declaration_id, token)
            add_tenants(OTHERS, tenant_id)
            many = measure(app, domain, declaration_id, token)
            label = "embedded (SQLite)" if mode == "embedded" else "PostgreSQL + Redis"
            print(f"  {label}")
            for name in one:
                ratio = statistics.median(many[name]) / statistics.median(one[name])
                print(f"    {name:<12} 1 tenant:      {summary(one[name])}")
                print(f"    {'':<12} {OTHERS + 1} tenants: {summary(many[name])}")
                print(f"    {'':<12} ratio {ratio:.2f}   (goal: at most 1.1)")


if __name__ == "__main__":
    main()
