"""A window's life after provisioning: suspended and resumed, exported and restored,
retired without a trace; and a custom domain that routes only once verified."""

import json
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from singlewindow.platform import operations
from singlewindow.platform.app import create_app
from singlewindow.platform.auth import service as accounts
from singlewindow.platform.auth import sessions
from singlewindow.platform.db.scoping import platform_wide, tenant_context
from singlewindow.platform.declarations.models import AgencySubmission, Declaration
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks.outbox import OutboxMessage
from singlewindow.tenants import export, lifecycle
from singlewindow.tenants.models import Tenant

from helpers import (
    PASSWORD,
    api_token,
    client_for,
    csrf,
    declaration_payload,
    login,
    login_operator,
    provision_window,
    wait_until,
)


def post_declaration(platform, window, token=None):
    client = client_for(platform.app, window, platform)
    token = token or api_token(client, window)
    return client.post("/api/v1/declarations", data=json.dumps(declaration_payload(window)),
                       headers={"Authorization": f"Bearer {token}",
                                "Content-Type": "application/json"})


def settle(window):
    def done():
        with tenant_context(window.tenant_id):
            return db.session.execute(select(func.count()).select_from(AgencySubmission)
                                      .where(AgencySubmission.sent_at.is_(None))).scalar_one() == 0
    assert wait_until(done, 60)


def test_suspended_window_refuses_new_work_but_shows_its_data(platform, fresh_window, ctx):
    assert post_declaration(platform, fresh_window).status_code == 201
    tenant = db.session.get(Tenant, fresh_window.tenant_id)
    lifecycle.suspend(tenant, "Unpaid invoices since October", "operator:test")
    api = post_declaration(platform, fresh_window)
    assert api.status_code == 403
    assert api.get_json()["error"]["code"] == "window_suspended"
    assert "Unpaid invoices since October" in api.get_json()["error"]["message"]
    trader = client_for(platform.app, fresh_window, platform)
    login(trader, fresh_window.trader_email)
    listing = trader.get("/declarations")
    assert listing.status_code == 200 and "This window is suspended" in listing.get_data(as_text=True)
    form = trader.get("/declarations/new")
    assert form.status_code == 403 and "Unpaid invoices" in form.get_data(as_text=True)
    token = api_token(client_for(platform.app, fresh_window, platform), fresh_window)
    reads = client_for(platform.app, fresh_window, platform).get(
        "/api/v1/declarations", headers={"Authorization": f"Bearer {token}"})
    assert reads.status_code == 200 and reads.get_json()["total"] == 1
    lifecycle.resume(db.session.get(Tenant, fresh_window.tenant_id), "operator:test")
    assert post_declaration(platform, fresh_window).status_code == 201


def tenant_rows(tenant_id):
    """Rows that name the tenant, in every table that has a tenant_id column."""
    counts = {}
    with platform_wide():
        for table in db.metadata.sorted_tables:
            if "tenant_id" in table.columns:
                n = db.session.execute(select(func.count()).select_from(table)
                                       .where(table.c.tenant_id == tenant_id)).scalar_one()
                if n:
                    counts[table.name] = n
    return counts


def test_export_retire_and_restore(platform, ctx, tmp_path):
    window = provision_window(platform, "ke", "life-" + uuid.uuid4().hex[:6])
    for _ in range(2):
        assert post_declaration(platform, window).status_code == 201
    settle(window)
    trader = client_for(platform.app, window, platform)
    login(trader, window.trader_email)
    before = tenant_rows(window.tenant_id)
    assert before["declarations"] == 2 and before["agencies"] == 10

    tenant = db.session.get(Tenant, window.tenant_id)
    with pytest.raises(lifecycle.LifecycleError, match="export"):
        lifecycle.retire(tenant, "operator:test", window.slug)
    archive = export.export(tenant, "operator:test")
    export.save(tenant, archive)
    manifest = export.read_manifest(archive)
    assert manifest["tenant"]["slug"] == window.slug
    assert manifest["tables"]["declarations"]["rows"] == 2
    with pytest.raises(lifecycle.LifecycleError, match="suspend"):
        lifecycle.retire(tenant, "operator:test", window.slug)
    lifecycle.suspend(tenant, "moving to its own platform", "operator:test")
    with pytest.raises(lifecycle.LifecycleError, match="confirm"):
        lifecycle.retire(tenant, "operator:test", "wrong")
    lifecycle.retire(db.session.get(Tenant, window.tenant_id), "operator:test", window.slug)

    # Nothing of the tenant is left: no rows, no jobs, no sessions, no files.
    assert tenant_rows(window.tenant_id) == {}
    with platform_wide():
        assert db.session.get(Tenant, window.tenant_id) is None
        assert not db.session.execute(select(OutboxMessage).where(
            OutboxMessage.tenant_id == window.tenant_id)).first()
        assert not sessions.has_session_prefix(sessions.tenant_prefix(window.tenant_id))
    instance = Path(platform.app.instance_path)
    assert not list(instance.glob(f"exports/{window.slug}--*"))
    assert not (instance / "mail" / f"tenant-{window.tenant_id}").exists()
    if platform.redis_mode:
        redis = Redis.from_url(platform.app.config["REDIS_URL"])
        for name in ("dispatch", "provisioning", "notify", "billing"):
            queue = Queue(name, connection=redis)
            for job in queue.get_jobs():
                assert job.args[2] != window.tenant_id
    assert client_for(platform.app, window, platform).get("/").status_code == 404
    assert trader.get("/declarations").status_code == 404  # the old session leads nowhere

    # The archive brings it back, ids and all.
    restored = export.restore(archive, "operator:test")
    exported = {name: t["rows"] for name, t in manifest["tables"].items() if t["rows"]}
    assert restored.slug == window.slug and tenant_rows(window.tenant_id) == exported
    with pytest.raises(export.RestoreError, match="already exists"):
        export.restore(archive, "operator:test")


