"""Compatibility names: the store lives in the storage package (factsandwich/storage/). Tests and
migrations/env.py import the tables and `Store` from here."""

from __future__ import annotations

from factsandwich.dates import utcnow
from factsandwich.storage import Store
from factsandwich.storage.database import (
    LATER_TABLES,
    MIGRATIONS,
    head_revision,
    insert_ignoring_conflicts,
    migrate,
)
from factsandwich.storage.fact_checks import FACT_CHECK_FIELDS
from factsandwich.storage.tables import (
    AuditRow,
    Base,
    ClaimRow,
    ClaimVersionRow,
    EmbeddingRow,
    FactCheckRevisionRow,
    FactCheckRow,
    FeedStateRow,
    FormTokenRow,
    ItemRow,
    LoginAttemptRow,
    ResponseRow,
    ResponseVersionRow,
    SubscriptionRow,
    UserRow,
    WebSessionRow,
)
from factsandwich.storage.values import FeedState

__all__ = [
    "FACT_CHECK_FIELDS",
    "LATER_TABLES",
    "MIGRATIONS",
    "AuditRow",
    "Base",
    "ClaimRow",
    "ClaimVersionRow",
    "EmbeddingRow",
    "FactCheckRevisionRow",
    "FactCheckRow",
    "FeedState",
    "FeedStateRow",
    "FormTokenRow",
    "ItemRow",
    "LoginAttemptRow",
    "ResponseRow",
    "ResponseVersionRow",
    "Store",
    "SubscriptionRow",
    "UserRow",
    "WebSessionRow",
    "head_revision",
    "insert_ignoring_conflicts",
    "migrate",
    "utcnow",
]
