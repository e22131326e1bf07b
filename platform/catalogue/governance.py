"""Changing the catalogue profile: the only path there is.

An administrator or an agency officer proposes one change (add an element, change when
one is required, remove one, change a national element's format, add or retire a code of
the window's own lists or national tariff). The platform works out what it touches. The
data committee approves it (someone other than the proposer), which publishes the next
profile version with an effective date, or rejects it with a comment. Every step goes to
the audit log; published versions themselves never change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from singlewindow.platform import audit
from singlewindow.platform.catalogue import service
from singlewindow.platform.catalogue.master import Element, elements
from singlewindow.platform.catalogue.models import ChangeProposal, ProfileVersion
from singlewindow.platform.catalogue.profile import TENANT_LIST, Profile
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.declarations.models import Declaration, DeclarationDraft
from singlewindow.platform.extensions import db
from singlewindow.platform.reference import codes
from singlewindow.tenants.connectors.mapping import in_force
from singlewindow.tenants.models import Connector, RoutingRule

KINDS = {
    "add_element": "Add an element to the profile",
    "change_requirement": "Change when an element is required",
    "remove_element": "Remove an element from the profile",
    "change_format": "Change a national element's format",
    "add_code": "Add a code to a list of the window's own, or a national tariff line",
    "retire_code": "Retire a code of the window's own lists or tariff",
}
TARIFF = "TARIFF"  # the list name for national tariff lines
# Routing conditions and the elements they read.
CONDITION_ELEMENTS = {"hs_prefixes": "hs_code", "origin_countries": "origin_country",
                      "transport_modes": "transport_mode",
                      "destination_countries": "destination_country",
                      "min_total_value": "item_value"}


class ProposalError(ValueError):
    pass


def _base() -> ProfileVersion:
    version = service.latest_version()
    if version is None:
        raise ProposalError("this window has no catalogue profile yet")
    return version


def apply(content: service.Content, kind: str, payload: dict[str, Any]) -> service.Content:
    """The profile content with the change made (checked as a whole afterwards)."""
    new = service.Content([dict(e) for e in content.elements],
                          [dict(e) for e in content.national_elements],
                          {k: {"name": v["name"], "values": dict(v["values"])}
                           for k, v in content.code_lists.items()},
                          dict(content.tariff_lines))
    ids = [e["id"] for e in new.elements]
    element_id = payload.get("id")
    if kind == "add_element":
        if element_id in ids:
            raise ProposalError(f"id: {element_id} is already in the profile")
        if str(element_id).startswith("nat_"):
            definition = dict(payload.get("definition") or {}, id=element_id)
            try:
                service.check_national(definition, "definition")
            except service.ProfileError as exc:
                raise ProposalError(str(exc)) from None
            new.national_elements.append(definition)
        elif element_id not in elements():
            raise ProposalError(f"id: {element_id!r} is not in the master catalogue; a "
                                "national element's id starts with nat_")
        known = {**elements(), **{n["id"]: Element.from_dict(n, national=True)
                                  for n in new.national_elements}}
        level = known[element_id].level
        entry = {"id": element_id, "required": bool(payload.get("required"))}
        if payload.get("required_when"):
            entry["required_when"] = payload["required_when"]
        # After the last element of its level: header elements stay before goods items.
        levels = [known[e["id"]].level for e in new.elements]
        last_same = max((i for i, lv in enumerate(levels) if lv == level), default=len(ids) - 1)
        new.elements.insert(last_same + 1, entry)
    elif kind in ("change_requirement", "remove_element"):
        if element_id not in ids:
            raise ProposalError(f"id: {element_id!r} is not in the profile")
        if kind == "remove_element":
            new.elements = [e for e in new.elements if e["id"] != element_id]
        else:
            entry = new.elements[ids.index(element_id)]
            entry["required"] = bool(payload.get("required"))
            entry.pop("required_when", None)
            if payload.get("required_when"):
                entry["required_when"] = payload["required_when"]
    elif kind == "change_format":
        national = next((e for e in new.national_elements if e["id"] == element_id), None)
        if national is None:
            raise ProposalError(f"id: {element_id!r} is not a national element of the profile; "
                                "master elements' formats belong to the platform catalogue")
        if not payload.get("format"):
            raise ProposalError("format: give the new format (for example an..50)")
        national["format"] = payload["format"]
        if "pattern" in payload:
            national["pattern"] = payload["pattern"] or None
    elif kind in ("add_code", "retire_code"):
        _change_code(new, kind, payload)
    else:
        raise ProposalError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    return new


def _change_code(new: service.Content, kind: str, payload: dict[str, Any]) -> None:
    name = str(payload.get("list") or "").strip().upper()
    code = str(payload.get("code") or "").strip()
    if not name or not code:
        raise ProposalError("list and code: both are needed")
    if name == TARIFF:
        if kind == "add_code":
            if not (code.isdigit() and len(code) in (8, 10)):
                raise ProposalError(f"code: a national tariff line has 8 or 10 digits, not {code!r}")
            hs = codes.lists().hs
            if code[:6] not in hs or hs[code[:6]][0] != 6:
                raise ProposalError(f"code: {code[:6]} is not an HS 2022 subheading")
            if code in new.tariff_lines:
                raise ProposalError(f"code: {code} is already a tariff line")
            new.tariff_lines[code] = str(payload.get("label") or "").strip() or code
        else:
            if code not in new.tariff_lines:
                raise ProposalError(f"code: {code} is not a tariff line of this window")
            del new.tariff_lines[code]
        return
    lst = new.code_lists.setdefault(name, {"name": payload.get("list_name") or name, "values": {}})
    if kind == "add_code":
        if code in lst["values"]:
            raise ProposalError(f"code: {code} is already in {name}")
        lst["values"][code] = str(payload.get("label") or "").strip() or code
    else:
        if code not in lst["values"]:
            raise ProposalError(f"code: {code} is not in {name}")
        del lst["values"][code]
        if not lst["values"]:
            raise ProposalError(f"code: {code} is the last code of {name}; a list needs one")


def _check(content: service.Content) -> service.Content:
    try:
        return service.check(content)
    except service.ProfileError as exc:
        raise ProposalError(str(exc)) from None


def touched_elements(kind: str, payload: dict[str, Any], profile: Profile) -> list[str]:
    if kind in ("add_code", "retire_code"):
        name = str(payload.get("list") or "").upper()
        if name == TARIFF:
            return ["hs_code"]
        return [e.id for e, _ in profile.used() if e.code_list == TENANT_LIST + name]
    return [payload.get("id")] if payload.get("id") else []


def _uses(value: Any, code: str | None) -> bool:
    if value is None or value == "":
        return False
    return code is None or str(value) == code or str(value).startswith(code)


def _document_uses(document: dict[str, Any], element_id: str, code: str | None) -> bool:
    if _uses(document.get(element_id), code):
        return True
    items = document.get("items") or []
    return any(isinstance(i, dict) and _uses(i.get(element_id), code) for i in items)


def impact(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the change touches: message sets and mappings of the agencies, routing rules,
    traders' open drafts, and how many declarations of the last 30 days use it."""
    base = _base()
    profile = Profile.of(base)
    touched = touched_elements(kind, payload, profile)
    # What counts as using it: a retired code, the subheading a new tariff line divides,
    # or (otherwise) the element itself.
    code = None
    if kind == "retire_code":
        code = str(payload.get("code")).strip()
    elif kind == "add_code" and str(payload.get("list", "")).upper() == TARIFF:
        code = str(payload.get("code")).strip()[:6]
    result: dict[str, Any] = {"elements": touched, "message_sets": [], "mappings": [],
                              "routing_rules": [], "drafts": 0, "declarations_30_days": 0,
                              "base_version": base.version}
    for connector in db.session.execute(select(Connector)).scalars():
        mapping = in_force(connector.id)
        agency = connector.agency.name
        if mapping is None or mapping.all_elements:
            if touched:
                result["message_sets"].append({"agency": agency, "how": "receives every element"})
            continue
        for entry in mapping.elements:
            if entry["id"] in touched:
                result["message_sets"].append({"agency": agency, "how": f"mapping v{mapping.version}"})
                if entry.get("field") or entry.get("format") or entry.get("when"):
                    result["mappings"].append({
                        "agency": agency, "version": mapping.version, "element": entry["id"],
                        "field": entry.get("field") or entry["id"],
                        "format": entry.get("format"), "when": entry.get("when")})
    for rule in db.session.execute(select(RoutingRule)).scalars():
        reads = {CONDITION_ELEMENTS[k] for k in rule.conditions if k in CONDITION_ELEMENTS}
        reads |= set(rule.conditions.get("elements", {}))
        if reads & set(touched):
            result["routing_rules"].append({"rule": rule.code, "name": rule.name})
    month_ago = utcnow() - timedelta(days=30)
    for (document,) in db.session.execute(select(DeclarationDraft.document)):
        if any(_document_uses(document or {}, e, code) for e in touched) or \
                (kind in ("add_element", "change_requirement") and payload.get("required")):
            result["drafts"] += 1
    rows = db.session.execute(select(Declaration.document).where(
        Declaration.created_at >= month_ago)).yield_per(500)
    result["declarations_30_days"] = sum(
        1 for (document,) in rows if any(_document_uses(document, e, code) for e in touched))
    return result


