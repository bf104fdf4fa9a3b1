"""Schema migrations (Alembic) on SQLite and PostgreSQL: the models and the migrations agree."""

from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import BOTH_DATABASES
from sqlalchemy import Column, MetaData, Table, create_engine, insert, inspect, select

from factsandwich.fact_checks import FactCheck
from factsandwich.storage import MIGRATIONS, Store, migrate
from factsandwich.storage.queue import is_search_object
from factsandwich.storage.tables import Base

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
    later = {"fact_checks", "published_at", "label"}  # added by revisions 0002 and 0004
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
