"""Schema migrations (Alembic) on SQLite and PostgreSQL: the models and the migrations agree."""

from __future__ import annotations

from alembic.migration import MigrationContext
from conftest import BOTH_DATABASES
from sqlalchemy import create_engine, inspect

from factsandwich.store import Base, Store, migrate


@BOTH_DATABASES
def test_migrations_create_exactly_the_models_schema(settings) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata

    store = Store(settings.effective_database_url)  # runs the migrations
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == [], "models changed without a migration: " + repr(differences)[:500]
        assert MigrationContext.configure(connection).get_current_revision() == "0001"


def test_database_from_before_migrations_is_adopted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    Base.metadata.tables["items"].create(engine)  # an early database: some tables, no version
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"items", "subscriptions", "users", "alembic_version"} <= tables
    migrate(engine)  # idempotent