def describe(kind: str, payload: dict[str, Any]) -> str:
    what = payload.get("id") or f"{payload.get('code')} in {str(payload.get('list', '')).upper()}"
    if kind == "change_requirement":
        return f"{what}: {'required' if payload.get('required') else 'optional'}" + \
            (f" (required when {payload['required_when']})" if payload.get("required_when") else "")
    if kind in ("add_code", "retire_code"):
        verb = "Add" if kind == "add_code" else "Retire"
        label = f" ({payload['label']})" if payload.get("label") else ""
        if str(payload.get("list", "")).upper() == TARIFF:
            return f"{verb} national tariff line {payload.get('code')}{label}"
        return f"{verb} code {payload.get('code')}{label} in the list {payload.get('list')}"
    return f"{KINDS.get(kind, kind)}: {what}"


def propose(kind: str, payload: dict[str, Any], reason: str, proposed_by: str) -> ChangeProposal:
    """Record a proposal, refused now if approving it could not give a usable profile."""
    if kind not in KINDS:
        raise ProposalError(f"kind: choose one of {', '.join(KINDS)}")
    if not isinstance(payload, dict):
        raise ProposalError("payload: describe the change as an object")
    if not reason.strip():
        raise ProposalError("reason: say why the change is needed")
    _check(apply(service.Content.of(_base()), kind, payload))
    proposal = ChangeProposal(kind=kind, payload=payload, reason=reason.strip()[:2000],
                              summary=describe(kind, payload), proposed_by=proposed_by,
                              impact=impact(kind, payload), proposed_at=utcnow())
    db.session.add(proposal)
    db.session.flush()
    audit.record(proposed_by, "catalogue.propose", f"proposal:{proposal.id}", proposal.summary,
                 kind=kind, payload=payload)
    return proposal


