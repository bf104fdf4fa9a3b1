"""The office's decisions: triage of flagged items and the responses that answer them.

Every action runs in one transaction with its audit record, and takes the form's one-time token so
that a double click does nothing twice. Triage decisions are labelled data for `factsandwich train`.
"""

from __future__ import annotations

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
from factsandwich.dates import utcnow
from factsandwich.errors import (
    ChecksFailed,
    EditConflict,
    PartTooLong,
    ResponseExists,
    ReviewError,
    StateChanged,
)
from factsandwich.sandwich import DraftWriter, check_parts, claim_problems, join_parts
from factsandwich.store import AuditRow, ItemRow, ResponseRow, ResponseVersionRow, Store

DISMISS_REASONS = ("not_a_myth", "not_relevant", "duplicate")
MARKS = ("misinformation", "disinformation")
ITEM_STATUSES = ("new", "dismissed", "misinformation", "disinformation", "responding", "handled")
OPEN_STATUSES = ("new", "misinformation", "disinformation", "responding")
# The most a part of a response may hold: a long statement's part is a few hundred words.
MAX_PART_CHARS = 10_000
# A response that still answers its item: at most one per item (a rejected one does not count).
LIVE_RESPONSE_STATUSES = ("draft", "approved")
# Item states that close it: acting on such an item from a page that showed another state asks first.
CLOSED_STATUSES = ("dismissed", "handled")


def _check_state(item: ItemRow, seen_status: str | None, confirmed: bool) -> None:
    """A page that showed the item in one state acts on it only while it is in that state, unless the
    person confirmed after being told; an item closed (dismissed, handled) is never acted on silently."""
    if confirmed:
        return
    if seen_status is not None and item.status != seen_status:
        raise StateChanged(item.id, seen_status, item.status)
    if seen_status is None and item.status in CLOSED_STATUSES:
        raise StateChanged(item.id, "open", item.status)


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
    # Dates are publication dates; an item without one counts from when it was first seen.
    moment = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)
    if filters.since:
        conditions.append(moment >= dt.datetime.combine(filters.since, dt.time()))
    if filters.until:
        conditions.append(moment < dt.datetime.combine(filters.until, dt.time()) + dt.timedelta(1))
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


@dataclass(frozen=True)
class Age:
    """How long ago, in the largest whole unit: (3, "h") reads "3 h"."""

    amount: int
    unit: str  # "min", "h", "d"


