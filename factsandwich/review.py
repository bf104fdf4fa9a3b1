"""The office's decisions: triage of flagged items and the responses that answer them.

Every action runs in one transaction with its audit record, and takes the form's one-time token so
that a double click does nothing twice. Triage decisions are labelled data for `factsandwich train`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factsandwich.claims import Claim
from factsandwich.classify import Example
from factsandwich.errors import FactsandwichError
from factsandwich.live_claims import EditConflict
from factsandwich.sandwich import DraftWriter, check_parts, join_parts
from factsandwich.store import ItemRow, ResponseRow, ResponseVersionRow, Store, utcnow

DISMISS_REASONS = ("not_a_myth", "not_relevant", "duplicate")
MARKS = ("misinformation", "disinformation")
ITEM_STATUSES = ("new", "dismissed", "misinformation", "disinformation", "responding", "handled")
OPEN_STATUSES = ("new", "misinformation", "disinformation", "responding")


class ReviewError(FactsandwichError):
    """An action that does not fit the item's or response's state."""


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = "new"
    claim: str | None = None
    language: str | None = None
    source: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def triage_queue(
    store: Store, filters: QueueFilter, page: int = 1, per_page: int = 25
) -> tuple[list[ItemRow], int]:
    """Flagged items by priority (myth probability and match score), newest first on ties."""
    conditions: list[Any] = [ItemRow.flagged.is_(True)]
    if filters.status:
        conditions.append(ItemRow.status == filters.status)
    if filters.claim:
        conditions.append(ItemRow.top_claim == filters.claim)
    if filters.language:
        conditions.append(ItemRow.language == filters.language)
    if filters.source:
        conditions.append(ItemRow.source == filters.source)
    if filters.since:
        conditions.append(ItemRow.fetched_at >= dt.datetime.combine(filters.since, dt.time()))
    if filters.until:
        conditions.append(
            ItemRow.fetched_at < dt.datetime.combine(filters.until, dt.time()) + dt.timedelta(1)
        )
    with store.session() as session:
        total = session.scalar(select(func.count(ItemRow.id)).where(*conditions)) or 0
        rows = session.scalars(
            select(ItemRow)
            .where(*conditions)
            .order_by(ItemRow.priority.desc(), ItemRow.published.desc(), ItemRow.id.desc())
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        ).all()
        return list(rows), int(total)


def queue_sources(store: Store) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(ItemRow.source).where(ItemRow.flagged.is_(True)).distinct()))


def get_item(store: Store, item_id: int) -> ItemRow | None:
    with store.session() as session:
        return session.get(ItemRow, item_id)


def _decide(
    store: Store, session: Session, item: ItemRow, actor: str, status: str, reason: str | None = None
) -> None:
    before = {"status": item.status, "dismiss_reason": item.dismiss_reason}
    item.status, item.dismiss_reason, item.decided_by, item.decided_at = status, reason, actor, utcnow()
    store.audit(
        session,
        actor,
        f"item.{status}",
        "item",
        item.id,
        before,
        {"status": status, "dismiss_reason": reason},
    )


def dismiss(store: Store, item_ids: Sequence[int], reason: str, actor: str, form_token: str) -> int:
    """Dismiss one or more items (bulk dismiss); returns how many changed."""
    if reason not in DISMISS_REASONS:
        raise ReviewError(f"unknown reason {reason!r}; choose one of {', '.join(DISMISS_REASONS)}")
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return 0
        changed = 0
        for item_id in item_ids:
            item = session.get(ItemRow, item_id)
            if item is not None and item.status != "dismissed":
                _decide(store, session, item, actor, "dismissed", reason)
                changed += 1
        return changed


def mark(store: Store, item_id: int, kind: str, actor: str, form_token: str) -> None:
    if kind not in MARKS:
        raise ReviewError(f"unknown mark {kind!r}; choose one of {', '.join(MARKS)}")
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return
        item = session.get(ItemRow, item_id)
        if item is None:
            raise ReviewError(f"item {item_id} not found")
        _decide(store, session, item, actor, kind)


def send_to_response(
    store: Store,
    item_id: int,
    claim: Claim,
    writer: DraftWriter,
    actor: str,
    form_token: str,
    channel: str = "short",
    tone: str = "factual",
) -> int | None:
    """Draft a response to the item with this claim; returns its id (None for a repeated submission)."""
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return None
        item = session.get(ItemRow, item_id)
        if item is None:
            raise ReviewError(f"item {item_id} not found")
        language = item.language if item.language in claim.fact else "de"
        draft = writer.render(claim, language, channel, tone)
        response = ResponseRow(
            item_id=item.id,
            claim_id=claim.id,
            language=language,
            channel=channel,
            tone=tone,
            status="draft",
            parts=dict(draft.parts),
            text=draft.text,
            version=1,
        )
        session.add(response)
        session.flush()
        session.add(
            ResponseVersionRow(
                response_id=response.id, version=1, parts=dict(draft.parts), text=draft.text, editor=actor
            )
        )
        _decide(store, session, item, actor, "responding")
        store.audit(
            session,
            actor,
            "response.create",
            "response",
            response.id,
            None,
            {"item_id": item.id, "claim_id": claim.id, "channel": channel, "text": draft.text},
        )
        return response.id


def get_response(store: Store, response_id: int) -> ResponseRow | None:
    with store.session() as session:
        return session.get(ResponseRow, response_id)


def list_responses(store: Store, status: str | None = None, limit: int = 100) -> list[ResponseRow]:
    with store.session() as session:
        query = select(ResponseRow).order_by(ResponseRow.updated_at.desc()).limit(limit)
        if status:
            query = query.where(ResponseRow.status == status)
        return list(session.scalars(query))


def response_versions(store: Store, response_id: int) -> list[ResponseVersionRow]:
    with store.session() as session:
        query = select(ResponseVersionRow).where(ResponseVersionRow.response_id == response_id)
        return list(session.scalars(query.order_by(ResponseVersionRow.version.desc())))


def edit_response(
    store: Store,
    response_id: int,
    parts: dict[str, str],
    expected_version: int,
    actor: str,
    form_token: str,
    myth: str,
) -> list[str]:
    """Save edited parts as a new version; returns the checker's problems (saved all the same)."""
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return []
        response = session.get(ResponseRow, response_id)
        if response is None:
            raise ReviewError(f"response {response_id} not found")
        if response.version != expected_version:
            raise EditConflict(
                f"the response was changed meanwhile (now version {response.version}); "
                "reload it and apply your change again"
            )
        if response.status == "approved":
            raise ReviewError("an approved response cannot be edited; it is final")
        before = {"text": response.text, "version": response.version}
        response.parts, response.text = dict(parts), join_parts(parts, response.channel)
        response.version += 1
        response.status, response.updated_at = "draft", utcnow()
        session.add(
            ResponseVersionRow(
                response_id=response.id,
                version=response.version,
                parts=dict(parts),
                text=response.text,
                editor=actor,
            )
        )
        store.audit(
            session,
            actor,
            "response.edit",
            "response",
            response.id,
            before,
            {"text": response.text, "version": response.version},
        )
        return check_parts(parts, response.channel, myth)


