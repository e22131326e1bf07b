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

from helpers import PASSWORD, api_token, client_for, csrf, declaration_payload, login


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


# Routes anyone may open (sign-in, the start page, the token endpoint, invitation links,
# the agencies' signed callbacks, static files). Every other route must turn away a
# visitor who has not signed in: a new route is checked the day it is added.
PUBLIC = {"static", "theme_static", "auth.login", "auth.login_code", "auth.logout",
          "auth.accept_invitation", "portal.home", "oauth.issue_token", "api_agency.post_answer",
          "api_catalogue.versions", "api_catalogue.version", "api_catalogue.schema"}
OK_REFUSALS = (302, 400, 401, 403, 404, 405, 415, 422)


def _path(rule, other):
    values = {}
    for arg in rule.arguments:
        values[arg] = {"slug": other["slug"], "theme": "default", "filename": "x.css",
                       "name": f"{other['slug']}--x.zip", "token": "not-a-token",
                       "code": other["agency"],
                       # per-tenant sequence numbers (profile versions): one no tenant has
                       "number": "999999"}.get(arg, str(other["id"]))
    return rule.build(values, append_unknown=False)[1]


def _client(platform, host_window, signed_in_as=None, session_from=None):
    """A browser on `host_window`'s host (None: the platform's), signed in as a user of
    `session_from` (their cookie, carried over) when given."""
    client = client_for(platform.app, host_window, platform)
    if signed_in_as:
        home = client_for(platform.app, session_from, platform)
        login(home, signed_in_as)
        cookie = home.get_cookie("session", domain=home.host.split(":")[0])
        client.set_cookie("session", cookie.value, domain=client.host.split(":")[0])
    return client


def test_every_route_turns_away_other_tenants_and_lower_roles(platform, ke, shanghai,
                                                              shanghai_declaration, ctx, capsys):
    """Every route of the URL map, as every kind of Kenyan visitor (anonymous, each role,
    an API token), on Kenya's host, on Shanghai's host (cookie carried over) and on the
    platform's host, with Shanghai's ids in every parameter. Nothing of Shanghai may show,
    and a role a route does not admit gets 403."""
    other_id, marker = shanghai_declaration
    with tenant_context(shanghai.tenant_id):
        sh = db.session.execute(select(Declaration).where(Declaration.id == other_id)).scalar_one()
        secrets = {marker, sh.document["consignee_name"], shanghai.company_name,
                   shanghai.admin_email}
    committee = f"committee-{uuid.uuid4().hex[:6]}@ke.example"
    with tenant_context(ke.tenant_id):
        accounts.ensure_user(committee, "Committee", Role.DATA_COMMITTEE, PASSWORD)
        db.session.commit()
    roles = {None: None, ke.trader_email: Role.TRADER_ADMIN, ke.admin_email: Role.TENANT_ADMIN,
             ke.officer_email: Role.AGENCY_OFFICER, committee: Role.DATA_COMMITTEE}
    token = api_token(client_for(platform.app, ke, platform), ke)
    other = {"id": other_id, "slug": shanghai.slug, "agency": "sipg"}  # Shanghai's port
    probes = refused_roles = 0
    for rule in platform.app.url_map.iter_rules():
        view = platform.app.view_functions[rule.endpoint]
        admitted = getattr(view, "required_roles", None)
        path = _path(rule, other)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for host_window, label in ((ke, "ke host"), (shanghai, "shanghai host"),
                                       (None, "platform host")):
                for email, role in roles.items():
                    client = _client(platform, host_window, email, ke)
                    data = None
                    if method == "POST":
                        data = {"csrf_token": csrf(client)}  # a real token: test the guard, not CSRF
                    headers = {"Authorization": f"Bearer {token}"} if email is None else {}
                    response = client.open(path, method=method, data=data, headers=headers)
                    probes += 1
                    body = response.get_data(as_text=True)
                    leaked = [s for s in secrets if s in body]
                    where = f"{method} {path} on {label} as {email or 'anonymous'}"
                    assert not leaked, f"{where} showed {leaked}"
                    if rule.arguments and rule.endpoint not in ("static", "theme_static"):
                        assert response.status_code in OK_REFUSALS, f"{where}: {response.status_code}"
                    if email is None and rule.endpoint not in PUBLIC and method == "GET" \
                            and rule.endpoint.split(".")[0] != "api_declarations":
                        assert response.status_code != 200, f"{where} is open to anyone"
                    if admitted and role is not None and role not in admitted and \
                            host_window is ke and method == "GET":
                        assert response.status_code == 403, f"{where}: {response.status_code}"
                        refused_roles += 1
    with capsys.disabled():
        print(f"\nisolation walk: {probes} probes over "
              f"{len(list(platform.app.url_map.iter_rules()))} routes "
              f"({refused_roles} refused for a lower role); nothing of another tenant shown")
    assert probes > 500 and refused_roles > 10
