"""The frozen values the storage package returns: what a page, the CLI or a test sees of a stored row.
They are copies (never ORM rows), so nothing outside storage/ can change the database by accident,
and a template cannot trigger a query."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, TypeVar

V = TypeVar("V")


def value_of(cls: type[V], row: Any) -> V:
    """A frozen value of `cls` from the row's attributes of the same names."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(**{name: getattr(row, name) for name in names})


@dataclasses.dataclass(frozen=True)
class Item:
    """A scanned item with its analysis and the office's decision."""

    id: int
    source: str
    guid: str | None
    link: str | None
    content_hash: str
    title: str
    text: str
    language: str
    published: str | None
    fetched_at: dt.datetime
    myth_probability: float
    flagged: bool
    matches: list[dict[str, Any]]
    top_claim: str | None
    priority: float
    draft: dict[str, Any] | None
    fact_checks: list[dict[str, Any]] | None
    status: str
    published_at: dt.datetime | None
    label: str | None
    dismiss_reason: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    assigned_to: str | None = None
    places: str | None = None  # the office's place names it mentions, comma-separated


@dataclasses.dataclass(frozen=True)
class Response:
    """A drafted answer to an item (a fact sandwich), in its current version."""

    id: int
    item_id: int
    claim_id: str
    language: str
    channel: str
    tone: str
    status: str
    parts: dict[str, str]
    text: str
    version: int
    approved_by: str | None
    approved_at: dt.datetime | None
    updated_at: dt.datetime
    drafted_by: str | None = None
    assigned_to: str | None = None
    rejected_by: str | None = None
    rejected_reason: str | None = None


@dataclasses.dataclass(frozen=True)
class ResponseVersion:
    id: int
    response_id: int
    version: int
    parts: dict[str, str]
    text: str
    editor: str
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class ResponsePosting:
    """Where and when an approved response was posted, by whom, at which address."""

    id: int
    response_id: int
    platform: str
    url: str | None
    posted_by: str
    posted_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class ItemNote:
    id: int
    item_id: int
    author: str
    text: str
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class ClaimVersion:
    id: int
    claim_id: str
    version: int
    data: dict[str, Any]
    editor: str
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """A recorded decision: who, what, when, before and after."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclasses.dataclass(frozen=True)
class FeedState:
    url: str
    etag: str | None
    last_modified: str | None


@dataclasses.dataclass(frozen=True)
class Subscription:
    url: str
    name: str
    language: str | None
    interval_s: int
    next_poll: dt.datetime
    last_success: dt.datetime | None
    last_error: str | None
    error_count: int


@dataclasses.dataclass(frozen=True)
class User:
    id: int
    name: str
    roles: frozenset[str]
    language: str
    disabled_at: dt.datetime | None = None  # a disabled account cannot log in (admin, issue 13)
    password_change_required: bool = False  # an admin chose the password: the UI asks for a new one

    def has(self, *roles: str) -> bool:
        """True when the user holds one of `roles` (admins hold all)."""
        return "admin" in self.roles or any(r in self.roles for r in roles)


@dataclasses.dataclass(frozen=True)
class NarrativeInfo:
    """A stored narrative (issue 14): posts that repeat one claim, or near-copies of one post."""

    id: str
    claim_id: str | None
    language: str
    title: str
    size: int
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    sources: tuple[tuple[str, int], ...]
    response_id: int | None
    version: int
    item_ids: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class EmergingInfo:
    """A stored emerging-myth cluster: unmatched flagged posts that say one thing."""

    id: str
    language: str
    size: int
    typical: tuple[str, ...]
    keywords: tuple[str, ...]
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    sources: tuple[tuple[str, int], ...]
    item_ids: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class AlertTarget:
    """A person's (or a role's) alert subscription as stored."""

    id: int
    person: str
    role: str
    channel: str
    target: str
    kinds: tuple[str, ...]
    language: str


@dataclasses.dataclass(frozen=True)
class AlertLogEntry:
    """One delivery of an alert or digest: `ok` None while it is being sent."""

    id: int
    alert_id: str
    kind: str
    key: str
    subject: str
    channel: str
    target: str
    ok: bool | None
    status: str
    error: str
    sent_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class ApiToken:
    """A partner's API token (its hash stays in storage)."""

    id: int
    name: str
    created_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


# -- the audit log's page (admin, issue 13) -- begin
@dataclasses.dataclass(frozen=True)
class AuditFilter:
    """What the audit page is narrowed to; None (or empty) means any. `start` and `end` are moments in
    naive UTC, the end excluded (the web UI makes them from the office's days: dates.local_days)."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first; `older` and `newer` are the keyset cursors (entry
    ids) of the neighbouring pages, None at either end."""

    entries: tuple[AuditEntry, ...]
    older: int | None
    newer: int | None


# -- the audit log's page (admin, issue 13) -- end
