"""Admin-set passwords must be changed at the next login (issue 13): users.password_change_required,
set when an admin creates an account with a shown password or resets one, cleared when the person
changes their own password. Existing accounts are not asked to change (false).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:35:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A database adopted from before migrations (storage.database.migrate) got its tables from the
# current models, with this column already.
COLUMN = sa.Column("password_change_required", sa.Boolean(), server_default=sa.false(), nullable=False)


def upgrade() -> None:
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("users")}
    if COLUMN.name not in present:
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.add_column(COLUMN)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_change_required")
