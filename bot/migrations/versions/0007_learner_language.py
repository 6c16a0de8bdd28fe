"""learner language, time zone from the language until set, skill translations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 18:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.alter_column(
            'timezone', existing_type=sa.String(length=64), nullable=True, server_default=None
        )
    # "UTC" was the default, never told apart from a choice: a zone nobody set now follows
    # the learner's language (an English speaker's is still UTC).
    op.execute("UPDATE users SET timezone = NULL WHERE timezone = 'UTC'")
    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', bot.db.base.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.drop_column('translations')
    op.execute("UPDATE users SET timezone = 'UTC' WHERE timezone IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column(
            'timezone', existing_type=sa.String(length=64), nullable=False, server_default='UTC'
        )
        batch_op.drop_column('language')
