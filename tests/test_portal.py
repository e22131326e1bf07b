"""The web pages people use: each window in its own brand, the trader's declarations and
form, the tenant admin's agencies and rules, the operator's console."""

import re

from sqlalchemy import select

from singlewindow.platform.auth import service as accounts
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.declarations.models import Declaration
from singlewindow.platform.extensions import db

from helpers import PASSWORD, client_for, csrf, login, login_operator, wait_until


def form_data(window, token, **overrides):
    data = {
        "csrf_token": token,
        "shipment_ref": overrides.pop("shipment_ref", "FORM-" + token[:8]),
        "exporter_name": window.company_name, "exporter_tax_id": window.company_tax_id,
        "consignee_name": "Bloemenhal Aalsmeer BV", "consignee_country": "NL",
        "destination_country": "NL", "port_of_loading": "KENBO", "port_of_discharge": "NLAMS",
        "transport_mode": "4", "vessel_or_flight": "KQ 1840", "incoterm": "CPT",
        "invoice_currency": "EUR",
        "items-0-item_no": "1", "items-0-hs_code": "060311",
        "items-0-goods_description": "Fresh cut roses", "items-0-origin_country": "KE",
        "items-0-quantity": "96000", "items-0-unit": "NAR", "items-0-net_mass_kg": "4100",
        "items-0-gross_mass_kg": "4650", "items-0-packages": "410",
        "items-0-package_type": "BX", "items-0-item_value": "61440.00",
    }
    data.update(overrides)
    return data


def test_each_window_shows_its_own_brand(platform, ke, shanghai, ctx):
    ke_page = client_for(platform.app, ke, platform).get("/").get_data(as_text=True)
    sh_page = client_for(platform.app, shanghai, platform).get("/").get_data(as_text=True)
    assert "Kenya National Electronic Single Window" in ke_page
    assert "--brand: #0b5d1e" in ke_page
    assert "Shanghai" not in ke_page
    assert "Shanghai International Trade Single Window" in sh_page
    assert "--brand: #a4161a" in sh_page and "harbour.css" in sh_page
    assert "Kenya" not in sh_page


def test_trader_declares_with_the_form_and_watches_it_answered(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    assert login(client, ke.trader_email).status_code == 302
    token = csrf(client, "/declarations/new")
    response = client.post("/declarations/new", data=form_data(ke, token))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    declaration_id = int(location.rsplit("/", 1)[1])

    def released():
        page = client.get(location).get_data(as_text=True)
        return page if "chip-released\">Released</span>" in page.split("<h2>Agencies")[0] else None

    page = wait_until(released, 30)
    assert page, "the declaration page never showed Released"
    assert "KEPHIS (Plant Health Inspectorate)" in page  # roses: plant health
    assert "Kenya Ports Authority" not in page  # by air: no port
    assert "Why this agency" in page and "HS 06" in page
    assert "Phytosanitary certificate issued" in page  # the agency's answer, on the timeline
    listing = client.get("/declarations").get_data(as_text=True)
    assert f"/declarations/{declaration_id}" in listing
    with tenant_context(ke.tenant_id):
        d = db.session.get(Declaration, declaration_id)
        assert d.source == "portal" and d.submitted_by == ke.trader_email


def test_form_errors_are_listed_and_linked_to_their_fields(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    login(client, ke.trader_email)
    token = csrf(client, "/declarations/new")
    response = client.post("/declarations/new", data=form_data(
        ke, token, shipment_ref="FORM-BAD", **{"items-0-hs_code": "0603",
                                               "items-0-net_mass_kg": "4.100,5",
                                               "destination_country": ""}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There are 3 problems" in page
    assert 'href="#item-1-hs_code"' in page and 'id="item-1-hs_code"' in page
    assert 'href="#f-destination_country"' in page
    assert "Country of destination is required" in page
    assert 'value="4.100,5"' in page  # what the trader typed is kept
    with tenant_context(ke.tenant_id):
        assert db.session.execute(
            select(Declaration).where(Declaration.shipment_ref == "FORM-BAD")).first() is None


def test_form_adds_goods_items_without_javascript(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    login(client, ke.trader_email)
    token = csrf(client, "/declarations/new")
    page = client.post("/declarations/new", data={**form_data(ke, token), "add_item": "1"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="items-1-hs_code"' in html and "Goods item 2" in html
    assert 'value="060311"' in html


def test_form_refuses_a_stale_csrf_token(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    login(client, ke.trader_email)
    response = client.post("/declarations/new", data=form_data(ke, "forged"))
    assert response.status_code == 400


def test_tenant_admin_sees_agencies_connectors_and_rules(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    assert login(client, ke.admin_email).status_code == 302
    agencies = client.get("/admin/agencies").get_data(as_text=True)
    for name in ("KRA Customs &amp; Border Control", "KEPHIS", "Firearms Licensing Board",
                 "Kenya Ports Authority"):
        assert name in agencies
    assert "VesselVoyage" in agencies  # the port's own field names
    rules = client.get("/admin/rules").get_data(as_text=True)
    assert "Arms and ammunition need an export licence decision" in rules
    assert "Firearms Act (Cap. 114)" in rules
    usage = client.get("/admin/usage")
    assert usage.status_code == 200 and "Projected total" in usage.get_data(as_text=True)
    # A trader is not an administrator.
    trader = client_for(platform.app, ke, platform)
    login(trader, ke.trader_email)
    assert trader.get("/admin/agencies").status_code == 403


def test_operator_sees_every_tenant_with_status_and_usage(platform, windows, ctx):
    accounts.ensure_operator("ops@platform.example", "Ops", PASSWORD)
    db.session.commit()
    client = client_for(platform.app, None, platform)
    assert client.get("/operator/").status_code == 302  # sign in first
    half = login(client, "ops@platform.example")  # the password alone is not enough
    assert half.status_code == 302 and "/login/code" in half.headers["Location"]
    assert client.get("/operator/").status_code == 302
    wrong = client.post("/login/code", data={"code": "000000",
                                             "csrf_token": csrf(client, "/login/code")})
    assert wrong.status_code == 401
    assert login_operator(client, "ops@platform.example").status_code == 302
    page = client.get("/operator/").get_data(as_text=True)
    for window in windows.values():
        assert f">{window.slug}<" in page
    assert "Kenya National Electronic Single Window" in page and "Shanghai" in page
    assert len(re.findall(r"chip-active", page)) >= 2
    detail = client.get("/operator/tenants/ke").get_data(as_text=True)
    assert "Publish the catalogue profile" in detail and "Test every api connector" in detail
    # Tenant logins do not work on the operator's host.
    assert login(client_for(platform.app, None, platform), windows["ke"].admin_email).status_code == 401