def age(moment: dt.datetime | None, now: dt.datetime | None = None) -> Age | None:
    if moment is None:
        return None
    seconds = max(0.0, ((now or utcnow()) - moment).total_seconds())
    if seconds < 3600:
        return Age(int(seconds // 60), "min")
    if seconds < 86400:
        return Age(int(seconds // 3600), "h")
    return Age(int(seconds // 86400), "d")


def source_names(store: Store) -> dict[str, str]:
    """Readable names of the queue's sources: a subscription's name, else a file's name or the
    address's host and path (never a local directory path)."""
    from factsandwich.store import SubscriptionRow

    with store.session() as session:
        named = {
            url: name for url, name in session.execute(select(SubscriptionRow.url, SubscriptionRow.name))
        }
        sources = session.scalars(select(ItemRow.source).where(ItemRow.flagged.is_(True)).distinct()).all()
    names = {}
    for source in sources:
        if named.get(source):
            names[source] = named[source]
        elif "://" in source:
            names[source] = source.split("://", 1)[1].removeprefix("www.")
        else:
            names[source] = source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return names


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


def dismiss(
    store: Store,
    item_ids: Sequence[int],
    reason: str,
    actor: str,
    form_token: str,
    *,
    seen_status: str | None = None,
    confirmed: bool = False,
) -> int:
    """Dismiss one or more items (bulk dismiss); returns how many changed. An item whose status is no
    longer the one the page showed (`seen_status`), or that is handled, is not dismissed unseen: one
    item raises StateChanged (to ask), in a bulk dismissal it is left as it is."""
    if reason not in DISMISS_REASONS:
        raise ReviewError(f"unknown reason {reason!r}; choose one of {', '.join(DISMISS_REASONS)}")
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return 0
        changed = 0
        for item_id in item_ids:
            item = session.get(ItemRow, item_id, with_for_update=True)
            if item is None or item.status == "dismissed":
                continue
            try:
                _check_state(item, seen_status, confirmed)
            except StateChanged:
                if len(item_ids) == 1:
                    raise
                continue
            _decide(store, session, item, actor, "dismissed", reason)
            changed += 1
        return changed


def undo_dismiss(store: Store, item_ids: Sequence[int], actor: str, form_token: str) -> int:
    """Take back a dismissal: each item still dismissed gets the status it had before (from the audit
    record of its dismissal), audited as an undo; returns how many changed."""
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return 0
        changed = 0
        for item_id in item_ids:
            item = session.get(ItemRow, item_id, with_for_update=True)
            if item is None or item.status != "dismissed":
                continue
            record = session.scalars(
                select(AuditRow)
                .where(
                    AuditRow.object_type == "item",
                    AuditRow.object_id == str(item.id),
                    AuditRow.action == "item.dismissed",
                )
                .order_by(AuditRow.id.desc())
                .limit(1)
            ).first()
            previous = (record.before or {}).get("status") if record is not None else None
            status = previous if previous in ITEM_STATUSES and previous != "dismissed" else "new"
            before = {"status": item.status, "dismiss_reason": item.dismiss_reason}
            item.status, item.dismiss_reason = status, None
            item.decided_by, item.decided_at = actor, utcnow()
            store.audit(session, actor, "item.undo_dismiss", "item", item.id, before, {"status": status})
            changed += 1
        return changed


def mark(
    store: Store,
    item_id: int,
    kind: str,
    actor: str,
    form_token: str,
    *,
    seen_status: str | None = None,
    confirmed: bool = False,
) -> None:
    if kind not in MARKS:
        raise ReviewError(f"unknown mark {kind!r}; choose one of {', '.join(MARKS)}")
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return
        item = session.get(ItemRow, item_id, with_for_update=True)
        if item is None:
            raise ReviewError(f"item {item_id} not found")
        _check_state(item, seen_status, confirmed)
        # The label is kept apart from the status: a response or the approval later changes the
        # status, never the label. A new item leaves the "new" queue as marked.
        before = {"status": item.status, "label": item.label}
        item.label, item.decided_by, item.decided_at = kind, actor, utcnow()
        if item.status == "new":
            item.status = kind
        store.audit(
            session, actor, f"item.{kind}", "item", item.id, before, {"status": item.status, "label": kind}
        )


def send_to_response(
    store: Store,
    item_id: int,
    claim: Claim,
    writer: DraftWriter,
    actor: str,
    form_token: str,
    channel: str = "short",
    tone: str = "factual",
    *,
    seen_status: str | None = None,
    confirmed: bool = False,
) -> int | None:
    """Draft a response to the item with this claim; returns its id (None for a repeated submission).

    One live response per item: when the item has one (a second tab, a colleague), ResponseExists names
    it. `seen_status` is the item's status on the page the person acted from; when it changed since (or
    the item is closed), StateChanged asks for a confirmation (`confirmed`) first."""
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return None
        # The item's row lock (PostgreSQL; SQLite holds the write lock from the token insert on) makes
        # two concurrent drafts of one item wait for each other, so the second sees the first.
        item = session.get(ItemRow, item_id, with_for_update=True)
        if item is None:
            raise ReviewError(f"item {item_id} not found")
        live = session.scalar(
            select(ResponseRow.id).where(
                ResponseRow.item_id == item.id, ResponseRow.status.in_(LIVE_RESPONSE_STATUSES)
            )
        )
        if live is not None:
            raise ResponseExists(int(live))
        _check_state(item, seen_status, confirmed)
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


@dataclass(frozen=True)
class Proposal:
    """A comms officer's note to the editors: this post repeats a myth that no pair covers yet."""

    item_id: int
    text: str
    language: str
    proposed_by: str
    at: dt.datetime


def propose_pair(store: Store, item_id: int, actor: str, form_token: str) -> bool:
    """Ask the editors for a new pair for this item (audited; shown on their pairs page)."""
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return False
        item = session.get(ItemRow, item_id)
        if item is None:
            raise ReviewError(f"item {item_id} not found")
        store.audit(session, actor, "item.propose_pair", "item", item.id, None, {"text": item.text[:1000]})
        return True


def pair_proposals(store: Store, limit: int = 20) -> list[Proposal]:
    """The newest proposals, one per item."""
    with store.session() as session:
        rows = session.execute(
            select(AuditRow, ItemRow)
            .join(ItemRow, ItemRow.id == func.cast(AuditRow.object_id, ItemRow.id.type))
            .where(AuditRow.action == "item.propose_pair")
            .order_by(AuditRow.id.desc())
            .limit(limit * 5)
        ).all()
    seen: set[int] = set()
    proposals: list[Proposal] = []
    for record, item in rows:
        if item.id not in seen and len(proposals) < limit:
            seen.add(item.id)
            proposals.append(Proposal(item.id, item.text, item.language, record.actor, record.at))
    return proposals


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
    """Save edited parts as a new version; returns the checker's problems (saved all the same). A part
    over MAX_PART_CHARS is refused (PartTooLong) before anything is stored."""
    for name, value in parts.items():
        if len(value) > MAX_PART_CHARS:
            raise PartTooLong(name, len(value), MAX_PART_CHARS)
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


def response_problems(response: ResponseRow, claim: Claim, office_country: str) -> list[str]:
    """What stands between the response and its approval: the structure and length checks of its
    current text, the pair's status, and whether the pair's facts hold where the office is."""
    problems = check_parts(
        response.parts, response.channel, claim.canonical_myth(response.language), claim.status
    )
    return problems + claim_problems(claim, office_country)


def decide_response(
    store: Store,
    response_id: int,
    approve: bool,
    actor: str,
    form_token: str,
    *,
    expected_version: int,
    claim: Claim | None = None,
    office_country: str = "DE",
    override: bool = False,
) -> None:
    """Approve (final; the item is handled) or reject a response.

    Both act on the version the person was shown (`expected_version`): a version saved meanwhile is
    an EditConflict, never approved unseen. Approval is refused (ChecksFailed) while the checks report
    problems, unless `override`: an explicit decision, recorded in the audit with the problems (the web
    UI allows it to admins only). `claim` is the response's pair, needed to check it."""
    with store.session() as session:
        if not store.use_form_token(session, form_token):
            return
        response = session.get(ResponseRow, response_id, with_for_update=True)
        if response is None:
            raise ReviewError(f"response {response_id} not found")
        if response.status == "approved":
            raise ReviewError("the response is approved already")
        if response.version != expected_version:
            raise EditConflict(
                f"the response was changed meanwhile (now version {response.version}, you saw version "
                f"{expected_version}); read the new text before you decide"
            )
        problems: list[str] = []
        if approve:
            if claim is None or claim.id != response.claim_id:
                raise ReviewError(f"the pair {response.claim_id!r} of this response is needed to check it")
            problems = response_problems(response, claim, office_country)
            if problems and not override:
                raise ChecksFailed(problems)
        before = {"status": response.status, "version": response.version}
        response.status, response.updated_at = ("approved" if approve else "rejected"), utcnow()
        if approve:
            response.approved_by, response.approved_at = actor, utcnow()
            item = session.get(ItemRow, response.item_id)
            if item is not None:
                _decide(store, session, item, actor, "handled")
        after: dict[str, Any] = {"status": response.status, "version": response.version}
        if problems:
            after.update(override=True, problems=problems)
        store.audit(session, actor, f"response.{response.status}", "response", response.id, before, after)


def time_to_approval(item: ItemRow, response: ResponseRow) -> dt.timedelta | None:
    """From when the office first saw the item (its scan) to the approval: what the office can act on.
    The days a post circulated before it was scanned are not the office's reaction time."""
    if response.approved_at is None:
        return None
    return response.approved_at - item.fetched_at


@dataclass(frozen=True)
class Publisher:
    """Who publishes the office's answers, and where (configuration: FACTSANDWICH_ORGANISATION,
    FACTSANDWICH_ORGANISATION_URL, FACTSANDWICH_RESPONSE_URL with {id})."""

    organisation: str
    organisation_url: str = ""
    response_url: str = ""

    def address_of(self, response_id: int) -> str:
        return self.response_url.replace("{id}", str(response_id)) if self.response_url else ""


def claim_review(response: ResponseRow, item: ItemRow, claim: Claim, publisher: Publisher) -> dict[str, Any]:
    """schema.org ClaimReview JSON-LD of an approved response: `url` is the address of the office's
    published answer (when configured; never the post's), the post is the reviewed claim's appearance."""
    if not publisher.organisation:
        raise ReviewError("the organisation that publishes the answers is not configured")
    author: dict[str, Any] = {"@type": "Organization", "name": publisher.organisation}
    if publisher.organisation_url:
        author["url"] = publisher.organisation_url
    appearance: dict[str, Any] = {"@type": "CreativeWork"}
    if item.link and item.link.startswith(("http://", "https://")):
        appearance["url"] = item.link
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "datePublished": (response.approved_at or utcnow()).date().isoformat(),
        "claimReviewed": claim.canonical_myth(response.language),
        "itemReviewed": {"@type": "Claim", "appearance": appearance},
        "author": author,
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
    if address := publisher.address_of(response.id):
        review["url"] = address
    return review


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
                | ItemRow.label.is_not(None)
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
        moment = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)  # publication week
        flagged = session.execute(
            select(ItemRow.top_claim, moment).where(ItemRow.flagged.is_(True), moment >= since)
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
