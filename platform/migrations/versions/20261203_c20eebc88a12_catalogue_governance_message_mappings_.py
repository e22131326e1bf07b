"""catalogue governance, message mappings, declaration drafts

Connectors' message sets and field maps move into versioned message mappings (version 1
of each, pinned to the tenant's newest profile version). Published profile versions
become immutable in the database. The new tenant-owned tables get row-level security.

Revision ID: c20eebc88a12
Revises: 72d10dd12865
Create Date: 2026-12-03 18:34:17.518565

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import singlewindow.platform.db.types

# revision identifiers, used by Alembic.
revision = 'c20eebc88a12'
down_revision = '72d10dd12865'
branch_labels = None
depends_on = None

NEW_TENANT_TABLES = ("catalogue_change_proposals", "declaration_drafts", "message_mappings")


def upgrade():
    op.create_table('catalogue_change_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposed_by', sa.String(length=254), nullable=False),
    sa.Column('proposed_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('impact', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('decided_by', sa.String(length=254), nullable=False),
    sa.Column('decision_comment', sa.Text(), nullable=False),
    sa.Column('decided_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('effective_from', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'version_id'], ['catalogue_profile_versions.tenant_id', 'catalogue_profile_versions.id'], name=op.f('fk_catalogue_change_proposals_tenant_id_version_id_catalogue_profile_versions')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_catalogue_change_proposals_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_change_proposals')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_catalogue_change_proposals_tenant_id_id'))
    )
    with op.batch_alter_table('catalogue_change_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_change_proposals_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalogue_change_proposals_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('declaration_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('shipment_ref', sa.String(length=100), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'company_id'], ['companies.tenant_id', 'companies.id'], name=op.f('fk_declaration_drafts_tenant_id_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_declaration_drafts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_drafts'))
    )
    with op.batch_alter_table('declaration_drafts', schema=None) as batch_op:
        batch_op.create_index('ix_declaration_drafts_tenant_company', ['tenant_id', 'company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_drafts_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('message_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('profile_version_id', sa.Integer(), nullable=False),
    sa.Column('all_elements', sa.Boolean(), nullable=False),
    sa.Column('elements', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('effective_from', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'connector_id'], ['connectors.tenant_id', 'connectors.id'], name=op.f('fk_message_mappings_tenant_id_connector_id_connectors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'profile_version_id'], ['catalogue_profile_versions.tenant_id', 'catalogue_profile_versions.id'], name=op.f('fk_message_mappings_tenant_id_profile_version_id_catalogue_profile_versions')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_message_mappings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_mappings')),
    sa.UniqueConstraint('tenant_id', 'connector_id', 'version', name=op.f('uq_message_mappings_tenant_id_connector_id_version'))
    )
    with op.batch_alter_table('message_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_mappings_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('catalogue_profile_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('national_elements', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('code_lists', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('tariff_lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='{}'))

    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:  # row-level security binds the owner too: this step reads every tenant
        op.execute("SELECT set_config('app.platform_wide', 'on', true)")
    connectors = sa.table("connectors", sa.column("id"), sa.column("tenant_id"),
                          sa.column("message_set", sa.JSON), sa.column("field_map", sa.JSON))
    versions = sa.table("catalogue_profile_versions", sa.column("id"), sa.column("tenant_id"))
    mappings = sa.table(
        "message_mappings", sa.column("tenant_id"), sa.column("connector_id"),
        sa.column("version"), sa.column("profile_version_id"), sa.column("all_elements"),
        sa.column("elements", sa.JSON), sa.column("notes"), sa.column("created_by"),
        sa.column("created_at", singlewindow.platform.db.types.UTCDateTime()),
        sa.column("effective_from", singlewindow.platform.db.types.UTCDateTime()))
    newest = dict(bind.execute(sa.select(versions.c.tenant_id, sa.func.max(versions.c.id))
                               .group_by(versions.c.tenant_id)).all())
    now = datetime.now(UTC)
    for connector_id, tenant_id, message_set, field_map in bind.execute(sa.select(connectors)):
        if tenant_id not in newest:
            continue
        field_map = field_map or {}
        bind.execute(mappings.insert().values(
            tenant_id=tenant_id, connector_id=connector_id, version=1,
            profile_version_id=newest[tenant_id], all_elements=not message_set,
            elements=[{"id": e, **({"field": field_map[e]} if e in field_map else {})}
                      for e in (message_set or [])],
            notes="from the connector's message set", created_by="migration",
            created_at=now, effective_from=now))

    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.drop_column('message_set')
        batch_op.drop_column('field_map')

    if postgres:
        op.execute("""
            CREATE FUNCTION profile_version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.status = 'published' THEN
                    RAISE EXCEPTION 'a published catalogue profile version never changes';
                END IF;
                RETURN NEW;
            END $$""")
        op.execute("""CREATE TRIGGER profile_version_frozen BEFORE UPDATE
                      ON catalogue_profile_versions FOR EACH ROW
                      EXECUTE FUNCTION profile_version_frozen()""")
        for table in NEW_TENANT_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"""CREATE POLICY tenant_isolation ON {table}
                           USING (app_tenant_visible(tenant_id))
                           WITH CHECK (app_tenant_visible(tenant_id))""")
    else:
        op.execute("""CREATE TRIGGER profile_version_frozen BEFORE UPDATE
                      ON catalogue_profile_versions WHEN OLD.status = 'published'
                      BEGIN SELECT RAISE(ABORT,
                          'a published catalogue profile version never changes'); END""")



def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS profile_version_frozen ON catalogue_profile_versions")
        op.execute("DROP FUNCTION IF EXISTS profile_version_frozen()")
    else:
        op.execute("DROP TRIGGER IF EXISTS profile_version_frozen")
    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field_map', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('message_set', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('catalogue_profile_versions', schema=None) as batch_op:
        batch_op.drop_column('tariff_lines')
        batch_op.drop_column('code_lists')
        batch_op.drop_column('national_elements')

    with op.batch_alter_table('message_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_mappings_tenant_id'))

    op.drop_table('message_mappings')
    with op.batch_alter_table('declaration_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_drafts_tenant_id'))
        batch_op.drop_index('ix_declaration_drafts_tenant_company')

    op.drop_table('declaration_drafts')
    with op.batch_alter_table('catalogue_change_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_change_proposals_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_catalogue_change_proposals_status'))

    op.drop_table('catalogue_change_proposals')
