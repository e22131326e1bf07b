"""The neutral catalogue: the master elements and lists, profiles in versions that never
change, changes only by approved proposal, agencies' formats in mappings of their own."""

import json
import uuid
from datetime import timedelta

import jsonschema
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from singlewindow.platform.audit import AuditEntry
from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth.models import Company, Role
from singlewindow.platform.catalogue import governance, service
from singlewindow.platform.catalogue.fields import iso6346_check_digit
from singlewindow.platform.catalogue.master import TYPES, code_lists, elements
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.catalogue.validation import DeclarationInvalid, validate
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.declarations import service as declarations
from singlewindow.platform.declarations.models import AgencySubmission, Declaration
from singlewindow.platform.extensions import db
from singlewindow.tenants.connectors import mapping
from singlewindow.tenants.models import Agency

from helpers import api_token, client_for, csrf, declaration_payload, login, wait_until

PASSWORD = "correct horse battery staple"


def test_master_catalogue_is_complete_and_consistent():
    catalogue = elements()
    assert len(catalogue) >= 80
    for e in catalogue.values():
        assert e.id and e.name and e.definition and e.format and e.type in TYPES
        assert e.level in ("header", "item")
        if e.type == "code":
            assert e.code_list in code_lists() or e.code_list in (
                "HS", "UNLOCODE", "ISO3166", "ISO4217", "REC19", "REC20", "REC21", "INCOTERMS2020")
    groups = {"exporter_", "consignee_", "declarant_", "carrier_"}
    assert all(any(k.startswith(g) and k.endswith("_street") for k in catalogue) for g in groups)
    assert {"container_number", "incoterm_place", "statistical_value", "voyage_number",
            "certificate_of_origin_ref", "end_user_name", "origin_criterion"} <= set(catalogue)
    assert catalogue["hs_code"].wco_id == "145" and catalogue["gross_mass_kg"].wco_id == "131"


@pytest.mark.parametrize("number, valid", [("CSQU3054383", True), ("MSCU1234566", True),
                                           ("CSQU3054384", False), ("TGHU8761420", False)])
def test_iso6346_check_digit(number, valid):
    assert (iso6346_check_digit(number[:10]) == int(number[10])) is valid


@pytest.fixture
def version(ke, ctx):
    with tenant_context(ke.tenant_id):
        yield service.current_version()


def test_container_required_by_sea_in_containers_and_checked(version, ke):
    payload = declaration_payload(ke, containerised="yes")
    with pytest.raises(DeclarationInvalid) as err:
        validate(version, payload)
    [e] = err.value.errors
    assert (e.element, e.item, e.code) == ("container_number", 1, "required")
    assert "Mode of transport at the border is 1" in e.message
    payload["items"][0]["container_number"] = "MSCU1234567"
    with pytest.raises(DeclarationInvalid) as err:
        validate(version, payload)
    assert err.value.errors[0].code == "check_digit" and "should be 6" in err.value.errors[0].message
    payload["items"][0]["container_number"] = "mscu 123456-6"
    document = validate(version, payload)
    assert document["items"][0]["container_number"] == "MSCU1234566"
    assert document["containerised"] is True
    by_air = declaration_payload(ke, containerised="true", transport_mode="4")
    validate(version, by_air)  # not by sea: no container number asked for


def test_dates_are_iso_8601(version, ke):
    assert validate(version, declaration_payload(ke, declaration_date="2026-12-03"))[
        "declaration_date"] == "2026-12-03"
    with pytest.raises(DeclarationInvalid, match="YYYY-MM-DD"):
        validate(version, declaration_payload(ke, declaration_date="03/12/2026"))
    with pytest.raises(DeclarationInvalid):
        validate(version, declaration_payload(ke, declaration_date="2026-02-30"))


@pytest.fixture
def committee(platform, fresh_window, ctx):
    """The fresh window's data committee member and a second administrator."""
    with tenant_context(fresh_window.tenant_id):
        accounts.ensure_user(f"committee@{fresh_window.slug}.example", "Committee",
                             Role.DATA_COMMITTEE, PASSWORD)
        db.session.commit()
    return f"user:committee@{fresh_window.slug}.example"


