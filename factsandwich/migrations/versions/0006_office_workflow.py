"""The office's workflow (issue 13): who drafted a response, its rejection reason, where it was
posted (response_postings), assignment of items, responses and narratives, comments on items
(item_notes), the place names an item mentions (local priority), disabled accounts and when a person
last read their notifications.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The columns this revision adds, by table. A database adopted from before migrations
# (storage.database.migrate) got its first tables from the current models, with these columns already.
NEW_COLUMNS = {
    "items": (
        sa.Column("assigned_to", sa.String(length=200), nullable=True),
        sa.Column("places", sa.String(length=500), nullable=True),
    ),
    "responses": (
        sa.Column("drafted_by", sa.String(length=200), nullable=True),
        sa.Column("assigned_to", sa.String(length=200), nullable=True),
        sa.Column("rejected_by", sa.String(length=200), nullable=True),
        sa.Column("rejected_reason", sa.Text(), nullable=True),
    ),
    "narratives": (sa.Column("assigned_to", sa.String(length=200), nullable=True),),
    "users": (
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.Column("notifications_seen_at", sa.DateTime(), nullable=True),
    ),
}
NEW_INDEXES = {
    "items": ("ix_items_assigned_to", "assigned_to"),
    "responses": ("ix_responses_assigned_to", "assigned_to"),
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table, columns in NEW_COLUMNS.items():
        present = {column["name"] for column in inspector.get_columns(table)}
        indexes = {index["name"] for index in inspector.get_indexes(table)}
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                if column.name not in present:
                    batch_op.add_column(column)
            if table in NEW_INDEXES and NEW_INDEXES[table][0] not in indexes:
                name, column_name = NEW_INDEXES[table]
                batch_op.create_index(name, [column_name], unique=False)
    op.create_table(
        "response_postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("posted_by", sa.String(length=200), nullable=False),
        sa.Column("posted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("response_postings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_postings_response_id"), ["response_id"], unique=False)
    op.create_table(
        "item_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("item_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_notes_item_id"), ["item_id"], unique=False)
    # Responses drafted before this revision: their first version's editor drafted them.
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE responses SET drafted_by = (SELECT editor FROM response_versions v "
            "WHERE v.response_id = responses.id ORDER BY v.version LIMIT 1)"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("item_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_notes_item_id"))
    op.drop_table("item_notes")
    with op.batch_alter_table("response_postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_postings_response_id"))
    op.drop_table("response_postings")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("notifications_seen_at")
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("narratives", schema=None) as batch_op:
        batch_op.drop_column("assigned_to")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responses_assigned_to"))
        batch_op.drop_column("rejected_reason")
        batch_op.drop_column("rejected_by")
        batch_op.drop_column("assigned_to")
        batch_op.drop_column("drafted_by")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_assigned_to"))
        batch_op.drop_column("places")
        batch_op.drop_column("assigned_to")
