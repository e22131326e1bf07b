"""The main job, as the demo runs it: every sample shipment becomes a declaration in its
window, goes to the agencies its goods and route call for over real HTTP, and ends with
one status derived from their answers; every billable event is in the ledger."""

import csv
from collections import defaultdict

import pytest
from sqlalchemy import select

from singlewindow.billing import service as billing
from singlewindow.billing.models import UsageEvent, UsageKind
from singlewindow.platform import operations
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.declarations import importer
from singlewindow.platform.declarations.models import Declaration, DeclarationEvent
from singlewindow.platform.extensions import db

from helpers import SAMPLES, wait_until


def _rows():
    with open(SAMPLES / "shipments.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def imported(platform, windows):
    """Import the whole sample file once, through the CLI's own path."""
    with platform.app.app_context():
        shipments = importer.read_csv((SAMPLES / "shipments.csv").read_text(encoding="utf-8"))
        reports = operations.import_file(shipments, None, register_companies=True, actor="test")
        ids = [o.declaration_id for r in reports.values() for o in r.outcomes]

        def done():
            with platform_wide():
                statuses = db.session.execute(
                    select(Declaration.status).where(Declaration.id.in_(ids))
                ).scalars().all()
            return len(statuses) == len(ids) and set(statuses) <= {"released", "rejected"}

        assert wait_until(done, 90), "not every declaration reached a final status"
        return reports


def declarations_of(window):
    with tenant_context(window.tenant_id):
        rows = db.session.execute(select(Declaration).order_by(Declaration.shipment_ref))
        return {d.shipment_ref: d for d in rows.scalars()}


def test_every_sample_shipment_is_one_declaration_in_its_window(imported, windows, ctx):
    expected = defaultdict(set)
    for row in _rows():
        expected[row["origin_tenant"]].add(row["shipment_ref"])
    for slug, refs in expected.items():
        report = imported[slug]
        assert {o.shipment for o in report.outcomes} == refs
        assert all(o.result in ("accepted", "unchanged") for o in report.outcomes), report.as_dict()
        assert refs <= set(declarations_of(windows[slug]))


def test_goods_items_keep_codes_as_text_and_amounts_exact(imported, windows, ctx):
    d = declarations_of(windows["ke"])["KE-2026-0001"]
    assert [i["hs_code"] for i in d.items] == ["090240", "090230"]  # leading zeros kept
    assert d.items[0]["item_value"] == "52200.00"
    assert str(d.total_value) == "63720.000" or d.total_value == 63720
    jpy = declarations_of(windows["shanghai"])["CN-2026-0107"]
    assert jpy.items[0]["item_value"] == "16800000"


def test_released_only_when_every_required_agency_released(imported, windows, ctx):
    for slug in ("ke", "shanghai"):
        for ref, d in declarations_of(windows[slug]).items():
            if not ref.startswith(("KE-2026", "CN-2026")):
                continue
            assert d.status == "released", f"{ref} is {d.status}"
            assert d.final_at is not None
            required = [s for s in d.submissions if s.required]
            assert required and all(s.status == "released" for s in required), ref


def _agencies(d):
    return {s.agency.code: s for s in d.submissions}


def test_commodity_and_route_decide_the_agencies(imported, windows, ctx):
    ke = declarations_of(windows["ke"])
    tea = _agencies(ke["KE-2026-0001"])
    assert set(tea) == {"kra-customs", "kephis", "afa", "kpa", "knbs"}
    assert tea["kephis"].items == [1, 2]
    assert any("HS 09" in r["detail"] for r in tea["kephis"].reasons)
    assert tea["knbs"].required is False  # statistics get a copy, never block release
    flowers_by_air = _agencies(ke["KE-2026-0002"])
    assert "kpa" not in flowers_by_air  # not by sea, so not the port
    cartridges = _agencies(ke["KE-2026-0009"])
    assert "flb" in cartridges
    # The licensing body answered with a licence decision before releasing.
    with tenant_context(windows["ke"].tenant_id):
        answers = db.session.execute(
            select(DeclarationEvent.status).where(
                DeclarationEvent.submission_id == cartridges["flb"].id,
                DeclarationEvent.kind == "answer")
            .order_by(DeclarationEvent.id)
        ).scalars().all()
    # (answers may arrive out of order; the sequence decides, so it ends released)
    assert "query" in answers and cartridges["flb"].status == "released"
    plants = _agencies(ke["KE-2026-0004"])
    with tenant_context(windows["ke"].tenant_id):
        inspected = db.session.execute(
            select(DeclarationEvent.status).where(
                DeclarationEvent.submission_id == plants["kephis"].id,
                DeclarationEvent.kind == "answer")
        ).scalars().all()
    assert "inspect" in inspected  # plant goods are inspected before release
    sh = declarations_of(windows["shanghai"])
    assert "msa" in _agencies(sh["CN-2026-0105"])  # insecticides by sea
    assert "ciq" in _agencies(sh["CN-2026-0107"])  # frozen shrimp
    assert "mofcom" in _agencies(sh["CN-2026-0108"])  # steel under export licensing
    assert "sipg" not in _agencies(sh["CN-2026-0107"])  # by air


def test_each_agency_received_its_message_set_once(imported, platform, windows, ctx):
    stats = platform.simulator.engine.stats()
    assert stats["duplicates"] == 0
    engine = platform.simulator.engine
    ke = declarations_of(windows["ke"])
    kpa = _agencies(ke["KE-2026-0001"])["kpa"]
    message = engine.messages[kpa.message_key].message
    # The port receives its own field names, and only what its message set lists.
    assert message["data"]["VesselVoyage"] == "MSC AURORA 612W"
    assert "invoice_currency" not in message["data"]
    assert {i["hs_code"] for i in message["items"]} == {"090240", "090230"}


def test_every_billable_event_is_in_its_tenants_ledger(imported, windows, ctx):
    for slug in ("ke", "shanghai"):
        window = windows[slug]
        decls = declarations_of(window)
        with tenant_context(window.tenant_id):
            usage = billing.usage_by_kind()
            keys = set(db.session.execute(select(UsageEvent.idempotency_key)).scalars())
        assert usage[UsageKind.DECLARATION_SUBMITTED] == len(decls)
        sent = sum(1 for d in decls.values() for s in d.submissions if s.sent_at)
        assert usage[UsageKind.AGENCY_MESSAGE_SENT] == sent
        assert {f"declaration:{d.id}" for d in decls.values()} <= keys


def test_importing_the_same_file_again_changes_nothing(imported, windows, ctx):
    before = {slug: len(declarations_of(w)) for slug, w in windows.items()}
    shipments = importer.read_csv((SAMPLES / "shipments.csv").read_text(encoding="utf-8"))
    reports = operations.import_file(shipments, None, register_companies=True, actor="again")
    assert all(o.result == "unchanged" for r in reports.values() for o in r.outcomes)
    assert {slug: len(declarations_of(w)) for slug, w in windows.items()} == before
