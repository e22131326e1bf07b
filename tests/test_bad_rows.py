"""Feeding the importer the file of known mistakes: every bad row is refused with an
error naming the shipment, the goods item, the data element and the reason; nothing of a
refused shipment is stored; the control rows go through."""

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from singlewindow.billing.models import UsageEvent
from singlewindow.platform.auth import service as accounts
from singlewindow.platform.cli import main as cli
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.declarations.models import Declaration
from singlewindow.platform.extensions import db

from helpers import SAMPLES, api_token, client_for

BAD_FILE = SAMPLES / "shipments_bad.csv"


def bad_rows():
    with open(BAD_FILE, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def expected_element(row):
    """The file's last column says what is wrong: '<element>: <reason>', or that the row
    is a control row with no error expected."""
    text = row["expected_problem"]
    if "no error expected" in text:
        return None
    return text.split(":", 1)[0].strip()


@pytest.fixture(scope="module")
def cli_report(platform, windows):
    runner = platform.app.test_cli_runner()
    result = runner.invoke(cli, ["import-shipments", str(BAD_FILE), "--register-companies",
                                 "--json"])
    assert result.exit_code == 1, result.output  # some shipments were refused
    return json.loads(result.output)


def outcome(report, slug, ref):
    return next(o for o in report[slug]["shipments"] if o["shipment"] == ref)


@pytest.mark.parametrize("row", bad_rows(), ids=lambda r: r["shipment_ref"])
def test_each_row_is_refused_for_its_own_mistake_or_passes(cli_report, row, windows, ctx):
    found = outcome(cli_report, row["origin_tenant"], row["shipment_ref"])
    element = expected_element(row)
    if element is None:
        assert found["result"] in ("accepted", "unchanged"), found
        return
    assert found["result"] == "refused"
    matching = [e for e in found["errors"] if e["element"] == element]
    assert matching, f"expected an error on {element}, got {found['errors']}"
    error = matching[0]
    assert error["shipment"] == row["shipment_ref"]
    assert error["message"]
    item_level = element in {"hs_code", "net_mass_kg", "gross_mass_kg", "item_value", "unit"}
    if item_level:
        assert error["item"] == int(row["item_no"])
        assert error["line"] is not None
    # Only the real mistake is reported, so the trader is not sent chasing others.
    assert {e["element"] for e in found["errors"]} == {element}
    # Nothing of the refused shipment was stored.
    with tenant_context(windows[row["origin_tenant"]].tenant_id):
        stored = db.session.execute(
            select(func.count()).select_from(Declaration)
            .where(Declaration.shipment_ref == row["shipment_ref"])).scalar_one()
    assert stored == 0


def test_messages_say_how_to_fix(cli_report):
    def message(slug, ref):
        return outcome(cli_report, slug, ref)["errors"][0]["message"]

    assert "090111" in message("ke", "BAD-01")
    assert "CNY" in message("shanghai", "BAD-03")
    assert "11400" in message("shanghai", "BAD-04") and "12500" in message("shanghai", "BAD-04")
    assert "no thousands separators" in message("ke", "BAD-05")
    assert "6-digit" in message("shanghai", "BAD-06")
    assert "HS 2022" in message("shanghai", "BAD-07")
    assert "JPY" in message("shanghai", "BAD-10")
    assert "maritime transport is 1" in message("shanghai", "BAD-12")


def test_unicode_names_are_stored_and_shown_exactly(cli_report, platform, windows, ctx):
    found = outcome(cli_report, "shanghai", "BAD-14")
    with tenant_context(windows["shanghai"].tenant_id):
        d = db.session.execute(
            select(Declaration).where(Declaration.id == found["declaration_id"])).scalar_one()
        assert d.document["exporter_name"] == "上海浦东智能设备有限公司"
        assert d.document["consignee_name"] == "Société Générale d'Électronique SARL"
        assert d.items[0]["goods_description"] == "便携式电脑 portable computers"


def test_refused_shipments_are_not_billed(cli_report, windows, ctx):
    refused = {o["shipment"] for r in cli_report.values() for o in r["shipments"]
               if o["result"] == "refused"}
    with tenant_context(windows["ke"].tenant_id):
        subjects = set(db.session.execute(select(UsageEvent.subject)).scalars())
        ids = set(db.session.execute(
            select(Declaration.id).where(Declaration.shipment_ref.in_(refused))).scalars())
    assert not ids and not any(s == f"declaration:{i}" for i in ids for s in subjects)


@pytest.fixture(scope="module")
def api_reports(platform, windows):
    """The bad file through each window's API, with a window client (the window's own
    system, declaring for each registered exporter, like the CLI)."""
    reports = {}
    with platform.app.app_context():
        for slug, window in windows.items():
            with tenant_context(window.tenant_id):
                for row in bad_rows():  # the exporters are registered traders of their window
                    if row["origin_tenant"] == slug:
                        accounts.ensure_company(row["exporter_name"], row["exporter_tax_id"],
                                                "KE" if slug == "ke" else "CN")
                issued = accounts.create_client("Migration", scope="declarations imports")
                credentials = (issued.client.client_id, issued.secret)
                db.session.commit()
            client = client_for(platform.app, window, platform)
            token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                auth=credentials).get_json()
            response = client.post("/api/v1/imports", data=BAD_FILE.read_bytes(), headers={
                "Authorization": f"Bearer {token['access_token']}", "Content-Type": "text/csv"})
            assert response.status_code == 200, response.get_data(as_text=True)
            reports[slug] = response.get_json()
    return reports


