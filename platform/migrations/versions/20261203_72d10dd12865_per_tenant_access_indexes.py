"""per-tenant access indexes

Revision ID: 72d10dd12865
Revises: 5b7e2c1d9a40
Create Date: 2026-12-03 18:23:35.852121

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '72d10dd12865'
down_revision = '5b7e2c1d9a40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('declaration_events', schema=None) as batch_op:
        batch_op.create_index('ix_declaration_events_tenant_declaration', ['tenant_id', 'declaration_id'], unique=False)

    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.create_index('ix_declarations_tenant_company_id', ['tenant_id', 'company_id', 'id'], unique=False)
        batch_op.create_index('ix_declarations_tenant_status', ['tenant_id', 'status'], unique=False)

    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.create_index('ix_usage_events_tenant_occurred', ['tenant_id', 'occurred_at'], unique=False)



def downgrade():
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_events_tenant_occurred')

    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.drop_index('ix_declarations_tenant_status')
        batch_op.drop_index('ix_declarations_tenant_company_id')

    with op.batch_alter_table('declaration_events', schema=None) as batch_op:
        batch_op.drop_index('ix_declaration_events_tenant_declaration')

