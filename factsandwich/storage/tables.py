"""The table definitions (SQLAlchemy declarative): what the database holds, and nothing else.

Only the storage package (factsandwich/storage/) reads or writes these rows; what leaves it is a frozen
value (storage/values.py). factsandwich/migrations/ creates and changes the tables; a change here
needs a new revision there (tests/test_migrations.py compares the two).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import expression

from factsandwich.dates import utcnow


class Base(DeclarativeBase):
    pass


class ItemRow(Base):
    __tablename__ = "items"
    # The triage queue's filters and order: the whole queue and each status are read in queue_rank
    # order from an index, at any page (docs/benchmarks.md, web UI server time).
    __table_args__ = (
        Index("ix_items_queue_rank", "flagged", "status", "queue_rank", "id"),
        Index("ix_items_queue_rank_all", "flagged", "queue_rank", "id"),
        Index("ix_items_flagged_source", "flagged", "source"),
        Index("ix_items_flagged_claim", "flagged", "top_claim", "language", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(2048), index=True)
    guid: Mapped[str | None] = mapped_column(String(2048), index=True)
    link: Mapped[str | None] = mapped_column(String(2048), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    published: Mapped[str | None] = mapped_column(String(40))
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    myth_probability: Mapped[float] = mapped_column(Float, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    top_claim: Mapped[str | None] = mapped_column(String(200), index=True)
    # 0.6 x myth probability + 0.4 x best match score (+ 0.5 when local): triage.priority.
    priority: Mapped[float] = mapped_column(Float, index=True, default=0.0)
    # The queue's order, highest first: storage.queue.queue_rank of the priority and the moment, set
    # by ItemsRepository.store_items (the only way items are stored).
    queue_rank: Mapped[float] = mapped_column(Float, server_default="0")
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The external fact-checks the item matched (collection, external_id, claim, title, rating,
    # publisher, published, url, score), best first; shown as links, never drafted from.
    fact_checks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    # The publication moment parsed from `published` (naive UTC; None when it is not a date): the
    # queue's date filter and the dashboard's weeks count from it, else from fetched_at.
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    # A kept triage label (misinformation, disinformation): later decisions change the status, not it.
    label: Mapped[str | None] = mapped_column(String(32), nullable=True)
    dismiss_reason: Mapped[str | None] = mapped_column(String(32))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The person the item is assigned to ("my queue"); None: anyone's.
    assigned_to: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    # The office's place names (FACTSANDWICH_PLACES) the item mentions, comma-separated: local relevance.
    places: Mapped[str | None] = mapped_column(String(500), nullable=True)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(512))
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated, see accounts.ROLES
    language: Mapped[str] = mapped_column(String(8), default="de")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # A disabled account keeps its name in the audit log but can no longer log in.
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # Until when the person has seen their in-app notifications.
    notifications_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # Set when an admin chose the password (a new account, a reset): the person must change it first.
    password_change_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=expression.false()
    )


class WebSessionRow(Base):
    """A logged-in browser session: the cookie carries only its random id, so a logout (the row is
    deleted) ends it on every worker, even for someone who kept a copy of the cookie."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginAttemptRow(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    remote: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean)


class AuditRow(Base):
    """Every decision: who, what, when, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(200), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ResponseRow(Base):
    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    claim_id: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(32))
    tone: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="draft", index=True)
    parts: Mapped[dict[str, str]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Who drafted it (the two-person rule: the drafter cannot be its only approver), and who it is
    # assigned to.
    drafted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    # A rejection goes back to the comms officer with its reason.
    rejected_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    rejected_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ResponsePostingRow(Base):
    """Where an approved response was posted: one row per posting (a response may be posted on several
    channels; issue 14's "how often each was posted" counts these)."""

    __tablename__ = "response_postings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    platform: Mapped[str] = mapped_column(String(200))  # where it was posted: "Facebook", "Website", ...
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    posted_by: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ItemNoteRow(Base):
    """A comment on an item, by a person of the office (notes are office work, never training data)."""

    __tablename__ = "item_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ResponseVersionRow(Base):
    __tablename__ = "response_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    parts: Mapped[dict[str, str]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    editor: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ClaimRow(Base):
    """The live copy of a myth/fact pair (claims_db/ layout as JSON), versioned for safe editing."""

    __tablename__ = "claims"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    source_hash: Mapped[str | None] = mapped_column(String(64))  # of the claims_db/ file last imported
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ClaimVersionRow(Base):
    __tablename__ = "claim_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    editor: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FormTokenRow(Base):
    """One-time tokens of submitted forms: a double click or a resubmission is recognised, not repeated."""

    __tablename__ = "form_tokens"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SubscriptionRow(Base):
    """A feed the monitor polls: how often, and when next (fetch state is in FeedStateRow)."""

    __tablename__ = "subscriptions"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(8))
    interval_s: Mapped[int] = mapped_column(Integer, default=900)
    next_poll: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FeedStateRow(Base):
    """What was learned from fetching a feed URL: validators for conditional GET, the last error."""

    __tablename__ = "feed_states"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    last_success: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)


