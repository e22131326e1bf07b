"""The REST API for trader systems: OAuth2 client credentials, idempotent submission,
status, lists, and errors in one shape."""

import json
import uuid

from sqlalchemy import func, select

from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.declarations.models import Declaration
from singlewindow.platform.extensions import db

from helpers import api_token, client_for, declaration_payload, wait_until


def post(client, token, payload, key=None, raw=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/declarations", data=raw or json.dumps(payload), headers=headers)


def count_declarations(window, shipment_ref):
    with tenant_context(window.tenant_id):
        return db.session.execute(
            select(func.count()).select_from(Declaration)
            .where(Declaration.shipment_ref == shipment_ref)).scalar_one()


def test_token_needs_the_right_secret(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    bad = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(ke.client_id, "wrong"))
    assert bad.status_code == 401
    assert bad.get_json()["error"] == "invalid_client"
    assert api_token(client, ke)


def test_no_token_no_access(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    response = client.get("/api/v1/declarations")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "missing_authorization"
    response = client.get("/api/v1/declarations", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_submit_with_idempotency_key_twice_gives_one_declaration(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    payload = declaration_payload(ke)
    key = str(uuid.uuid4())
    first = post(client, token, payload, key)
    assert first.status_code == 201, first.get_data(as_text=True)
    second = post(client, token, payload, key)
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["id"] == second.get_json()["id"]
    assert count_declarations(ke, payload["shipment_ref"]) == 1
    # The same key with another body is a client bug, said plainly.
    other = post(client, token, declaration_payload(ke), key)
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"


def test_status_read_back_reaches_released(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    created = post(client, token, declaration_payload(ke), str(uuid.uuid4())).get_json()
    assert created["status"] in ("submitted", "received", "accepted", "inspect", "released")
    assert {a["agency"] for a in created["agencies"]} == {"kra-customs", "kephis", "afa",
                                                          "kpa", "knbs"}

    def released():
        body = client.get(f"/api/v1/declarations/{created['id']}",
                          headers={"Authorization": f"Bearer {token}"}).get_json()
        return body if body["status"] == "released" else None

    body = wait_until(released, 30)
    assert body, "the declaration was not released"
    assert all(a["status"] == "released" for a in body["agencies"] if a["required"])
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[0] == "submitted" and "answer" in kinds and kinds[-1] in ("status", "answer")
    why = {a["agency"]: a["why"] for a in body["agencies"]}
    assert why["kephis"][0]["rule"] == "plant-products"


def test_same_shipment_ref_without_key_is_a_conflict(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    payload = declaration_payload(ke)
    assert post(client, token, payload).status_code == 201
    again = post(client, token, payload)
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "duplicate_shipment_ref" and error["details"]["declaration"]


def test_validation_errors_are_structured_and_nothing_is_stored(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    payload = declaration_payload(ke, port_of_discharge="GBFXX")
    payload["items"][0]["hs_code"] = "8471"
    payload["items"][0]["gross_mass_kg"] = "100"
    response = post(client, token, payload, str(uuid.uuid4()))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    found = {(d["element"], d["item"], d["code"]) for d in error["details"]}
    assert ("port_of_discharge", None, "not_in_code_list") in found
    assert ("hs_code", 1, "hs_too_short") in found
    assert count_declarations(ke, payload["shipment_ref"]) == 0


def test_amounts_are_exact_even_from_json_numbers(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    payload = declaration_payload(ke)
    raw = json.dumps(payload).replace('"52200.00"', "52200.10")  # a JSON number, not a string
    body = post(client, token, payload, raw=raw).get_json()
    assert body["document"]["items"][0]["item_value"] == "52200.10"


def test_bad_json_and_unknown_fields(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    broken = post(client, token, None, raw="{not json")
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "invalid_json"
    payload = declaration_payload(ke, colour="blue")
    unknown = post(client, token, payload)
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"][0]["element"] == "colour"


def test_list_paginates_and_filters(platform, fresh_window, ctx):
    client = client_for(platform.app, fresh_window, platform)
    token = api_token(client, fresh_window)
    for _ in range(3):
        assert post(client, token, declaration_payload(fresh_window)).status_code == 201
    auth = {"Authorization": f"Bearer {token}"}
    page = client.get("/api/v1/declarations?per_page=2", headers=auth).get_json()
    assert page["total"] == 3 and len(page["data"]) == 2 and page["has_more"]
    rest = client.get("/api/v1/declarations?per_page=2&page=2", headers=auth).get_json()
    assert len(rest["data"]) == 1 and not rest["has_more"]
    bad = client.get("/api/v1/declarations?status=lost", headers=auth)
    assert bad.status_code == 400
