"""The triage queue's stored order (issue 13, queue performance): items.queue_rank, the
time-independent rank of an exponentially decaying urgency (storage.queue.queue_rank), filled for the
stored items in chunks; the queue's indexes are rebuilt on it so that any page of the whole queue or
of a status is read in order from an index instead of sorting every flagged row.

`items` is changed in place (ALTER TABLE ADD COLUMN): batch_alter_table would copy the table on
SQLite and drop the full-text search triggers of revision 0007. ix_items_priority stays (the
notifications filter on priority).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:00:00

"""

import datetime as dt
import math
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 5_000
RECENCY_DAYS = 2.0
OLD_INDEXES = {
    "ix_items_queue": ["flagged", "status", "priority", "published", "id"],
    "ix_items_queue_all": ["flagged", "priority", "published", "id"],
}
NEW_INDEXES = {
    "ix_items_queue_rank": ["flagged", "status", "queue_rank", "id"],
    "ix_items_queue_rank_all": ["flagged", "queue_rank", "id"],
}
ITEMS = sa.table(
    "items",
    sa.column("id", sa.Integer()),
    sa.column("priority", sa.Float()),
    sa.column("published_at", sa.DateTime()),
    sa.column("fetched_at", sa.DateTime()),
    sa.column("queue_rank", sa.Float()),
)


def _queue_rank(priority: float | None, published_at: dt.datetime | None, fetched_at: dt.datetime) -> float:
    """As factsandwich.storage.queue.queue_rank at the time of this revision (a migration does not
    change)."""
    moment = min(published_at, fetched_at) if published_at else fetched_at
    days = (moment - dt.datetime(1970, 1, 1)).total_seconds() / 86400.0
    return math.log(max(priority or 0.0, 1e-300)) + days * math.log(2.0) / RECENCY_DAYS


def upgrade() -> None:
    op.add_column("items", sa.Column("queue_rank", sa.Float(), server_default="0", nullable=False))
    connection = op.get_bind()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # for a row without fetched_at (adopted, early)
    last = 0
    while True:
        rows = connection.execute(
            sa.select(ITEMS.c.id, ITEMS.c.priority, ITEMS.c.published_at, ITEMS.c.fetched_at)
            .where(ITEMS.c.id > last)
            .order_by(ITEMS.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        connection.execute(
            ITEMS.update()
            .where(ITEMS.c.id == sa.bindparam("item_id"))
            .values(queue_rank=sa.bindparam("rank")),
            [
                {"item_id": i, "rank": _queue_rank(p, published, fetched or now)}
                for i, p, published, fetched in rows
            ],
        )
        last = rows[-1].id
    for name in OLD_INDEXES:  # absent from a database adopted after they left the models
        op.drop_index(name, table_name="items", if_exists=True)
    for name, columns in NEW_INDEXES.items():
        op.create_index(name, "items", columns)


def downgrade() -> None:
    for name in NEW_INDEXES:
        op.drop_index(name, table_name="items")
    for name, columns in OLD_INDEXES.items():
        op.create_index(name, "items", columns)
    op.drop_column("items", "queue_rank")
