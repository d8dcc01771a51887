"""the Office's edits to the content (versions over the repository's YAML), and its
decisions on unanswered questions

Revision ID: 0008_content_edits
Revises: 0007_console_sessions
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_content_edits'
down_revision = '0007_console_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('content_edits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('repo_hash', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('by', sa.String(length=160), nullable=False),
    sa.Column('by_name', sa.String(length=256), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_id', 'base_version', name='uq_content_edits_entry_base')
    )
    op.create_index('ix_content_edits_entry_id', 'content_edits', ['entry_id'])
    op.create_table('content_gap_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=True),
    sa.Column('by', sa.String(length=160), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_content_gap_decisions_decision', 'content_gap_decisions', ['decision'])


def downgrade() -> None:
    op.drop_index('ix_content_gap_decisions_decision', table_name='content_gap_decisions')
    op.drop_table('content_gap_decisions')
    op.drop_index('ix_content_edits_entry_id', table_name='content_edits')
    op.drop_table('content_edits')
