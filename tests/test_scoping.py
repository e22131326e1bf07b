"""Tenant scoping at the ORM and the database: what a forgotten filter cannot leak."""

import os

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from singlewindow.platform.auth.models import Company
from singlewindow.platform.db.scoping import (
    TenantNotBound,
    TenantScoped,
    get_in_tenant,
    platform_wide,
    tenant_context,
)
from singlewindow.platform.declarations import service
from singlewindow.platform.declarations.models import AgencySubmission, Declaration
from singlewindow.platform.extensions import db
from singlewindow.tenants.models import Agency

from helpers import declaration_payload

# Platform tables that name a tenant but are read across tenants by platform code.
PLATFORM_TABLES_WITH_TENANT = {"outbox"}


def test_every_table_with_tenant_id_is_tenant_scoped(app):
    scoped = {m.class_.__table__.name for m in db.Model.registry.mappers
              if issubclass(m.class_, TenantScoped)}
    for table in db.metadata.sorted_tables:
        if "tenant_id" in table.columns and table.name not in PLATFORM_TABLES_WITH_TENANT:
            assert table.name in scoped, f"{table.name} has tenant_id but is not TenantScoped"


def test_query_without_a_tenant_is_an_error_not_every_row(ctx):
    with pytest.raises(TenantNotBound):
        db.session.execute(select(Declaration)).all()
    with platform_wide():  # the one visible opt-out
        db.session.execute(select(Declaration)).all()


def test_queries_see_only_the_bound_tenant(ke, shanghai, ctx):
    with tenant_context(ke.tenant_id):
        ke_agencies = {a.code for a in db.session.execute(select(Agency)).scalars()}
    with tenant_context(shanghai.tenant_id):
        sh_agencies = {a.code for a in db.session.execute(select(Agency)).scalars()}
    assert "kephis" in ke_agencies and "kephis" not in sh_agencies
    assert "sipg" in sh_agencies and "sipg" not in ke_agencies


def test_lookup_by_id_of_another_tenant_is_none_even_from_the_identity_map(ke, shanghai, ctx):
    with tenant_context(shanghai.tenant_id):
        agency = db.session.execute(select(Agency)).scalars().first()
    # The Shanghai agency is now in this session's identity map.
    with tenant_context(ke.tenant_id):
        assert get_in_tenant(Agency, agency.id) is None
        assert get_in_tenant(Agency, "not-a-number") is None


def test_rows_are_stamped_with_the_bound_tenant(fresh_window, ctx):
    with tenant_context(fresh_window.tenant_id):
        company = Company(name="Stamped Ltd", tax_id="STAMP-1", country="KE")
        db.session.add(company)
        db.session.commit()
        assert company.tenant_id == fresh_window.tenant_id


def test_writing_another_tenants_row_is_refused(ke, shanghai, ctx):
    with tenant_context(shanghai.tenant_id):
        company = db.session.execute(select(Company)).scalars().first()
    with tenant_context(ke.tenant_id):
        company.name = "Hijacked"
        with pytest.raises(TenantNotBound):
            db.session.flush()
    db.session.rollback()


def test_database_refuses_a_child_pointing_at_another_tenants_parent(ke, shanghai, ctx):
    """The composite foreign keys hold even if application code is wrong."""
    with tenant_context(ke.tenant_id):
        ke_company = db.session.execute(
            select(Company).where(Company.tax_id == ke.company_tax_id)).scalar_one()
        declaration = service.submit(ke_company, declaration_payload(ke), source="api",
                                     actor="test")
        db.session.commit()
        declaration_id = declaration.id
    with tenant_context(shanghai.tenant_id):
        sh_agency = db.session.execute(select(Agency)).scalars().first()
        # Forge a submission of Shanghai's tenant onto a Kenyan declaration id.
        db.session.add(AgencySubmission(declaration_id=declaration_id,
                                        agency_id=sh_agency.id, message_key="forged"))
        with pytest.raises(IntegrityError):
            db.session.flush()
    db.session.rollback()


def test_tenant_scoped_models_relate_through_tenant_and_id(app):
    for mapper in db.Model.registry.mappers:
        if not issubclass(mapper.class_, TenantScoped):
            continue
        for rel in mapper.relationships:
            if issubclass(rel.mapper.class_, TenantScoped):
                cols = {c.name for pair in rel.local_remote_pairs for c in pair}
                assert "tenant_id" in cols, f"{mapper.class_.__name__}.{rel.key} skips tenant_id"
    assert sa_inspect(Declaration).relationships["submissions"]


postgres_only = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                   reason="row-level security is PostgreSQL's")


@postgres_only
def test_every_tenant_table_has_forced_row_level_security(app, ctx):
    scoped = {m.class_.__table__.name for m in db.Model.registry.mappers
              if issubclass(m.class_, TenantScoped)}
    with platform_wide():
        rows = db.session.execute(text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) "
            "FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace"
        )).all()
    protected = {name for name, enabled, forced, policies in rows if enabled and forced and policies}
    assert scoped <= protected, f"without row-level security: {sorted(scoped - protected)}"


@postgres_only
def test_the_app_role_cannot_step_around_the_policies(app, ctx):
    me = db.session.execute(text(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    assert me == (False, False)
    owned = db.session.execute(text(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
        "AND tableowner = current_user")).scalar_one()
    assert owned == 0


@postgres_only
def test_raw_sql_that_forgot_the_tenant_sees_only_its_tenant(ke, shanghai, ctx):
    with tenant_context(ke.tenant_id):
        ke_companies = db.session.execute(text("SELECT tenant_id FROM companies")).scalars().all()
        # Writing a row for another tenant is refused by the database itself.
        with pytest.raises(ProgrammingError, match="row-level security"):
            db.session.execute(text(
                "INSERT INTO companies (tenant_id, name, tax_id, country, created_at) "
                "VALUES (:t, 'Forged', 'FORGED-1', 'KE', now())"), {"t": shanghai.tenant_id})
        db.session.rollback()
    assert ke_companies and set(ke_companies) == {ke.tenant_id}
    nobody = db.session.execute(text("SELECT count(*) FROM companies")).scalar_one()
    assert nobody == 0  # no tenant bound: nothing, not everything
    with platform_wide():
        everyone = db.session.execute(text("SELECT DISTINCT tenant_id FROM companies")).scalars()
        assert {ke.tenant_id, shanghai.tenant_id} <= set(everyone)
