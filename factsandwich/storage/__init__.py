"""The one way to the database (SQLAlchemy; SQLite by default, PostgreSQL to scale out).

- `tables.py`: the table definitions, and only those;
- `database.py`: the engine, transactions (`Database.session`, only used inside this package), the
  office-action helper `Database.act` (form token, fetch, 404, version check, audit) and migrations;
- one repository per domain, returning frozen values (`values.py`), never ORM rows: `items.py`,
  `feeds.py` (feed states and subscriptions), `fact_checks.py`, `cache.py` (embeddings), `audit.py`,
  `office.py` (triage decisions and responses), `claims.py` (the live pairs), `accounts.py`;
- `Store`: the repositories that hold their own state-free methods, in one object; `NullStore`: the
  same interface for a scan that stores nothing (`--no-store`).
Inserts that two processes may race on are idempotent (ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

from factsandwich.storage.audit import AuditRepository
from factsandwich.storage.cache import EmbeddingCacheRepository
from factsandwich.storage.database import MIGRATIONS, Database, head_revision, migrate
from factsandwich.storage.fact_checks import FactChecksRepository
from factsandwich.storage.feeds import FeedsRepository
from factsandwich.storage.items import ItemsRepository
from factsandwich.storage.values import FeedState, Item

__all__ = ["MIGRATIONS", "Database", "FeedState", "Item", "Store", "head_revision", "migrate"]


class Store(
    ItemsRepository, FeedsRepository, FactChecksRepository, EmbeddingCacheRepository, AuditRepository
):
    """Typed, verb-first access to the database; sessions never leak to callers."""
