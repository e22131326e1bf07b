"""Another tenant's data is never shown, changed or confirmed to exist: by id, by host,
by session, by token; and a walk over every route of the app with the other tenant's ids."""

import json
import uuid

import pytest
from sqlalchemy import select

from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth.models import Role
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.declarations.models import Declaration
from singlewindow.platform.extensions import db

from helpers import PASSWORD, api_token, client_for, declaration_payload, login


@pytest.fixture(scope="module")
def shanghai_declaration(platform, windows):
    """A declaration of the Shanghai window with a marker no Kenyan page may show."""
    sh = windows["shanghai"]
    with platform.app.app_context():
        client = client_for(platform.app, sh, platform)
        token = api_token(client, sh)
        marker = "SECRET-" + uuid.uuid4().hex[:8].upper()
        payload = declaration_payload(sh, shipment_ref=marker, port_of_loading="CNSGH",
                                      consignee_name="Confidential Buyer " + marker)
        payload["items"][0].update(hs_code="847130", goods_description="Laptops",
                                   origin_country="CN", unit="NAR", package_type="CT")
        response = client.post("/api/v1/declarations", data=json.dumps(payload),
                               headers={"Authorization": f"Bearer {token}",
                                        "Content-Type": "application/json"})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["id"], marker


def test_trader_gets_404_for_other_tenants_declaration_by_id(platform, ke, shanghai_declaration, ctx):
    other_id, marker = shanghai_declaration
    client = client_for(platform.app, ke, platform)
    login(client, ke.trader_email)
    page = client.get(f"/declarations/{other_id}")
    assert page.status_code == 404
    missing = client.get("/declarations/999999999")
    assert missing.status_code == 404
    assert page.get_data() == missing.get_data()  # the same answer: no existence oracle
    assert marker not in client.get("/declarations").get_data(as_text=True)


def test_session_of_one_window_does_not_open_another(platform, ke, shanghai, shanghai_declaration, ctx):
    other_id, _ = shanghai_declaration
    client = client_for(platform.app, ke, platform)
    assert login(client, ke.trader_email).status_code == 302
    # The same browser, with Kenya's signed session cookie, turns to Shanghai's host.
    cookie = client.get_cookie("session", domain=client.host.split(":")[0])
    assert cookie is not None
    other = client_for(platform.app, shanghai, platform)
    other.set_cookie("session", cookie.value, domain=other.host.split(":")[0])
    response = other.get(f"/declarations/{other_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_is_per_window(platform, ke, shanghai, ctx):
    client = client_for(platform.app, shanghai, platform)
    response = login(client, ke.trader_email)  # right password, wrong window
    assert response.status_code == 401
    assert "not right" in response.get_data(as_text=True)


def test_api_token_of_one_window_is_useless_on_another(platform, ke, shanghai, shanghai_declaration, ctx):
    other_id, _ = shanghai_declaration
    ke_client = client_for(platform.app, ke, platform)
    token = api_token(ke_client, ke)
    auth = {"Authorization": f"Bearer {token}"}
    assert ke_client.get(f"/api/v1/declarations/{other_id}", headers=auth).status_code == 404
    sh_client = client_for(platform.app, shanghai, platform)
    assert sh_client.get(f"/api/v1/declarations/{other_id}", headers=auth).status_code == 401
    # A client id of one window cannot even get a token at another.
    response = sh_client.post("/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(ke.client_id, ke.client_secret))
    assert response.status_code == 401


def test_unknown_host_is_a_plain_404(platform, ctx):
    client = platform.app.test_client()
    for host in (f"nowhere.{platform.domain}", "example.org", f"a.b.{platform.domain}",
                 f"localhost:{platform.port}"):
        response = client.get("/", headers={"Host": host})
        assert response.status_code == 404
        assert "no single window at this address" in response.get_data(as_text=True)


def test_operator_console_only_on_the_platform_host(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    assert client.get("/operator/").status_code == 404


def test_every_route_refuses_other_tenants_ids(platform, ke, shanghai, shanghai_declaration, ctx, capsys):
    """Walk the URL map (so a new route is covered the day it is added): each route, on
    Kenya's host, as each kind of Kenyan user, with Shanghai's ids in every parameter."""
    other_id, marker = shanghai_declaration
    with tenant_context(shanghai.tenant_id):
        sh = db.session.execute(select(Declaration).where(Declaration.id == other_id)).scalar_one()
        secrets = {marker, sh.document["consignee_name"], shanghai.company_name}
    with tenant_context(ke.tenant_id):
        accounts.ensure_user(f"committee-{uuid.uuid4().hex[:6]}@ke.example", "Committee",
                             Role.DATA_COMMITTEE, PASSWORD)
        db.session.commit()
    users = [None, ke.trader_email, ke.admin_email, ke.officer_email]
    probes = 0
    for rule in platform.app.url_map.iter_rules():
        if rule.endpoint in ("static", "theme_static"):
            continue
        values = {arg: str(other_id) for arg in rule.arguments}
        if "slug" in rule.arguments:
            values["slug"] = shanghai.slug
        path = rule.build(values, append_unknown=False)[1] if values else rule.rule
        for user in users:
            client = client_for(platform.app, ke, platform)
            if user:
                login(client, user)
            token = api_token(client, ke)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method,
                                       headers={"Authorization": f"Bearer {token}"},
                                       data={"csrf_token": "x"} if method == "POST" else None)
                probes += 1
                body = response.get_data(as_text=True)
                leaked = [s for s in secrets if s in body]
                assert not leaked, f"{method} {path} as {user} showed {leaked}"
                if rule.arguments:
                    assert response.status_code in (302, 400, 401, 403, 404, 405, 415, 422), \
                        f"{method} {path} as {user}: {response.status_code}"
    with capsys.disabled():
        print(f"\nisolation walk: {probes} probes over "
              f"{len(list(platform.app.url_map.iter_rules()))} routes, nothing leaked")
    assert probes > 50