def test_a_tariff_line_arrives_by_approved_proposal_only(platform, fresh_window, committee, ctx):
    w = fresh_window
    with tenant_context(w.tenant_id):
        company = db.session.execute(select(Company)).scalars().first()
        old = declarations.submit(company, declaration_payload(w), source="api", actor="t")
        db.session.commit()
        proposal = governance.propose("add_code", {"list": "TARIFF", "code": "09024010",
                                                   "label": "Black tea, CTC, in bulk"},
                                      "CTC tea has its own export levy", f"user:{w.admin_email}")
        db.session.commit()
        assert proposal.impact["elements"] == ["hs_code"]
        assert proposal.impact["declarations_30_days"] >= 1  # hs_code is used
        assert {m["agency"] for m in proposal.impact["message_sets"]} >= {
            "KRA Customs & Border Control"}
        assert any(r["rule"] == "plant-products" for r in proposal.impact["routing_rules"])
        payload = declaration_payload(w)
        payload["items"][0]["hs_code"] = "09024010"
        with pytest.raises(DeclarationInvalid):  # not yet: nothing changes before approval
            declarations.prepare(company, payload)
        with pytest.raises(governance.ProposalError, match="not the person who proposed"):
            governance.approve(proposal, f"user:{w.admin_email}", "")
        with pytest.raises(governance.ProposalError, match="say why"):
            governance.reject(proposal, committee, "")
        published = governance.approve(proposal, committee, "agreed at the May meeting")
        db.session.commit()
        assert published.version == 2 and published.tariff_lines == {
            "09024010": "Black tea, CTC, in bulk"}
        made = declarations.submit(company, payload, source="api", actor="t")
        db.session.commit()
        assert made.profile_version.version == 2 and made.items[0]["hs_code"] == "09024010"
        assert old.profile_version.version == 1  # still under the version it was made by
        declarations.revalidate(old)  # and still valid by it
        with pytest.raises(DeclarationInvalid):
            declarations.revalidate(old, {"items": payload["items"]})  # v1 has no such line
        actions = set(db.session.execute(select(AuditEntry.action).where(
            AuditEntry.target == f"proposal:{proposal.id}")).scalars())
        assert actions == {"catalogue.propose", "catalogue.approve"}


def test_published_versions_never_change(fresh_window, ctx):
    with tenant_context(fresh_window.tenant_id):
        v1 = service.current_version()
        with pytest.raises((DBAPIError, IntegrityError)):
            db.session.execute(update(ProfileVersion).where(ProfileVersion.id == v1.id)
                               .values(elements=[]))
            db.session.flush()
        db.session.rollback()
        with pytest.raises((DBAPIError, IntegrityError)):
            db.session.execute(text("UPDATE catalogue_profile_versions SET notes = 'edited'"))
        db.session.rollback()


def test_a_scheduled_version_waits_for_its_date(fresh_window, committee, ctx):
    w = fresh_window
    with tenant_context(w.tenant_id):
        proposal = governance.propose("change_requirement", {"id": "vessel_or_flight",
                                                             "required": True},
                                      "the port needs it at declaration", f"user:{w.admin_email}")
        governance.approve(proposal, committee, "", utcnow() + timedelta(days=7))
        db.session.commit()
        assert service.current_version().version == 1
        assert service.latest_version().version == 2
        assert service.current_version(utcnow() + timedelta(days=8)).version == 2


