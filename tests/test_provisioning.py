"""Provisioning a window from a country template: validated first, in named steps,
idempotent."""

import json

import pytest
from sqlalchemy import delete, func, select

from singlewindow.platform.catalogue.models import ProfileVersion
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.platform.tasks.outbox import OutboxMessage
from singlewindow.provisioning import service as provisioning
from singlewindow.provisioning.service import COUNTRIES_DIR, TemplateError
from singlewindow.tenants.models import Agency, RoutingRule, Tenant

from helpers import client_for, wait_until


@pytest.mark.parametrize("name", provisioning.available_templates())
def test_every_shipped_template_is_valid(ctx, name):
    data = provisioning.load_template(name)
    kinds = {a["kind"] for a in data["agencies"]}
    assert "customs" in kinds and "port" in kinds
    assert kinds & {"sps", "sps_plant", "sps_animal"} and "licensing" in kinds
    assert any("hs_prefixes" in r["conditions"] for r in data["routing_rules"])
    assert any("transport_modes" in r["conditions"] for r in data["routing_rules"])


def _broken(mutate):
    data = json.loads((COUNTRIES_DIR / "ke.json").read_text())
    mutate(data)
    return json.dumps(data)


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d["agencies"][2]["connector"].update(mode="fax"), "agencies.2.connector.mode"),
    (lambda d: d["routing_rules"][1].update(agency="nobody"), "routing_rules.1.agency"),
    (lambda d: d["routing_rules"][0]["conditions"].update(hs_prefixes=["9"]),
     "routing_rules.0.conditions"),
    (lambda d: d["branding"].update(primary="green"), "branding.primary"),
    (lambda d: d["catalogue"]["elements"].insert(3, {"id": "colour"}), "catalogue.elements.3.id"),
    (lambda d: d.pop("agencies"), "agencies"),
])
def test_a_bad_template_is_refused_with_the_path_of_the_bad_field(ctx, mutate, path):
    with pytest.raises(TemplateError) as err:
        provisioning.load_template("ke", source=_broken(mutate))
    assert any(p.startswith(path + ":") for p in err.value.problems), err.value.problems


def test_a_bad_template_creates_nothing(ctx, monkeypatch):
    before = db.session.execute(select(func.count()).select_from(Tenant)).scalar_one()
    monkeypatch.setattr(provisioning, "load_template",
                        lambda name: (_ for _ in ()).throw(TemplateError(name, ["x: broken"])))
    with pytest.raises(provisioning.ProvisioningError, match="template: x: broken"):
        provisioning.start("ke", slug="never-made")
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Tenant)).scalar_one() == before


def test_provisioning_again_changes_nothing(platform, fresh_window, ctx):
    def counts():
        with tenant_context(fresh_window.tenant_id):
            return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                         for m in (Agency, RoutingRule, ProfileVersion))

    before = counts()
    provisioning.start("ke", slug=fresh_window.slug)
    db.session.commit()
    outbox.relay()
    assert wait_until(lambda: db.session.get(Tenant, fresh_window.tenant_id).status == "active")
    assert counts() == before == (10, 10, 1)


@pytest.mark.parametrize("request_, field", [
    (provisioning.TenantRequest("ke", slug="Bad Slug"), "slug"),
    (provisioning.TenantRequest("ke", slug="admin"), "slug"),
    (provisioning.TenantRequest("ke", slug="okslug", plan="gold"), "plan"),
    (provisioning.TenantRequest("ke", slug="okslug", admin_email="nobody"), "admin_email"),
    (provisioning.TenantRequest("ke", slug="okslug", custom_domain="no-dots"), "custom_domain"),
    (provisioning.TenantRequest("atlantis", slug="okslug"), "template"),
])
def test_a_bad_request_names_the_field_and_creates_nothing(ctx, request_, field):
    with pytest.raises(provisioning.ProvisioningError, match=f"^{field}:|; {field}:"):
        provisioning.start(request_.template, request=request_)
    db.session.rollback()
    assert db.session.execute(select(Tenant).where(Tenant.slug == "okslug")).first() is None


def test_a_failed_step_is_recorded_and_resumed(platform, ctx, monkeypatch):
    slug = "resume-test"
    calls = {"n": 0}
    real = provisioning._theme_and_branding

    def flaky(tenant, data):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("branding service unavailable")
        return real(tenant, data)

    monkeypatch.setattr(provisioning, "_theme_and_branding", flaky)
    tenant = provisioning.start("shanghai", slug=slug)
    db.session.flush()
    tenant_id = tenant.id
    # Run the job here, in this process, rather than through the queue.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id))
    db.session.commit()
    db.session.info.pop("outbox_committed", None)
    with tenant_context(tenant_id), pytest.raises(provisioning.ProvisioningError):
        provisioning.run(tenant_id, "shanghai")
    assert db.session.get(Tenant, tenant_id).status == "failed"
    steps = {s.name: s for s in provisioning.steps_of(tenant_id)}
    assert steps["theme_and_branding"].status == "failed"
    assert "branding service unavailable" in steps["theme_and_branding"].detail
    assert steps["catalogue_profile"].status == "done"
    # A window that failed to provision is not served meanwhile.
    window = type("W", (), {"slug": slug})()
    assert client_for(platform.app, window, platform).get("/").status_code == 404
    with tenant_context(tenant_id):
        provisioning.run(tenant_id, "shanghai")
    assert db.session.get(Tenant, tenant_id).status == "active"
    assert calls["n"] == 2
    with tenant_context(tenant_id):
        assert db.session.execute(select(func.count()).select_from(ProfileVersion)).scalar_one() == 1
    assert client_for(platform.app, window, platform).get("/").status_code == 200
