"""Full-text search in the triage queue (issue 13): on SQLite an external-content FTS5 table over
items.title and items.text kept in sync by triggers; on PostgreSQL a GIN index on the same text's
tsvector ('simple': no stemming, German and English alike). Existing items are indexed here.

Neither is in the models (storage/tables.py): the migration comparison leaves them out by name
(storage.queue.is_search_object, used by migrations/env.py and tests/test_migrations.py). A later
revision that rebuilds `items` on SQLite (batch_alter_table copies the table) drops its triggers and
must create them again (SQLITE_TRIGGERS).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:00:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS items_search USING fts5("
    "title, text, content='items', content_rowid='id', tokenize='unicode61')"
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS items_search_insert AFTER INSERT ON items BEGIN "
    "INSERT INTO items_search(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS items_search_delete AFTER DELETE ON items BEGIN "
    "INSERT INTO items_search(items_search, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS items_search_update AFTER UPDATE OF title, text ON items BEGIN "
    "INSERT INTO items_search(items_search, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO items_search(rowid, title, text) VALUES (new.id, new.title, new.text); END",
)
# The same expression as storage.queue's search condition, so that PostgreSQL uses the index.
POSTGRES_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_items_search ON items USING gin "
    "(to_tsvector('simple'::regconfig, coalesce(title, '') || ' ' || coalesce(text, '')))"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_TABLE)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO items_search(items_search) VALUES ('rebuild')")  # the items stored so far
    elif dialect == "postgresql":
        op.execute(POSTGRES_INDEX)  # built from the rows present


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS items_search_{name}")
        op.execute("DROP TABLE IF EXISTS items_search")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_items_search")