def test_national_element_by_proposal_reaches_form_api_and_schema(platform, fresh_window,
                                                                  committee, ctx):
    w = fresh_window
    definition = {"name": "KRA export entry category", "definition": "The category code the "
                  "revenue authority uses for export entries.", "level": "header",
                  "type": "code", "format": "an..4", "code_list": "tenant:KE_ENTRY_CATEGORIES"}
    with tenant_context(w.tenant_id):
        refused = pytest.raises(governance.ProposalError, match="KE_ENTRY_CATEGORIES")
        with refused:  # the list it names must exist first
            governance.propose("add_element", {"id": "nat_entry_category", "required": True,
                                               "definition": definition}, "new KRA rule",
                               f"user:{w.admin_email}")
        first = governance.propose("add_code", {"list": "KE_ENTRY_CATEGORIES", "code": "EX1",
                                                "label": "Permanent export",
                                                "list_name": "Export entry categories"},
                                   "new KRA rule", f"user:{w.admin_email}")
        governance.approve(first, committee, "")
        second = governance.propose("add_element", {"id": "nat_entry_category",
                                                    "required": True, "definition": definition},
                                    "new KRA rule", f"user:{w.admin_email}")
        governance.approve(second, committee, "")
        db.session.commit()
    trader = client_for(platform.app, w, platform)
    login(trader, w.trader_email)
    assert 'name="nat_entry_category"' in trader.get("/declarations/new").get_data(as_text=True)
    api = client_for(platform.app, w, platform)
    token = api_token(api, w)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    missing = api.post("/api/v1/declarations", data=json.dumps(declaration_payload(w)),
                       headers=headers).get_json()
    assert missing["error"]["details"][0]["element"] == "nat_entry_category"
    good = declaration_payload(w, nat_entry_category="ex1")
    made = api.post("/api/v1/declarations", data=json.dumps(good), headers=headers)
    assert made.status_code == 201 and made.get_json()["document"]["nat_entry_category"] == "EX1"
    index = api.get("/api/v1/catalogue").get_json()
    assert index["current_version"] == 3
    schema = api.get("/api/v1/catalogue/versions/3/schema").get_json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    canonical = {**good, "nat_entry_category": "EX1"}  # the schema lists codes as stored
    assert not list(validator.iter_errors(json.loads(json.dumps(canonical))))
    bad = declaration_payload(w)  # no category, an HS heading, a floaty string
    bad["items"][0].update(hs_code="0902", net_mass_kg="18000.1234567")
    problems = {tuple(e.absolute_path) or ("root",) for e in validator.iter_errors(bad)}
    assert ("root",) in problems and ("items", 0, "hs_code") in problems
    assert ("items", 0, "net_mass_kg") in problems
    assert "nat_entry_category" in schema["required"]
    assert schema["properties"]["incoterm"]["enum"][:2] == ["CFR", "CIF"]


