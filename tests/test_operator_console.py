"""The operator's console: provision a window with live progress, invite its first
administrator, retry a failed step; every action in the append-only audit log."""

import email
import email.policy
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from singlewindow.platform.audit import AuditEntry
from singlewindow.platform.auth import service as accounts
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.tenants.models import Agency, ProvisioningStep, Tenant

from helpers import PASSWORD, client_for, csrf, login, login_operator, wait_until

OPERATOR = "console@platform.example"


@pytest.fixture
def operator(platform, ctx):
    accounts.ensure_operator(OPERATOR, "Console Operator", PASSWORD)
    db.session.commit()
    client = client_for(platform.app, None, platform)
    assert login_operator(client, OPERATOR).status_code == 302
    return client


def provision(operator, **fields):
    data = {"template": "gh", "slug": "", "name": "", "region": "", "plan": "",
            "admin_email": "", "custom_domain": "", **fields}
    data["csrf_token"] = csrf(operator, "/operator/tenants/new")
    return operator.post("/operator/tenants/new", data=data)


def test_provision_from_the_console_and_watch_it_go_live(platform, operator):
    slug = "gh-" + uuid.uuid4().hex[:6]
    admin = f"first-admin@{slug}.example"
    response = provision(operator, slug=slug, name="Accra Trade Window", plan="regional",
                         admin_email=admin)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    page = operator.get(response.headers["Location"]).get_data(as_text=True)
    assert "progress.js" in page and 'data-progress="/operator/tenants/' in page

    def live():
        body = operator.get(f"/operator/tenants/{slug}/progress").get_json()
        return body if body["status"] == "active" else None

    body = wait_until(live, 60)
    assert body, "the tenant did not go live"
    assert [s["name"] for s in body["steps"]] == [
        "tenant_record", "catalogue_profile", "agencies_and_routing", "connection_test",
        "theme_and_branding", "billing_account", "first_admin_invitation"]
    assert all(s["status"] == "done" for s in body["steps"])
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()
    assert tenant.name == "Accra Trade Window" and tenant.plan_code == "regional"

    # The first administrator got an e-mail with a link that works once.
    folder = Path(platform.app.instance_path, "mail", f"tenant-{tenant.id}")
    mails = wait_until(lambda: list(folder.glob("*.eml")), 30)  # sent by a notify job
    assert len(mails) == 1
    body = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
    assert body["To"] == admin
    link = re.search(r"(http://\S+/invitations/\S+)", body.get_content()).group(1)
    window = type("W", (), {"slug": slug})()
    invited = client_for(platform.app, window, platform)
    path = "/" + link.split("/", 3)[3]
    form = {"csrf_token": csrf(invited, path), "name": "Ama Mensah",
            "password": "a long enough password", "confirm": "a long enough password"}
    assert invited.post(path, data=form).status_code == 302
    assert invited.get("/admin/agencies").status_code == 200
    assert invited.get(path).status_code == 404  # used: the link works once
    assert login(client_for(platform.app, window, platform), admin,
                 "a long enough password").status_code == 302
    actions = [e.action for e in db.session.execute(select(AuditEntry).where(
        AuditEntry.target == f"tenant:{slug}")).scalars()]
    assert "tenant.provision" in actions


def test_bad_requests_are_refused_before_anything_is_made(platform, windows, operator):
    response = provision(operator, slug="Not A Slug", admin_email="nobody", plan="gold")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#f-slug"' in page and 'href="#f-admin_email"' in page and 'href="#f-plan"' in page
    taken = provision(operator, template="ke", slug="ke")
    assert taken.status_code == 422 and "already exists" in taken.get_data(as_text=True)


def test_a_failed_step_can_be_retried_from_the_console(platform, operator, monkeypatch):
    slug = "retry-" + uuid.uuid4().hex[:6]
    if platform.redis_mode:
        pytest.skip("the failure is injected in this process; workers run the job elsewhere")
    from singlewindow.provisioning import service as provisioning

    real = provisioning._connection_test
    monkeypatch.setattr(provisioning, "_connection_test",
                        lambda t, d: (_ for _ in ()).throw(RuntimeError("network unplugged")))
    provision(operator, template="sg", slug=slug)
    page = operator.get(f"/operator/tenants/{slug}").get_data(as_text=True)
    assert "chip-failed" in page and "network unplugged" in page and "Retry provisioning" in page
    monkeypatch.setattr(provisioning, "_connection_test", real)
    operator.post(f"/operator/tenants/{slug}/retry",
                  data={"csrf_token": csrf(operator, f"/operator/tenants/{slug}")})
    assert wait_until(lambda: operator.get(f"/operator/tenants/{slug}/progress")
                      .get_json()["status"] == "active", 30)
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()
    with tenant_context(tenant.id):
        assert len(db.session.execute(select(Agency)).all()) == 8  # nothing made twice
        steps = db.session.execute(select(ProvisioningStep)).scalars().all()
        assert {s.status for s in steps} == {"done"}


def test_the_audit_log_is_shown_and_cannot_be_rewritten(platform, operator):
    page = operator.get("/operator/audit").get_data(as_text=True)
    assert "operator.sign_in" in page
    entry = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().first()
    with pytest.raises((DBAPIError, IntegrityError)):
        db.session.execute(update(AuditEntry).where(AuditEntry.id == entry.id)
                           .values(summary="nothing happened"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises((DBAPIError, IntegrityError)):
        db.session.execute(text("DELETE FROM audit_log"))
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id) is not None


def test_operator_pages_need_an_operator(platform, ke, ctx):
    anonymous = client_for(platform.app, None, platform)
    for path in ("/operator/", "/operator/tenants/new", "/operator/audit",
                 "/operator/tenants/ke", "/operator/tenants/ke/progress"):
        assert anonymous.get(path).status_code == 302
    tenant_admin = client_for(platform.app, ke, platform)
    login(tenant_admin, ke.admin_email)
    assert tenant_admin.get("/operator/").status_code == 404  # not even on the tenant's host
    outbox.relay()
