"""The catalogue schema: the one shape of a declaration, with errors that name the
element, the goods item and the reason."""

from decimal import Decimal

import pytest

from singlewindow.platform.catalogue import service as catalogue
from singlewindow.platform.catalogue.validation import DeclarationInvalid, schema_for, validate
from singlewindow.platform.db.scoping import tenant_context

from helpers import declaration_payload


@pytest.fixture
def version(ke, ctx):
    with tenant_context(ke.tenant_id):
        yield catalogue.current_version()


def errors(version, payload):
    with pytest.raises(DeclarationInvalid) as err:
        validate(version, payload)
    return {(e.element, e.item, e.code) for e in err.value.errors}, err.value.errors


def test_valid_document_is_canonical(version, ke):
    payload = declaration_payload(ke, invoice_currency="usd", port_of_loading=" kemba ")
    payload["items"][0].update(hs_code="0902.40", item_value=Decimal("52200.00"), packages="300")
    document = validate(version, payload)
    assert document["invoice_currency"] == "USD" and document["port_of_loading"] == "KEMBA"
    item = document["items"][0]
    assert item["hs_code"] == "090240" and item["item_value"] == "52200.00"
    assert item["packages"] == 300 and isinstance(item["net_mass_kg"], str)


def test_schema_is_cached_per_tenant_and_version(version):
    assert schema_for(version) is schema_for(version)


def test_required_elements_and_items(version, ke):
    payload = declaration_payload(ke)
    del payload["destination_country"]
    found, listed = errors(version, {**payload, "items": []})
    assert ("destination_country", None, "required") in found
    assert ("items", None, "required") in found
    assert "Country of destination is required" in {e.message for e in listed}


def test_floats_are_refused_and_formats_checked(version, ke):
    payload = declaration_payload(ke)
    payload["items"][0].update(net_mass_kg=18000.5, quantity="1e5", item_value="12.3456")
    found, _ = errors(version, payload)
    assert ("net_mass_kg", 1, "invalid_type") in found
    assert ("quantity", 1, "invalid_format") in found
    assert ("item_value", 1, "too_many_decimals") in found


def test_currency_minor_units_decide_decimals(version, ke):
    ok = declaration_payload(ke, invoice_currency="KWD")
    ok["items"][0]["item_value"] = "10.125"
    validate(version, ok)
    jpy = declaration_payload(ke, invoice_currency="JPY")
    jpy["items"][0]["item_value"] = "100.5"
    found, _ = errors(version, jpy)
    assert ("item_value", 1, "too_many_decimals") in found
    jpy["items"][0]["item_value"] = "100.00"  # trailing zeros say the same amount
    validate(version, jpy)


@pytest.mark.parametrize("mode, code", [("9", "not_allowed"), ("0", "not_allowed"),
                                        ("SEA", "not_in_code_list"), ("1", None)])
def test_transport_mode_takes_real_modes_only(version, ke, mode, code):
    payload = declaration_payload(ke, transport_mode=mode)
    if code is None:
        validate(version, payload)
    else:
        assert ("transport_mode", None, code) in errors(version, payload)[0]


def test_errors_name_the_goods_item_by_its_number(version, ke):
    payload = declaration_payload(ke)
    second = dict(payload["items"][0], item_no=7, hs_code="999999", unit="XYZ")
    payload["items"].append(second)
    found, _ = errors(version, payload)
    assert ("hs_code", 7, "hs_unknown") in found and ("unit", 7, "not_in_code_list") in found
    payload["items"][1]["item_no"] = 1
    payload["items"][1].update(hs_code="090240", unit="KGM")
    assert ("item_no", 1, "duplicate") in errors(version, payload)[0]


def test_national_tariff_lines_must_be_the_windows_own(version, ke):
    payload = declaration_payload(ke)
    payload["items"][0]["hs_code"] = "09024010"  # no such line in this window's tariff
    found, listed = errors(version, payload)
    assert ("hs_code", 1, "tariff_line_unknown") in found
    assert "090240" in listed[0].message
    payload["items"][0]["hs_code"] = "0902401"
    assert ("hs_code", 1, "invalid_format") in errors(version, payload)[0]