def decide_response(store: Store, response_id: int, approve: bool, actor: str, form_token: str) -> None:
    """Approve (final; the item is handled) or reject a response."""
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return
        response = session.get(ResponseRow, response_id)
        if response is None:
            raise ReviewError(f"response {response_id} not found")
        if response.status == "approved":
            raise ReviewError("the response is approved already")
        before = {"status": response.status}
        response.status, response.updated_at = ("approved" if approve else "rejected"), utcnow()
        if approve:
            response.approved_by, response.approved_at = actor, utcnow()
            item = session.get(ItemRow, response.item_id)
            if item is not None:
                _decide(store, session, item, actor, "handled")
        store.audit(
            session,
            actor,
            f"response.{response.status}",
            "response",
            response.id,
            before,
            {"status": response.status},
        )


def time_to_approval(item: ItemRow, response: ResponseRow) -> dt.timedelta | None:
    """From the item's publication (or, lacking it, its first sight) to the approval."""
    if response.approved_at is None:
        return None
    start = item.fetched_at
    if item.published:
        with contextlib.suppress(ValueError):  # an odd date string: fall back to first sight
            start = dt.datetime.fromisoformat(item.published.replace("Z", "+00:00")).replace(tzinfo=None)
    return response.approved_at - start


def claim_review(response: ResponseRow, item: ItemRow, claim: Claim, organisation: str) -> dict[str, Any]:
    """schema.org ClaimReview JSON-LD of an approved response."""
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "datePublished": (response.approved_at or utcnow()).date().isoformat(),
        "url": item.link or "",
        "claimReviewed": claim.canonical_myth(response.language),
        "itemReviewed": {"@type": "Claim", "appearance": {"@type": "CreativeWork", "url": item.link or ""}},
        "author": {"@type": "Organization", "name": organisation},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 1,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "False" if response.language == "en" else "Falsch",
        },
        "reviewBody": response.text,
        "inLanguage": response.language,
        "citation": [s.url for s in claim.sources],
    }


