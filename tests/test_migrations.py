"""Schema migrations (Alembic) on SQLite and PostgreSQL: the models and the migrations agree."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import BOTH_DATABASES
from sqlalchemy import Column, MetaData, Table, create_engine, insert, inspect, select
from test_queue import add, found, item_row, migrate_to, queue_ids, stored_as_before_0009

from factsandwich.fact_checks import FactCheck
from factsandwich.storage import MIGRATIONS, Store, migrate
from factsandwich.storage.queue import is_search_object, queue_rank
from factsandwich.storage.tables import Base, ItemRow

# The newest revision (one head: two developers' revisions must be chained, not branched).
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


@BOTH_DATABASES
def test_migrations_create_exactly_the_models_schema(settings) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata

    store = Store(settings.effective_database_url)  # runs the migrations
    with store.engine.connect() as connection:
        # The full-text search table/index (revision 0007) are not models: left out by name only.
        context = MigrationContext.configure(
            connection, opts={"include_name": lambda name, type_, parents: not is_search_object(name)}
        )
        differences = compare_metadata(context, Base.metadata)
        assert differences == [], "models changed without a migration: " + repr(differences)[:500]
        assert MigrationContext.configure(connection).get_current_revision() == HEAD


def test_database_from_before_migrations_is_adopted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    # An early database: some tables, no version, items as they were before revision 0002, one stored.
    later = {"fact_checks", "published_at", "label", "queue_rank"}  # added by revisions 0002, 0004, 0009
    columns = [c for c in Base.metadata.tables["items"].columns if c.name not in later]
    early_items = Table(
        "items", MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key) for c in columns)
    )
    early_items.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(early_items).values(id=1, content_hash="h", text="kept"))
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"items", "subscriptions", "users", "fact_checks", "alembic_version"} <= tables
    assert "fact_checks" in {c["name"] for c in inspect(engine).get_columns("items")}
    with engine.connect() as connection:
        assert connection.execute(select(Base.metadata.tables["items"].c.text)).scalars().all() == ["kept"]
        assert MigrationContext.configure(connection).get_current_revision() == HEAD
    migrate(engine)  # idempotent
    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    assert store.fact_checks_version() == "0"
    store.upsert_fact_checks([FactCheck("c", "1", "A claim.")])
    assert store.fact_checks_version() == "1"


@BOTH_DATABASES
def test_migration_0009_ranks_the_stored_items_and_keeps_the_search(settings) -> None:  # type: ignore[no-untyped-def]
    store = Store(settings.effective_database_url)
    migrate_to(store, command.downgrade, "0008")
    rows = [
        item_row("Gerücht über die Turnhalle", priority=0.9, age_days=1),
        item_row("Ein Datum in der Zukunft", priority=0.4, age_days=-30),
        item_row("Ohne Datum und ohne Priorität", priority=0.0, published=None, published_at=None),
    ]
    ids = [stored_as_before_0009(store, row) for row in rows]
    migrate_to(store, command.upgrade, "head")
    with store.session() as session:
        ranks = {i: rank for i, rank in session.execute(select(ItemRow.id, ItemRow.queue_rank))}
    for item_id, row in zip(ids, rows, strict=True):
        expected = queue_rank(row["priority"], row["published_at"], row["fetched_at"])
        assert ranks[item_id] == pytest.approx(expected, abs=1e-9)
    assert queue_ids(store, status=None) == ids  # the future date counts from when it was first seen
    assert found(store, "Turnhalle") == {ids[0]}
    later = add(store, "Noch ein Gerücht über die Turnhalle")  # the search triggers are still there
    assert found(store, "Turnhalle") == {ids[0], later}
    indexes = {index["name"] for index in inspect(store.engine).get_indexes("items")}
    assert {"ix_items_queue_rank", "ix_items_queue_rank_all", "ix_items_priority"} <= indexes
    assert not {"ix_items_queue", "ix_items_queue_all"} & indexes
    migrate_to(store, command.downgrade, "0008")
    assert "queue_rank" not in {column["name"] for column in inspect(store.engine).get_columns("items")}
    indexes = {index["name"] for index in inspect(store.engine).get_indexes("items")}
    assert {"ix_items_queue", "ix_items_queue_all"} <= indexes
    migrate_to(store, command.upgrade, "head")
    assert found(store, "Turnhalle") == {ids[0], later}
