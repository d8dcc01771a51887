"""officers added in the console (besides ADMIN_IDS)

Revision ID: 0009_officers
Revises: 0008_content_edits
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_officers'
down_revision = '0008_content_edits'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('officers',
    sa.Column('officer', sa.String(length=160), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=True),
    sa.Column('added_by', sa.String(length=160), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('officer')
    )


def downgrade() -> None:
    op.drop_table('officers')