def labelled_decisions(store: Store) -> list[Example]:
    """The office's own judgements as training examples: a dismissal as 'not a myth' is a negative,
    a mark as mis-/disinformation or a response is a positive."""
    with store.session() as session:
        rows = session.execute(
            select(
                ItemRow.title,
                ItemRow.text,
                ItemRow.language,
                ItemRow.status,
                ItemRow.dismiss_reason,
                ItemRow.top_claim,
            ).where(
                ItemRow.status.in_(("dismissed", "misinformation", "disinformation", "responding", "handled"))
            )
        ).all()
    examples = []
    for title, text, language, status, reason, top_claim in rows:
        body = f"{title}\n{text}".strip() if title else text
        if status == "dismissed" and reason == "not_a_myth":
            examples.append(Example(body, language, "neutral"))
        elif status != "dismissed":
            examples.append(Example(body, language, "myth", top_claim))
    return examples


@dataclass(frozen=True)
class Dashboard:
    weeks: list[str]
    per_claim_week: dict[str, Counter[str]]
    open_items: int
    handled_items: int
    median_hours_to_approval: float | None


def dashboard(store: Store, weeks: int = 8) -> Dashboard:
    since = utcnow() - dt.timedelta(weeks=weeks)
    with store.session() as session:
        flagged = session.execute(
            select(ItemRow.top_claim, ItemRow.fetched_at).where(
                ItemRow.flagged.is_(True), ItemRow.fetched_at >= since
            )
        ).all()
        open_items = (
            session.scalar(
                select(func.count(ItemRow.id)).where(
                    ItemRow.flagged.is_(True), ItemRow.status.in_(OPEN_STATUSES)
                )
            )
            or 0
        )
        handled = (
            session.scalar(
                select(func.count(ItemRow.id)).where(
                    ItemRow.flagged.is_(True), ItemRow.status.in_(("handled", "dismissed"))
                )
            )
            or 0
        )
        approved = session.execute(
            select(ItemRow, ResponseRow)
            .join(ResponseRow, ResponseRow.item_id == ItemRow.id)
            .where(ResponseRow.status == "approved")
        ).all()
        durations = [d for item, resp in approved if (d := time_to_approval(item, resp)) is not None]
    per_claim: dict[str, Counter[str]] = {}
    week_labels = sorted({f"{at.isocalendar()[0]}-W{at.isocalendar()[1]:02d}" for _, at in flagged})
    for claim_id, at in flagged:
        label = f"{at.isocalendar()[0]}-W{at.isocalendar()[1]:02d}"
        per_claim.setdefault(claim_id or "(no claim)", Counter())[label] += 1
    median = statistics.median(d.total_seconds() / 3600 for d in durations) if durations else None
    return Dashboard(
        week_labels,
        per_claim,
        int(open_items),
        int(handled),
        round(median, 1) if median is not None else None,
    )
