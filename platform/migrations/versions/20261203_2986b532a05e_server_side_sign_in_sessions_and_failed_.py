"""server-side sign-in sessions and failed sign-ins

Revision ID: 2986b532a05e
Revises: 3158a4115569
Create Date: 2026-12-03 17:48:06.238229

"""
from alembic import op
import sqlalchemy as sa
import singlewindow.platform.db.types

# revision identifiers, used by Alembic.
revision = '2986b532a05e'
down_revision = '3158a4115569'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_failures',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_login_failures'))
    )
    op.create_table('login_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('created_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', singlewindow.platform.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_login_sessions'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_subject'), ['subject'], unique=False)



def downgrade():
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_subject'))

    op.drop_table('login_sessions')
    op.drop_table('login_failures')
