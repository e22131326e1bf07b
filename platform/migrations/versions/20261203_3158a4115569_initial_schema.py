"""initial schema

Revision ID: 3158a4115569
Revises: 
Create Date: 2026-12-03 16:18:47.176576

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import singlewindow.platform.db.types

# revision identifiers, used by Alembic.
revision = '3158a4115569'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('countries',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_countries'))
    )
    op.create_table('currencies',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('numeric_code', sa.String(length=3), nullable=False),
    sa.Column('minor_unit', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_currencies'))
    )
    op.create_table('hs_codes',
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('parent', sa.String(length=10), nullable=True),
    sa.Column('section', sa.String(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_hs_codes'))
    )
    op.create_table('hs_sections',
    sa.Column('section', sa.String(length=8), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('section', name=op.f('pk_hs_sections'))
    )
    op.create_table('locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locode', sa.String(length=5), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_ascii', sa.String(length=128), nullable=False),
    sa.Column('subdivision', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=2), nullable=False),
    sa.Column('function', sa.String(length=8), nullable=False),
    sa.Column('coordinates', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations'))
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.create_index('ix_locations_locode', ['locode'], unique=False)

    op.create_table('operator_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_users')),
    sa.UniqueConstraint('email', name=op.f('uq_operator_users_email'))
    )
    op.create_table('package_types',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=2), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_package_types'))
    )
    op.create_table('reference_datasets',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('loaded_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_reference_datasets'))
    )
    op.create_table('tenants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=200), nullable=False),
    sa.Column('template', sa.String(length=63), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('theme', sa.String(length=63), nullable=False),
    sa.Column('branding', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('languages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('custom_domain', sa.String(length=253), nullable=True),
    sa.Column('plan_code', sa.String(length=63), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('provisioned_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants')),
    sa.UniqueConstraint('custom_domain', name=op.f('uq_tenants_custom_domain')),
    sa.UniqueConstraint('slug', name=op.f('uq_tenants_slug'))
    )
    op.create_table('units',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=2), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_units'))
    )
    op.create_table('agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agencies_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_agencies_tenant_id_code')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_agencies_tenant_id_id'))
    )
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agencies_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('catalogue_profile_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('master_version', sa.String(length=16), nullable=False),
    sa.Column('elements', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('published_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('effective_from', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_catalogue_profile_versions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_profile_versions')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_catalogue_profile_versions_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'version', name=op.f('uq_catalogue_profile_versions_tenant_id_version'))
    )
    with op.batch_alter_table('catalogue_profile_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_profile_versions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('companies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tax_id', sa.String(length=35), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_companies_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companies')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_companies_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'tax_id', name=op.f('uq_companies_tenant_id_tax_id'))
    )
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_companies_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('func', sa.String(length=200), nullable=False),
    sa.Column('args', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('job_id', sa.String(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('available_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_outbox_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_available_at'), ['available_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('provisioning_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('started_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('finished_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_provisioning_steps_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provisioning_steps')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_provisioning_steps_tenant_id_name'))
    )
    with op.batch_alter_table('provisioning_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provisioning_steps_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('usage_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('occurred_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('reported_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_usage_events_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_events')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name=op.f('uq_usage_events_tenant_id_idempotency_key'))
    )
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_events_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_events_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('connectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('endpoint', sa.String(length=500), nullable=False),
    sa.Column('auth', sa.String(length=16), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('timeout_seconds', sa.Integer(), nullable=False),
    sa.Column('message_set', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('field_map', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('health', sa.String(length=16), nullable=False),
    sa.Column('health_checked_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('health_detail', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name=op.f('fk_connectors_tenant_id_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_connectors_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connectors')),
    sa.UniqueConstraint('tenant_id', 'agency_id', name=op.f('uq_connectors_tenant_id_agency_id')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_connectors_tenant_id_id'))
    )
    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connectors_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('declarations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('profile_version_id', sa.Integer(), nullable=False),
    sa.Column('shipment_ref', sa.String(length=35), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('submitted_by', sa.String(length=200), nullable=False),
    sa.Column('exporter_name', sa.String(length=200), nullable=False),
    sa.Column('destination_country', sa.String(length=2), nullable=False),
    sa.Column('transport_mode', sa.String(length=1), nullable=False),
    sa.Column('invoice_currency', sa.String(length=3), nullable=False),
    sa.Column('total_value', singlewindow.platform.db.types.DecimalType(22, 3), nullable=True),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('final_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'company_id'], ['companies.tenant_id', 'companies.id'], name=op.f('fk_declarations_tenant_id_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'profile_version_id'], ['catalogue_profile_versions.tenant_id', 'catalogue_profile_versions.id'], name=op.f('fk_declarations_tenant_id_profile_version_id_catalogue_profile_versions')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_declarations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declarations')),
    sa.UniqueConstraint('tenant_id', 'company_id', 'shipment_ref', name=op.f('uq_declarations_tenant_id_company_id_shipment_ref')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_declarations_tenant_id_id'))
    )
    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declarations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_declarations_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_declarations_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('oauth_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name=op.f('fk_oauth_clients_tenant_id_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'company_id'], ['companies.tenant_id', 'companies.id'], name=op.f('fk_oauth_clients_tenant_id_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_oauth_clients_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_clients')),
    sa.UniqueConstraint('client_id', name=op.f('uq_oauth_clients_client_id')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_oauth_clients_tenant_id_id'))
    )
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_clients_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('conditions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name=op.f('fk_routing_rules_tenant_id_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_routing_rules_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_routing_rules_tenant_id_code')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_routing_rules_tenant_id_id'))
    )
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rules_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name=op.f('fk_users_tenant_id_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'company_id'], ['companies.tenant_id', 'companies.id'], name=op.f('fk_users_tenant_id_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_users_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('tenant_id', 'email', name=op.f('uq_users_tenant_id_email')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_users_tenant_id_id'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('agency_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('message_key', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('agency_reference', sa.String(length=100), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.Column('answer_reason', sa.Text(), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('answered_at', singlewindow.platform.db.types.UTCDateTime(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name=op.f('fk_agency_submissions_tenant_id_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'declaration_id'], ['declarations.tenant_id', 'declarations.id'], name=op.f('fk_agency_submissions_tenant_id_declaration_id_declarations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agency_submissions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_submissions')),
    sa.UniqueConstraint('message_key', name=op.f('uq_agency_submissions_message_key')),
    sa.UniqueConstraint('tenant_id', 'declaration_id', 'agency_id', name=op.f('uq_agency_submissions_tenant_id_declaration_id_agency_id')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_agency_submissions_tenant_id_id'))
    )
    with op.batch_alter_table('agency_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_submissions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('idempotency_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'declaration_id'], ['declarations.tenant_id', 'declarations.id'], name=op.f('fk_idempotency_records_tenant_id_declaration_id_declarations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_idempotency_records_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('tenant_id', 'owner', 'key', name=op.f('uq_idempotency_records_tenant_id_owner_key'))
    )
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_records_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('oauth_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('client_ref', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.Integer(), nullable=False),
    sa.Column('expires_in', sa.Integer(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'client_ref'], ['oauth_clients.tenant_id', 'oauth_clients.id'], name=op.f('fk_oauth_tokens_tenant_id_client_ref_oauth_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_oauth_tokens_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_oauth_tokens_token_hash'))
    )
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_tokens_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('declaration_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'declaration_id'], ['declarations.tenant_id', 'declarations.id'], name=op.f('fk_declaration_events_tenant_id_declaration_id_declarations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'submission_id'], ['agency_submissions.tenant_id', 'agency_submissions.id'], name=op.f('fk_declaration_events_tenant_id_submission_id_agency_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_declaration_events_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_events')),
    sa.UniqueConstraint('tenant_id', 'external_id', name=op.f('uq_declaration_events_tenant_id_external_id'))
    )
    with op.batch_alter_table('declaration_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_events_tenant_id'), ['tenant_id'], unique=False)



def downgrade():
    with op.batch_alter_table('declaration_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_events_tenant_id'))

    op.drop_table('declaration_events')
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_tenant_id'))

    op.drop_table('oauth_tokens')
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_records_tenant_id'))

    op.drop_table('idempotency_records')
    with op.batch_alter_table('agency_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_submissions_tenant_id'))

    op.drop_table('agency_submissions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_tenant_id'))

    op.drop_table('users')
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rules_tenant_id'))

    op.drop_table('routing_rules')
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_clients_tenant_id'))

    op.drop_table('oauth_clients')
    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declarations_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_declarations_status'))
        batch_op.drop_index(batch_op.f('ix_declarations_created_at'))

    op.drop_table('declarations')
    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connectors_tenant_id'))

    op.drop_table('connectors')
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_events_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_usage_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_usage_events_kind'))

    op.drop_table('usage_events')
    with op.batch_alter_table('provisioning_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provisioning_steps_tenant_id'))

    op.drop_table('provisioning_steps')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_available_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_companies_tenant_id'))

    op.drop_table('companies')
    with op.batch_alter_table('catalogue_profile_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_profile_versions_tenant_id'))

    op.drop_table('catalogue_profile_versions')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agencies_tenant_id'))

    op.drop_table('agencies')
    op.drop_table('units')
    op.drop_table('tenants')
    op.drop_table('reference_datasets')
    op.drop_table('package_types')
    op.drop_table('operator_users')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_index('ix_locations_locode')

    op.drop_table('locations')
    op.drop_table('hs_sections')
    op.drop_table('hs_codes')
    op.drop_table('currencies')
    op.drop_table('countries')
