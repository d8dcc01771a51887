"""profiles: whether a person leads their unit may be not known yet (NULL)

A profile begun by a good-example report asks name and unit only; its is_leader
was stored as false, the same as an answered "không", so turning reminders on
never asked it. NULL now means "not asked". Existing profiles that began that way
(notice_seen_at is set only by the report's profile steps) and say false become
NULL: their owner is asked once, when they next turn reminders on.

Revision ID: 0006_profile_leader_unknown
Revises: 0005_reports
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_profile_leader_unknown'
down_revision = '0005_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.alter_column('is_leader', existing_type=sa.Boolean(), nullable=True)
    op.execute("UPDATE profiles SET is_leader = NULL WHERE is_leader = false AND notice_seen_at IS NOT NULL")


def downgrade() -> None:
    op.execute("UPDATE profiles SET is_leader = false WHERE is_leader IS NULL")
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.alter_column('is_leader', existing_type=sa.Boolean(), nullable=False)
