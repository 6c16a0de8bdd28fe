"""learner language, time zone from the language until set, skill translations

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 18:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns are added and dropped in place (recreate="never", SQLite 3.35+): recreating users
# or skills, as batch mode would, drops the old table with foreign keys on, and that deletes
# every answer (ON DELETE CASCADE).


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column('timezone_set', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # "UTC" was the default and is not told apart from a choice; any other zone was chosen.
    op.execute("UPDATE users SET timezone_set = (timezone <> 'UTC')")
    with op.batch_alter_table('skills', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('translations', bot.db.base.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('skills', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('translations')
    # A zone that followed the language is written down, so the learner keeps it.
    op.execute(
        "UPDATE users SET timezone = 'Asia/Phnom_Penh' WHERE NOT timezone_set AND language = 'km'"
    )
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('timezone_set')
        batch_op.drop_column('language')
