"""Alembic environment: migrations run on the connection that `store.migrate` hands over."""

from __future__ import annotations

from alembic import context

from factsandwich.storage.queue import is_search_object
from factsandwich.storage.tables import Base

connection = context.config.attributes["connection"]
# The full-text search objects of revision 0007 are not in the models: autogenerate leaves them out.
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    include_name=lambda name, type_, parents: not is_search_object(name),
)
with context.begin_transaction():
    context.run_migrations()