def test_an_export_restores_into_an_empty_platform(platform, fresh_window, ctx, tmp_path):
    ke = fresh_window
    assert post_declaration(platform, ke).status_code == 201
    settle(ke)
    archive = export.export(db.session.get(Tenant, ke.tenant_id), "operator:test")
    other = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite",
                        "REDIS_URL": None, "SECRET_KEY": "x", "TESTING": True})
    with other.app_context():
        operations.prepare_database()
        tenant = export.restore(archive, "operator:test")
        with tenant_context(tenant.id):
            theirs = db.session.execute(select(func.count()).select_from(Declaration)).scalar_one()
        db.session.remove()
        db.engine.dispose()
    with tenant_context(ke.tenant_id):
        ours = db.session.execute(select(func.count()).select_from(Declaration)).scalar_one()
    assert theirs == ours > 0


def test_operator_exports_and_retires_from_the_console(platform, ctx):
    accounts.ensure_operator("lifecycle@platform.example", "Ops", PASSWORD)
    db.session.commit()
    window = provision_window(platform, "gh", "bye-" + uuid.uuid4().hex[:6])
    operator = client_for(platform.app, None, platform)
    login_operator(operator, "lifecycle@platform.example")
    page = f"/operator/tenants/{window.slug}"
    operator.post(f"{page}/suspend", data={"csrf_token": csrf(operator, page), "reason": "end"})
    operator.post(f"{page}/export", data={"csrf_token": csrf(operator, page)})
    html = operator.get(page).get_data(as_text=True)
    name = html.split("/exports/")[1].split('"')[0]
    with operator.get(f"{page}/exports/{name}") as download:  # a file response: close it
        assert download.status_code == 200
        assert export.read_manifest(download.data)["tenant"]["slug"] == window.slug
    assert operator.get(f"{page}/exports/../../secret_key").status_code == 404
    done = operator.post(f"{page}/retire", data={"csrf_token": csrf(operator, page),
                                                 "confirm": window.slug})
    assert done.status_code == 302
    listing = operator.get("/operator/").get_data(as_text=True)
    assert f"{window.slug} is retired" in listing  # the flash message ...
    assert f">{window.slug}<" not in listing  # ... and no row of it
    audit_page = operator.get("/operator/audit").get_data(as_text=True)
    for action in ("tenant.suspend", "tenant.export", "tenant.retire"):
        assert action in audit_page


def test_custom_domain_routes_only_once_verified(platform, fresh_window, ctx):
    domain = f"trade-{fresh_window.slug}.localhost"  # resolves to this machine
    admin = client_for(platform.app, fresh_window, platform)
    login(admin, fresh_window.admin_email)
    page = admin.post("/admin/domain", data={"csrf_token": csrf(admin, "/admin/domain"),
                                             "action": "request", "domain": domain})
    assert page.status_code == 200 and "Not verified" in page.get_data(as_text=True)
    tenant = db.session.get(Tenant, fresh_window.tenant_id)
    db.session.refresh(tenant)
    custom = platform.app.test_client()
    host = {"Host": f"{domain}:{platform.port}"}
    assert custom.get("/", headers=host).status_code == 404  # not routed before verification
    proof = custom.get("/.well-known/singlewindow-verification", headers=host)
    assert proof.get_data(as_text=True) == tenant.domain_token
    verified = admin.post("/admin/domain", data={"csrf_token": csrf(admin, "/admin/domain"),
                                                 "action": "verify"})
    assert "is verified" in verified.get_data(as_text=True), verified.get_data(as_text=True)
    home = custom.get("/", headers=host)
    assert home.status_code == 200 and "Kenya" in home.get_data(as_text=True)
    bad = admin.post("/admin/domain", data={"csrf_token": csrf(admin, "/admin/domain"),
                                            "action": "request", "domain": "not a domain"})
    assert bad.status_code == 422
    taken = admin.post("/admin/domain", data={"csrf_token": csrf(admin, "/admin/domain"),
                                              "action": "request", "domain": domain})
    assert taken.status_code == 200  # its own domain again is fine