def approve(proposal: ChangeProposal, decided_by: str, comment: str,
            effective_from: datetime | None = None) -> ProfileVersion:
    """Publish the next version with the change, in force from `effective_from`."""
    _decidable(proposal, decided_by)
    effective_from = effective_from or utcnow()
    content = _check(apply(service.Content.of(_base()), proposal.kind, proposal.payload))
    version = service.publish(content, notes=f"proposal {proposal.id}: {proposal.summary}",
                              effective_from=effective_from)
    proposal.status, proposal.decided_by, proposal.decided_at = "approved", decided_by, utcnow()
    proposal.decision_comment, proposal.effective_from = comment.strip(), effective_from
    proposal.version_id = version.id
    audit.record(decided_by, "catalogue.approve", f"proposal:{proposal.id}",
                 f"published version {version.version}, in force from "
                 f"{effective_from.isoformat(timespec='minutes')}", comment=comment)
    return version


def reject(proposal: ChangeProposal, decided_by: str, comment: str) -> None:
    _decidable(proposal, decided_by)
    if not comment.strip():
        raise ProposalError("comment: say why, so the proposer can do better")
    proposal.status, proposal.decided_by, proposal.decided_at = "rejected", decided_by, utcnow()
    proposal.decision_comment = comment.strip()
    audit.record(decided_by, "catalogue.reject", f"proposal:{proposal.id}", comment.strip())


def _decidable(proposal: ChangeProposal, decided_by: str) -> None:
    if proposal.status != "open":
        raise ProposalError(f"this proposal is already {proposal.status}")
    if decided_by == proposal.proposed_by:
        raise ProposalError("the data committee decides: not the person who proposed it")