def test_proposals_from_the_console(platform, fresh_window, committee, ctx):
    w = fresh_window
    officer = client_for(platform.app, w, platform)
    assert login(officer, w.officer_email).status_code == 302
    page = "/admin/catalogue/proposals/new"
    response = officer.post(page, data={"csrf_token": csrf(officer, page), "kind": "add_element",
                                        "id": "inland_transport_mode", "required": "no",
                                        "reason": "port needs it for rail"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    detail = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "What it touches" in detail and "Approve and publish" not in detail  # not theirs
    bad = officer.post(page, data={"csrf_token": csrf(officer, page), "kind": "add_element",
                                   "id": "colour", "reason": "x"})
    assert bad.status_code == 422 and "not in the master catalogue" in bad.get_data(as_text=True)
    member = client_for(platform.app, w, platform)
    login(member, committee.split(":", 1)[1])
    location = response.headers["Location"]
    assert "Approve and publish" in member.get(location).get_data(as_text=True)
    member.post(location + "/decide", data={"csrf_token": csrf(member, location),
                                            "decision": "approve", "comment": "fine"})
    profile = member.get("/admin/catalogue/").get_data(as_text=True)
    assert "version 2" in profile and "inland_transport_mode" in profile
    trader = client_for(platform.app, w, platform)
    login(trader, w.trader_email)
    assert trader.get(location).status_code == 403


def test_an_agency_changes_its_format_and_traders_see_no_change(platform, fresh_window, ctx):
    """The port renames fields and wants dates and decimals its way: a new mapping version,
    in force now; the next message uses it, the declaration itself is unchanged."""
    w = fresh_window
    with tenant_context(w.tenant_id):
        kpa = db.session.execute(select(Agency).where(Agency.code == "kpa")).scalar_one()
        v1 = mapping.in_force(kpa.connector.id)
        entries = [{"id": "shipment_ref", "field": "BookingRef"},
                   {"id": "vessel_or_flight", "field": "Vessel", "format": {"upper": True}},
                   {"id": "transport_mode", "field": "Mode", "format": {"values": {"1": "SEA"}}},
                   {"id": "gross_mass_kg", "field": "GrossKg", "format": {"decimal_comma": True}},
                   {"id": "hs_code", "field": "HSCode", "when": {"hs_prefixes": ["09"]}}]
        with pytest.raises(mapping.MappingError, match="colour"):
            mapping.add_version(kpa.connector, [{"id": "colour"}], all_elements=False,
                                profile_version=service.current_version(), created_by="t")
        v2 = mapping.add_version(kpa.connector, entries, all_elements=False,
                                 profile_version=service.current_version(), created_by="t")
        db.session.commit()
        assert v2.version == v1.version + 1
    client = client_for(platform.app, w, platform)
    token = api_token(client, w)
    payload = declaration_payload(w, vessel_or_flight="msc aurora 612w")
    made = client.post("/api/v1/declarations", data=json.dumps(payload),
                       headers={"Authorization": f"Bearer {token}",
                                "Content-Type": "application/json"}).get_json()

    def sent():
        with tenant_context(w.tenant_id):
            return db.session.execute(select(AgencySubmission).where(
                AgencySubmission.declaration_id == made["id"],
                AgencySubmission.agency_id == kpa.id,
                AgencySubmission.sent_at.is_not(None))).scalar_one_or_none()

    submission = wait_until(sent, 30)
    message = platform.simulator.engine.messages[submission.message_key].message
    assert message["data"] == {"BookingRef": payload["shipment_ref"], "Vessel": "MSC AURORA 612W",
                               "Mode": "SEA"}
    assert message["items"] == [{"GrossKg": "18540", "HSCode": "090240", "item_no": 1}]
    assert message["declaration"]["mapping_version"] == v2.version
    with tenant_context(w.tenant_id):
        stored = db.session.get(Declaration, made["id"]).document
    assert stored["vessel_or_flight"] == "msc aurora 612w"  # ours, as the trader typed it
    admin = client_for(platform.app, w, platform)
    login(admin, w.admin_email)
    history = admin.get("/admin/agencies/kpa/mappings").get_data(as_text=True)
    assert "BookingRef" in history and "(in force)" in history


def test_drafts_are_saved_and_resumed(platform, ke, ctx):
    trader = client_for(platform.app, ke, platform)
    login(trader, ke.trader_email)
    ref = "DRAFT-" + uuid.uuid4().hex[:6]
    saved = trader.post("/declarations/new", data={
        "csrf_token": csrf(trader, "/declarations/new"), "shipment_ref": ref,
        "items-0-item_no": "1", "items-0-hs_code": "0902", "save_draft": "1"})
    assert saved.status_code == 302
    listing = trader.get(saved.headers["Location"]).get_data(as_text=True)
    assert ref in listing and "Your draft is saved" in listing
    draft_link = listing.split('href="/declarations/new?draft=')[1].split('"')[0]
    form = trader.get(f"/declarations/new?draft={draft_link}").get_data(as_text=True)
    assert f'value="{ref}"' in form and 'value="0902"' in form  # kept as typed, mistakes too
    other = client_for(platform.app, ke, platform)
    with tenant_context(ke.tenant_id):
        company = accounts.ensure_company("Other Traders Ltd", "OTHER-" + ref, "KE")
        accounts.ensure_user(f"other-{ref.lower()}@ke.example", "Other", Role.TRADER_ADMIN,
                             PASSWORD, company=company)
        db.session.commit()
    login(other, f"other-{ref.lower()}@ke.example")
    assert other.get(f"/declarations/new?draft={draft_link}").status_code == 404
