"""follow-ups, cohorts, pseudonyms

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 21:38:22.236420
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cohorts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bot.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_cohorts_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohorts')),
    sa.UniqueConstraint('code', name=op.f('uq_cohorts_code'))
    )
    op.create_table('cohort_members',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', bot.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_members_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cohort_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', 'user_id', name=op.f('pk_cohort_members'))
    )
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.create_index('ix_cohort_members_user_id', ['user_id'], unique=False)

    op.create_table('quiz_cohorts',
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_quiz_cohorts_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_cohorts_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('quiz_id', 'cohort_id', name=op.f('pk_quiz_cohorts'))
    )
    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', bot.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bot.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('lease_until', bot.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', bot.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', bot.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_followups_item_id_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_followups_skill_id_skills')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_followups_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followups'))
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index('ix_followups_status_due_at', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_followups_user_id', ['user_id'], unique=False)
        batch_op.create_index('uq_followups_open_user_skill', ['user_id', 'skill_id'], unique=True, sqlite_where=sa.text("status IN ('pending', 'claimed')"), postgresql_where=sa.text("status IN ('pending', 'claimed')"))

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_answers_followup_id'), ['followup_id'])
        batch_op.create_foreign_key(batch_op.f('fk_answers_followup_id_followups'), 'followups', ['followup_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pseudonym', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False))
        batch_op.add_column(sa.Column('window_start_hour', sa.Integer(), server_default='9', nullable=False))
        batch_op.add_column(sa.Column('window_end_hour', sa.Integer(), server_default='21', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_users_pseudonym'), ['pseudonym'])

    # Existing users get a random pseudonym too.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE users SET pseudonym = substr(md5(random()::text || id::text), 1, 12)")
    else:
        op.execute("UPDATE users SET pseudonym = lower(hex(randomblob(6)))")



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_pseudonym'), type_='unique')
        batch_op.drop_column('window_end_hour')
        batch_op.drop_column('window_start_hour')
        batch_op.drop_column('timezone')
        batch_op.drop_column('pseudonym')

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_answers_followup_id_followups'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_answers_followup_id'), type_='unique')
        batch_op.drop_column('followup_id')

    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('uq_followups_open_user_skill', sqlite_where=sa.text("status IN ('pending', 'claimed')"), postgresql_where=sa.text("status IN ('pending', 'claimed')"))
        batch_op.drop_index('ix_followups_user_id')
        batch_op.drop_index('ix_followups_status_due_at')

    op.drop_table('followups')
    op.drop_table('quiz_cohorts')
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_members_user_id')

    op.drop_table('cohort_members')
    op.drop_table('cohorts')