class EmbeddingRow(Base):
    __tablename__ = "embeddings"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    text_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class FactCheckRow(Base):
    """A published fact-check of an external collection (fact_checks.FactCheck)."""

    __tablename__ = "fact_checks"

    collection: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    claim: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    rating: Mapped[str] = mapped_column(String(200))
    publisher: Mapped[str] = mapped_column(String(300))
    published: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2048))
    language: Mapped[str] = mapped_column(String(8))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FactCheckRevisionRow(Base):
    """One row counting the changes to fact_checks: an exact version for the search index that timestamps
    cannot give (two writes in one clock tick, or a slow import that commits after a later one). Writers
    increment it first, so its row lock also serialises concurrent imports."""

    __tablename__ = "fact_check_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)


# -- narratives, emerging myths, alerts, partner tokens (issue 14) -------------------------------------


class NarrativeRow(Base):
    """Flagged posts that repeat one claim (or near-copies of one unmatched post): clustering.Narrative
    with its centroid sum and kept MinHash signatures as float32/uint32 bytes, and the approved
    response that answers every member ("answer once")."""

    __tablename__ = "narratives"
    __table_args__ = (Index("ix_narratives_claim_last_seen", "claim_id", "last_seen"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    claim_id: Mapped[str | None] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(8), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_seen: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    sources: Mapped[list[list[Any]]] = mapped_column(JSON)
    vector_sum: Mapped[bytes] = mapped_column(LargeBinary)
    signatures: Mapped[bytes] = mapped_column(LargeBinary)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    assigned_to: Mapped[str | None] = mapped_column(String(200), nullable=True)


class NarrativeItemRow(Base):
    """An item's narrative: at most one (the item id is the key, so two processes that assign the same
    item store it once)."""

    __tablename__ = "narrative_items"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    narrative_id: Mapped[str] = mapped_column(String(40), index=True)


class EmergingClusterRow(Base):
    """Unmatched flagged posts that say one thing (clustering.EmergingCluster): a candidate pair."""

    __tablename__ = "emerging_clusters"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    typical: Mapped[list[str]] = mapped_column(JSON)
    keywords: Mapped[list[str]] = mapped_column(JSON)
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_seen: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    sources: Mapped[list[list[Any]]] = mapped_column(JSON)
    vector_sum: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class EmergingItemRow(Base):
    """An unmatched flagged item seen by the emerging-myth clustering: its cluster, or none yet."""

    __tablename__ = "emerging_items"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    cluster_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)


class NarrativeStateRow(Base):
    """Named counters of the narrative update: the watermark (highest item id taken) and the time of
    the last emerging rebuild. Its row lock serialises concurrent updates."""

    __tablename__ = "narrative_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class AlertSubscriptionRow(Base):
    """A person's (or a role's) wish for alerts: kinds (comma-separated alerts.KINDS) by a channel."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        Index("ux_alert_subscriptions_target", "person", "role", "channel", "target", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32), default="")
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2048))
    kinds: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="de")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AlertSentRow(Base):
    """Every alert and digest delivery: one row per (alert, channel, target), taken before sending (so
    two monitors that see one surge send it once) and completed with the outcome."""

    __tablename__ = "alerts_sent"
    __table_args__ = (Index("ux_alerts_sent_delivery", "alert_id", "channel", "target", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2048))
    ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ApiTokenRow(Base):
    """A partner organisation's read-only API token: only its SHA-256 is kept; a fixed-window request
    counter (window start, count) rate-limits it across every web worker."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    window_start: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    window_count: Mapped[int] = mapped_column(Integer, default=0)
