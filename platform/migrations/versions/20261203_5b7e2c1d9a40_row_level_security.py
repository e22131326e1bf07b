"""row-level security on every tenant-owned table (PostgreSQL)

Every tenant-owned table gets a forced policy: a row is visible and writable only while
the transaction's `app.tenant_id` setting names its tenant, or `app.platform_wide` is
on (the operator's one explicit path). The app sets both per transaction (see
platform/db/rls.py). The app's database role must not own the tables, nor be a
superuser, or PostgreSQL would let it past the policies.

A later migration that adds a tenant-owned table must add it to TENANT_TABLES of its own
(tests/test_scoping.py checks that every such table is covered).

Revision ID: 5b7e2c1d9a40
Revises: c3e54ff27783
Create Date: 2026-12-03 18:10:00

"""
from alembic import op

revision = "5b7e2c1d9a40"
down_revision = "c3e54ff27783"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "agencies", "agency_submissions", "catalogue_profile_versions", "companies", "connectors",
    "declaration_events", "declarations", "idempotency_records", "invitations",
    "oauth_clients", "oauth_tokens", "provisioning_steps", "routing_rules", "usage_events",
    "users",
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION app_tenant_visible(row_tenant integer) RETURNS boolean
        LANGUAGE sql STABLE AS $$
            SELECT coalesce(current_setting('app.platform_wide', true), '') = 'on'
                OR row_tenant = nullif(current_setting('app.tenant_id', true), '')::integer
        $$""")
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""CREATE POLICY tenant_isolation ON {table}
                       USING (app_tenant_visible(tenant_id))
                       WITH CHECK (app_tenant_visible(tenant_id))""")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS app_tenant_visible(integer)")
