"""turns and the outbox: versioned state, outbox, office questions, unreachable users, who wrote an update

Revision ID: 0002_turns_outbox
Revises: 0001
Create Date: 2026-11-26
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0002_turns_outbox'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_key', sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f('ix_processed_updates_user_key'), ['user_key'], unique=False)

    outbox = op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedup_key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_not_before'), ['not_before'], unique=False)

    op.create_table('office_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=128), nullable=False),
    sa.Column('asker_name', sa.String(length=256), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.String(length=160), nullable=True),
    sa.Column('answerer_name', sa.String(length=256), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('office_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_questions_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_office_questions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_office_questions_created_at'), ['created_at'], unique=False)

    # Replies kept by the old pipeline for a later try become outbox messages, so an
    # upgrade in the middle of an outage loses none of them.
    bind = op.get_bind()
    inbox = sa.table('processed_updates', sa.column('id', sa.Integer), sa.column('channel', sa.String),
                     sa.column('update_key', sa.String), sa.column('status', sa.String),
                     sa.column('payload', sa.JSON), sa.column('created_at', sa.DateTime(timezone=True)))
    rows = bind.execute(sa.select(inbox.c.id, inbox.c.channel, inbox.c.update_key, inbox.c.payload,
                                  inbox.c.created_at).where(inbox.c.status == 'undelivered')).all()
    for row in rows:
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload or "{}")
        for i, reply in enumerate(payload.get("replies") or []):
            op.bulk_insert(outbox, [{
                'dedup_key': f"{row.channel}:{row.update_key}:r{i}", 'channel': row.channel,
                'chat_id': str(payload.get("chat_id")), 'kind': 'reply',
                'payload': {"reply": reply, "seq": i, "question": payload.get("question") or ""},
                'status': 'pending', 'not_before': row.created_at, 'attempts': 0, 'created_at': row.created_at}])
        bind.execute(sa.update(inbox).where(inbox.c.id == row.id).values(status='done', payload=None))


def downgrade() -> None:
    with op.batch_alter_table('office_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_questions_created_at'))
        batch_op.drop_index(batch_op.f('ix_office_questions_status'))
        batch_op.drop_index(batch_op.f('ix_office_questions_user_id'))
    op.drop_table('office_questions')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_not_before'))
        batch_op.drop_index(batch_op.f('ix_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_chat_id'))
    op.drop_table('outbox')
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_updates_user_key'))
        batch_op.drop_column('user_key')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('unreachable_at')
    with op.batch_alter_table('conversation_states', schema=None) as batch_op:
        batch_op.drop_column('version')
