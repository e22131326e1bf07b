"""Routing rules: which agencies, why, and for which goods items."""

import pytest

from singlewindow.tenants.routing import RuleError, RuleLike, check_conditions, route


def doc(*items, mode="1", dest="GB"):
    return {"transport_mode": mode, "destination_country": dest, "items": [
        {"item_no": n, "hs_code": hs, "origin_country": origin, "item_value": value}
        for n, (hs, origin, value) in enumerate(items, start=1)]}


def rule(code, agency, required=True, priority=100, **conditions):
    return RuleLike(code, code.replace("-", " "), agency, required, priority, conditions)


def test_hs_prefix_brings_in_the_agency_for_matching_items_only():
    routes = route(doc(("090240", "KE", "10"), ("847130", "KE", "10")),
                   [rule("plants", 1, hs_prefixes=["09"])])
    assert len(routes) == 1
    assert routes[0].items == {1}
    assert routes[0].reasons[0].detail == "HS 09; goods item 1"


def test_conditions_in_a_rule_all_hold_and_values_are_alternatives():
    rules = [rule("dg-sea", 7, hs_prefixes=["3808", "8507"], transport_modes=["1"])]
    assert route(doc(("380891", "CN", "1"), mode="1"), rules)
    assert not route(doc(("380891", "CN", "1"), mode="4"), rules)
    assert not route(doc(("950300", "CN", "1"), mode="1"), rules)


def test_several_rules_for_one_agency_merge():
    rules = [rule("a", 1, required=False, hs_prefixes=["09"]),
             rule("b", 1, required=True, priority=5, destination_countries=["GB"])]
    [r] = route(doc(("090240", "KE", "1"), ("610910", "KE", "1")), rules)
    assert r.required  # required if any matching rule says so
    assert r.all_items  # a whole-declaration rule sends every item
    assert [x.rule for x in r.reasons] == ["b", "a"]  # priority order
    assert r.item_numbers(doc(("090240", "KE", "1"), ("610910", "KE", "1"))) == [1, 2]


def test_rule_without_conditions_matches_everything_and_value_threshold():
    rules = [rule("all", 1), rule("big", 2, min_total_value="1000")]
    assert {r.agency_id for r in route(doc(("090240", "KE", "999.99")), rules)} == {1}
    assert {r.agency_id for r in route(doc(("090240", "KE", "600"), ("090230", "KE", "400")),
                                       rules)} == {1, 2}


def test_item_conditions_hold_for_the_same_item():
    rules = [rule("kenyan-tea", 1, hs_prefixes=["0902"], origin_countries=["KE"])]
    assert not route(doc(("090240", "CN", "1"), ("847130", "KE", "1")), rules)


@pytest.mark.parametrize("conditions, message", [
    ({"hs_prefix": ["09"]}, "unknown condition"),
    ({"hs_prefixes": ["9"]}, "2, 4, 6, 8 or 10 digits"),
    ({"transport_modes": "1"}, "list of strings"),
    ({"min_total_value": "lots"}, "not a number"),
])
def test_bad_conditions_are_refused_with_their_path(conditions, message):
    with pytest.raises(RuleError, match=message):
        check_conditions(conditions, "routing_rules.3.conditions")
