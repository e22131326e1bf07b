"""A profile version resolved for use: its elements (master and national, in form order),
every code list it can name, and its national tariff lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from singlewindow.platform.catalogue.master import Element, code_lists, elements
from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.reference import codes

TENANT_LIST = "tenant:"  # code_list "tenant:KE_ZONES" names a list of the tenant's own

LIST_NAMES = {
    "ISO3166": "an ISO 3166-1 alpha-2 country code",
    "ISO4217": "an ISO 4217 currency code",
    "UNLOCODE": "a UN/LOCODE",
    "REC19": "a UN/ECE Recommendation 19 transport mode code",
    "REC20": "a current UNECE Recommendation 20 unit code",
    "REC21": "a current UNECE Recommendation 21 package type code",
    "INCOTERMS2020": "an Incoterms 2020 rule",
}


@dataclass(frozen=True)
class Profile:
    """Plain data, detached from any database session, so it can be cached."""

    version_id: int
    version: int
    entries: tuple[dict[str, Any], ...]  # the version's elements, in form order
    elements: dict[str, Element]  # every element the version can name, master and national
    tenant_lists: dict[str, dict[str, Any]]
    tariff_lines: dict[str, str]

    @classmethod
    def of(cls, version: ProfileVersion) -> Profile:
        catalogue = dict(elements())
        for raw in version.national_elements or []:
            catalogue[raw["id"]] = Element.from_dict(raw, national=True)
        return cls(version.id, version.version, tuple(dict(e) for e in version.elements),
                   catalogue, dict(version.code_lists or {}), dict(version.tariff_lines or {}))

    def used(self) -> list[tuple[Element, dict[str, Any]]]:
        """The version's elements with their profile entries, in form order."""
        return [(self.elements[e["id"]], e) for e in self.entries]

    def members(self, code_list: str) -> dict[str, Any] | frozenset[str]:
        if code_list.startswith(TENANT_LIST):
            return self.tenant_lists.get(code_list[len(TENANT_LIST):], {}).get("values", {})
        own = code_lists().get(code_list)
        if own is not None:
            return own["values"]
        lists = codes.lists()
        if code_list == "ISO3166":
            return lists.countries
        if code_list == "ISO4217":
            return lists.currencies
        if code_list == "UNLOCODE":
            return lists.locodes
        if code_list == "REC20":
            return lists.units
        if code_list == "REC21":
            return lists.package_types
        return {"REC19": codes.TRANSPORT_MODES, "INCOTERMS2020": codes.INCOTERMS_2020}[code_list]

    def list_name(self, code_list: str) -> str:
        if code_list in LIST_NAMES:
            return LIST_NAMES[code_list]
        if code_list.startswith(TENANT_LIST):
            own = self.tenant_lists.get(code_list[len(TENANT_LIST):], {})
            return f"a code of the window's list '{own.get('name', code_list)}'"
        own = code_lists().get(code_list)
        return f"a code of '{own['name']}'" if own else "a known code"

    def known_list(self, code_list: str) -> bool:
        if code_list.startswith(TENANT_LIST):
            return code_list[len(TENANT_LIST):] in self.tenant_lists
        return code_list in LIST_NAMES or code_list in code_lists() or code_list == "HS"
