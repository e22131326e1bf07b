"""Sign-in and tokens: sessions end when people sign out, guessing is slowed down,
disabled clients lose their tokens, and bad bytes never reach the database."""

import json
import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select

from singlewindow.platform.auth.models import OAuthClient
from singlewindow.platform.config import from_environment
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.declarations.models import Declaration
from singlewindow.platform.extensions import db

from helpers import PASSWORD, api_token, client_for, csrf, declaration_payload, login


def test_signing_out_ends_the_session_everywhere(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    login(client, ke.trader_email)
    cookie = client.get_cookie("session", domain=client.host.split(":")[0])
    thief = client_for(platform.app, ke, platform)
    thief.set_cookie("session", cookie.value, domain=thief.host.split(":")[0])
    assert thief.get("/declarations").status_code == 200  # a copied cookie works ...
    client.post("/logout", data={"csrf_token": csrf(client, "/declarations")})
    assert thief.get("/declarations").status_code == 302  # ... until its owner signs out


def test_repeated_wrong_passwords_lock_the_address_for_a_while(platform, fresh_window, ctx):
    client = client_for(platform.app, fresh_window, platform)
    for _ in range(5):
        assert login(client, fresh_window.trader_email, "wrong").status_code == 401
    locked = login(client, fresh_window.trader_email, PASSWORD)  # even the right one now
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    other = login(client_for(platform.app, fresh_window, platform), fresh_window.admin_email)
    assert other.status_code == 302  # other addresses are not affected


def test_a_disabled_client_loses_its_tokens(platform, fresh_window, ctx):
    client = client_for(platform.app, fresh_window, platform)
    token = api_token(client, fresh_window)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/declarations", headers=auth).status_code == 200
    with tenant_context(fresh_window.tenant_id):
        db.session.execute(select(OAuthClient)).scalars().first().active = False
        db.session.commit()
    assert client.get("/api/v1/declarations", headers=auth).status_code == 401


@pytest.mark.parametrize("text", ["Nul\x00byte", "lone \ud800 surrogate", "bell\x07"])
def test_unstorable_characters_are_refused_not_crashed_on(platform, ke, ctx, text):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    payload = declaration_payload(ke, consignee_name=text)
    response = client.post("/api/v1/declarations", data=json.dumps(payload),
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json"})
    assert response.status_code == 422, response.get_data(as_text=True)
    [error] = response.get_json()["error"]["details"]
    assert error["element"] == "consignee_name" and error["code"] == "invalid_character"


def test_nul_in_a_form_or_url_is_a_400(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    assert client.get("/declarations?status=%00").status_code == 400
    assert client.post("/login", data={"email": "a\x00@b.c", "password": "x"}).status_code == 400


def test_bodies_that_are_not_json_or_not_utf8(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    deep = client.post("/api/v1/declarations", data="[" * 5000, headers=headers)
    assert deep.status_code == 400 and deep.get_json()["error"]["code"] == "invalid_json"
    latin = client.post("/api/v1/declarations", data='{"a": "caf\xe9"}'.encode("latin-1"),
                        headers=headers)
    assert latin.status_code == 400 and latin.get_json()["error"]["code"] == "invalid_encoding"
    key = client.post("/api/v1/declarations", data="{}",
                      headers={**headers, "Idempotency-Key": "spaces are not allowed"})
    assert key.status_code == 400


def test_numbers_in_plain_notation_only(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    payload = declaration_payload(ke, invoice_currency="USD", transport_mode="9")
    raw = json.dumps(payload).replace('"18000"', "1e3", 1).replace('"52200.00"', '"1.234"')
    body = client.post("/api/v1/declarations", data=raw, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"}).get_json()
    found = {(d["element"], d["code"]): d["message"] for d in body["error"]["details"]}
    assert ("quantity", "invalid_format") in found and "exponent" in found[("quantity",
                                                                            "invalid_format")]
    # The currency check is reported even though another field failed too.
    assert ("item_value", "too_many_decimals") in found
    assert ("transport_mode", "not_allowed") in found


def test_concurrent_requests_with_one_key_make_one_declaration(platform, ke, ctx):
    """Sixteen clients retrying the same submission at once, over real HTTP."""
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    payload = declaration_payload(ke)
    key = str(uuid.uuid4())
    url = f"http://127.0.0.1:{platform.port}/api/v1/declarations"
    headers = {"Host": f"ke.{platform.domain}", "Authorization": f"Bearer {token}",
               "Content-Type": "application/json", "Idempotency-Key": key}
    results = []

    def send():
        r = requests.post(url, data=json.dumps(payload), headers=headers, timeout=60)
        results.append((r.status_code, r.json().get("id")))

    threads = [threading.Thread(target=send) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {code for code, _ in results} == {201}, results
    assert len({i for _, i in results}) == 1
    with tenant_context(ke.tenant_id):
        assert db.session.execute(select(func.count()).select_from(Declaration).where(
            Declaration.shipment_ref == payload["shipment_ref"])).scalar_one() == 1


def test_production_domain_needs_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PLATFORM_DOMAIN", "singlewindow.example.com")
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        from_environment(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    assert from_environment(str(tmp_path))["OAUTH2_ALLOW_HTTP"] is False
