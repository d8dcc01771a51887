"""officers' console: one-time sign-in links, sessions, audit of officers' acts

Revision ID: 0007_console_sessions
Revises: 0006_profile_leader_unknown
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_console_sessions'
down_revision = '0006_profile_leader_unknown'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_logins',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('officer', sa.String(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_table('console_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('officer', sa.String(length=160), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=256), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index('ix_console_sessions_officer', 'console_sessions', ['officer'])
    op.create_table('console_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('officer', sa.String(length=160), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_console_audit_officer', 'console_audit', ['officer'])
    op.create_index('ix_console_audit_at', 'console_audit', ['at'])


def downgrade() -> None:
    op.drop_index('ix_console_audit_at', table_name='console_audit')
    op.drop_index('ix_console_audit_officer', table_name='console_audit')
    op.drop_table('console_audit')
    op.drop_index('ix_console_sessions_officer', table_name='console_sessions')
    op.drop_table('console_sessions')
    op.drop_table('console_logins')