@pytest.mark.parametrize("row", bad_rows(), ids=lambda r: r["shipment_ref"])
def test_api_import_gives_each_row_its_own_error(api_reports, row):
    for slug, report in api_reports.items():
        found = outcome({slug: report}, slug, row["shipment_ref"])
        if slug != row["origin_tenant"]:
            assert found["result"] == "skipped"  # another window's shipment
            continue
        element = expected_element(row)
        if element is None:
            assert found["result"] in ("accepted", "unchanged"), found
        else:
            assert found["result"] == "refused"
            assert {e["element"] for e in found["errors"]} == {element}, found["errors"]


def test_trader_client_cannot_import_another_exporters_rows(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    response = client.post("/api/v1/imports", data=BAD_FILE.read_bytes(),
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "text/csv"})
    assert response.status_code == 200, response.get_data(as_text=True)
    report = {o["shipment"]: o for o in response.get_json()["shipments"]}
    assert [e["element"] for e in report["BAD-02"]["errors"]] == ["port_of_discharge"]  # its own
    assert report["BAD-01"]["errors"][0]["code"] == "not_your_company"
    assert report["BAD-03"]["result"] == "skipped"


def test_api_import_of_good_rows(platform, fresh_window, ctx):
    rows = [r for r in csv.DictReader(io.StringIO((SAMPLES / "shipments.csv").read_text()))
            if r["shipment_ref"] == "KE-2026-0001"]
    for r in rows:  # declare the sample tea shipment as this window's own company
        r.update(origin_tenant=fresh_window.slug, exporter_name=fresh_window.company_name,
                 exporter_tax_id=fresh_window.company_tax_id)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    client = client_for(platform.app, fresh_window, platform)
    token = api_token(client, fresh_window)
    response = client.post("/api/v1/imports", data=out.getvalue().encode(),
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "text/csv"})
    body = response.get_json()
    assert body["accepted"] == 1 and body["refused"] == 0, body
    with tenant_context(fresh_window.tenant_id):
        d = db.session.execute(select(Declaration)).scalar_one()
        assert d.source == "api" and d.item_count == 2


def test_a_file_that_is_not_a_shipments_csv_is_refused_whole(platform, ke, ctx):
    client = client_for(platform.app, ke, platform)
    token = api_token(client, ke)
    response = client.post("/api/v1/imports", data=b"ref,colour\n1,blue\n",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert "shipment_ref" in response.get_json()["error"]["message"]
    response = client.post("/api/v1/imports",
                           data=b"shipment_ref,colour\nA,blue\n",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert "colour" in response.get_json()["error"]["message"]
    empty = client.post("/api/v1/imports", data=b"shipment_ref,hs_code\n",
                        headers={"Authorization": f"Bearer {token}"})
    assert empty.status_code == 400 and "no shipment rows" in empty.get_json()["error"]["message"]


def test_semicolon_separated_files_are_read(platform, fresh_window, ctx):
    rows = list(csv.DictReader(io.StringIO((SAMPLES / "shipments.csv").read_text())))[:2]
    for r in rows:
        r.update(origin_tenant=fresh_window.slug, exporter_name=fresh_window.company_name,
                 exporter_tax_id=fresh_window.company_tax_id)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    client = client_for(platform.app, fresh_window, platform)
    token = api_token(client, fresh_window)
    body = client.post("/api/v1/imports", data=out.getvalue().encode(),
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["accepted"] == 1, body
