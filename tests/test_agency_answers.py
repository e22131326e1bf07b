"""Agencies answering through the agency API: signed, once, in order."""

import json
import time
import uuid

import pytest
from sqlalchemy import delete, select

from singlewindow.platform.auth.models import Company
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.declarations import service
from singlewindow.platform.declarations.models import AgencySubmission, DeclarationEvent
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks.outbox import OutboxMessage
from singlewindow.tenants.connectors import signing

from helpers import client_for, declaration_payload


@pytest.fixture
def quiet_submission(platform, fresh_window):
    """A declaration whose deliveries are not sent (no relay), so the test plays the
    agency itself."""
    with tenant_context(fresh_window.tenant_id):
        company = db.session.execute(select(Company)).scalars().first()
        d = service.submit(company, declaration_payload(fresh_window), source="api", actor="t")
        db.session.flush()
        # Take the delivery jobs back out: here the test plays every agency itself.
        db.session.execute(delete(OutboxMessage).where(
            OutboxMessage.tenant_id == fresh_window.tenant_id))
        db.session.commit()
        db.session.info.pop("outbox_committed", None)
        subs = {s.agency.code: s for s in d.submissions}
        return fresh_window, d.id, {c: (s.id, s.message_key) for c, s in subs.items()}


def answer(client, secret, agency, message_key, status, sequence, event_id=None, tamper=False,
           timestamp=None):
    body = json.dumps({"message_id": message_key, "event_id": event_id or str(uuid.uuid4()),
                       "sequence": sequence, "status": status, "reason": f"{status} by test",
                       "reference": "REF-1"}).encode()
    signature = signing.sign(secret, body, timestamp)
    if tamper:
        body = body.replace(b"by test", b"by evil")
    return client.post("/api/v1/agency/answers", data=body, headers={
        "Content-Type": "application/json", "X-SW-Agency": agency, signing.HEADER: signature})


def submission(window, submission_id):
    with tenant_context(window.tenant_id):
        return db.session.execute(
            select(AgencySubmission).where(AgencySubmission.id == submission_id)
            .execution_options(populate_existing=True)).scalar_one()


def test_unsigned_tampered_stale_or_unknown_answers_are_refused(platform, quiet_submission, ctx):
    window, _, subs = quiet_submission
    secret = platform.app.config["SIMULATOR_SECRET"]
    client = client_for(platform.app, window, platform)
    _, key = subs["kephis"]
    assert answer(client, "wrong-secret", "kephis", key, "released", 1).status_code == 401
    assert answer(client, secret, "kephis", key, "released", 1, tamper=True).status_code == 401
    stale = int(time.time()) - 3600
    assert answer(client, secret, "kephis", key, "released", 1, timestamp=stale).status_code == 401
    assert answer(client, secret, "nobody", key, "released", 1).status_code == 401
    # A valid agency cannot answer for a message it was not sent.
    _, customs_key = subs["kra-customs"]
    assert answer(client, secret, "kephis", customs_key, "released", 1).status_code == 404
    assert submission(window, subs["kephis"][0]).status == "queued"


def test_repeated_answer_is_recorded_once(platform, quiet_submission, ctx):
    window, _, subs = quiet_submission
    secret = platform.app.config["SIMULATOR_SECRET"]
    client = client_for(platform.app, window, platform)
    sub_id, key = subs["kephis"]
    event = str(uuid.uuid4())
    first = answer(client, secret, "kephis", key, "inspect", 1, event_id=event)
    again = answer(client, secret, "kephis", key, "inspect", 1, event_id=event)
    assert first.get_json()["recorded"] is True and again.get_json()["recorded"] is False
    with tenant_context(window.tenant_id):
        events = db.session.execute(select(DeclarationEvent).where(
            DeclarationEvent.submission_id == sub_id, DeclarationEvent.kind == "answer")).all()
    assert len(events) == 1


def test_late_answer_does_not_undo_a_newer_one(platform, quiet_submission, ctx):
    window, _, subs = quiet_submission
    secret = platform.app.config["SIMULATOR_SECRET"]
    client = client_for(platform.app, window, platform)
    sub_id, key = subs["kephis"]
    answer(client, secret, "kephis", key, "released", 2)
    answer(client, secret, "kephis", key, "inspect", 1)  # arrives late
    assert submission(window, sub_id).status == "released"


def test_status_released_only_when_every_required_agency_released(platform, quiet_submission, ctx):
    window, _, subs = quiet_submission
    secret = platform.app.config["SIMULATOR_SECRET"]
    client = client_for(platform.app, window, platform)
    required = ["kra-customs", "kephis", "afa", "kpa"]
    statuses = []
    for code in required:
        body = answer(client, secret, code, subs[code][1], "released", 1).get_json()
        statuses.append(body["declaration_status"])
    assert "released" not in statuses[:-1] and statuses[-1] == "released"
    # The statistics office (for information) never answered; it does not block release.
    assert submission(window, subs["knbs"][0]).status == "queued"


def test_one_rejection_rejects_the_declaration(platform, quiet_submission, ctx):
    window, _, subs = quiet_submission
    secret = platform.app.config["SIMULATOR_SECRET"]
    client = client_for(platform.app, window, platform)
    answer(client, secret, "kra-customs", subs["kra-customs"][1], "released", 1)
    body = answer(client, secret, "kephis", subs["kephis"][1], "rejected", 1).get_json()
    assert body["declaration_status"] == "rejected"
