"""transparency log: head, leaves, subjects, nodes, checkpoints, keys; token station

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    head = op.create_table('ledger_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('frontier', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_head'))
    )
    op.create_table('ledger_leaves',
    sa.Column('leaf_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entry', sa.LargeBinary(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reason_salt', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('leaf_index', name=op.f('pk_ledger_leaves'))
    )
    op.create_table('ledger_subjects',
    sa.Column('leaf_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('salt', sa.LargeBinary(), nullable=False),
    sa.Column('commitment', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('leaf_index', 'position', name=op.f('pk_ledger_subjects'))
    )
    with op.batch_alter_table('ledger_subjects', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_subjects_kind_record', ['kind', 'record_id'], unique=False)

    op.create_table('ledger_nodes',
    sa.Column('node_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('node_id', name=op.f('pk_ledger_nodes'))
    )
    op.create_table('ledger_checkpoints',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('root_hash', sa.LargeBinary(), nullable=False),
    sa.Column('key_kid', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_checkpoints'))
    )
    with op.batch_alter_table('ledger_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_checkpoints_size'), ['size'], unique=False)

    op.create_table('ledger_keys',
    sa.Column('kid', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_ledger_keys'))
    )
    with op.batch_alter_table('auth_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('station_code', sa.String(length=32), nullable=True))

    # The empty log: size 0, no frontier. The repository recreates this row if a
    # test truncates the table, but a migrated database always has it.
    op.bulk_insert(head, [{'id': 1, 'size': 0, 'frontier': b''}])


def downgrade() -> None:
    with op.batch_alter_table('auth_tokens', schema=None) as batch_op:
        batch_op.drop_column('station_code')

    op.drop_table('ledger_keys')
    with op.batch_alter_table('ledger_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_checkpoints_size'))

    op.drop_table('ledger_checkpoints')
    op.drop_table('ledger_nodes')
    with op.batch_alter_table('ledger_subjects', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_subjects_kind_record')

    op.drop_table('ledger_subjects')
    op.drop_table('ledger_leaves')
    op.drop_table('ledger_head')
