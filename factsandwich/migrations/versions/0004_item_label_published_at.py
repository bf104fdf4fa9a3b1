"""Items keep their mis/disinformation label apart from their status, and their publication moment.

items.label: a mark (misinformation, disinformation) that later decisions (a response, the approval)
no longer erase; filled from the status of items marked before. items.published_at: `published` parsed
(naive UTC), for the queue's date filter and the dashboard's weeks; filled from the stored strings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00

"""

import datetime as dt
import email.utils
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _published_at(value: str | None) -> dt.datetime | None:
    """As factsandwich.dates.published_at at the time of this revision (a migration does not change)."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("label", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_items_published_at"), ["published_at"], unique=False)
    items = sa.table(
        "items",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("published", sa.String()),
        sa.column("published_at", sa.DateTime()),
        sa.column("label", sa.String()),
    )
    connection = op.get_bind()
    connection.execute(
        items.update()
        .where(items.c.status.in_(("misinformation", "disinformation")))
        .values(label=items.c.status)
    )
    rows = connection.execute(sa.select(items.c.id, items.c.published).where(items.c.published.is_not(None)))
    updates = [{"item_id": i, "moment": m} for i, p in rows if (m := _published_at(p)) is not None]
    if updates:
        connection.execute(
            items.update()
            .where(items.c.id == sa.bindparam("item_id"))
            .values(published_at=sa.bindparam("moment")),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_published_at"))
        batch_op.drop_column("label")
        batch_op.drop_column("published_at")
