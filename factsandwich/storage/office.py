"""Office work in the database: triage decisions on items and the responses that answer them.

Every action runs in one transaction with its audit record (`Database.act`), and takes the form's
one-time token so that a double click does nothing twice. The state rules that must hold under the
row lock (an item decided meanwhile, one live response per item, the version the person saw) are
checked here, inside the transaction; triage.py and responses.py hold the rest of the office's rules.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factsandwich.claims import Claim
from factsandwich.dates import utcnow
from factsandwich.errors import (
    ChecksFailed,
    EditConflict,
    LifecycleInputError,
    NotFound,
    PartTooLong,
    ResponseExists,
    ResponseStateError,
    ReviewError,
    SecondApproverNeeded,
    StateChanged,
)
from factsandwich.sandwich import (
    CHANNEL_LIMITS,
    TONES,
    DraftWriter,
    check_parts,
    claim_problems,
    join_parts,
)
from factsandwich.storage.database import Action, Database
from factsandwich.storage.tables import (
    AuditRow,
    ItemRow,
    ResponsePostingRow,
    ResponseRow,
    ResponseVersionRow,
)
from factsandwich.storage.values import Item, Response, ResponsePosting, ResponseVersion, value_of

DISMISS_REASONS = ("not_a_myth", "not_relevant", "duplicate")
MARKS = ("misinformation", "disinformation")
ITEM_STATUSES = ("new", "dismissed", "misinformation", "disinformation", "responding", "handled")
OPEN_STATUSES = ("new", "misinformation", "disinformation", "responding")
# The most a part of a response may hold: a long statement's part is a few hundred words.
MAX_PART_CHARS = 10_000
# A response's lifecycle: draft → in_review (submitted for approval) → approved (final; "posted" once
# it has postings) or rejected (with a reason); a reopen takes a rejected or unposted approved one back
# to draft. A live response still answers its item: at most one per item (a rejected one does not).
RESPONSE_STATUSES = ("draft", "in_review", "approved", "rejected")
LIVE_RESPONSE_STATUSES = ("draft", "in_review", "approved")
# Where the text may still change (edit, regenerate) and a decision may be taken.
EDITABLE_STATUSES = ("draft", "in_review")
MAX_REASON_CHARS = 2000
# Item states that close it: acting on such an item from a page that showed another state asks first.
CLOSED_STATUSES = ("dismissed", "handled")
# The office's judgements that say something about an item (training.labelled_decisions).
DECIDED_STATUSES = ("dismissed", "misinformation", "disinformation", "responding", "handled")


def _item_missing(item_id: int) -> NotFound:
    return NotFound(f"item {item_id} not found")


def _response_missing(response_id: int) -> NotFound:
    return NotFound(f"response {response_id} not found")


def _check_state(item: ItemRow, seen_status: str | None, confirmed: bool) -> None:
    """A page that showed the item in one state acts on it only while it is in that state, unless the
    person confirmed after being told; an item closed (dismissed, handled) is never acted on silently."""
    if confirmed:
        return
    if seen_status is not None and item.status != seen_status:
        raise StateChanged(item.id, seen_status, item.status)
    if seen_status is None and item.status in CLOSED_STATUSES:
        raise StateChanged(item.id, "open", item.status)


def get_item(store: Database, item_id: int) -> Item | None:
    with store.session() as session:
        row = session.get(ItemRow, item_id)
        return value_of(Item, row) if row else None


def _decide(
    store: Database, session: Session, item: ItemRow, actor: str, status: str, reason: str | None = None
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
    store: Database,
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


def undo_dismiss(store: Database, item_ids: Sequence[int], actor: str, form_token: str) -> int:
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
    store: Database,
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
    with store.act(
        form_token,
        ItemRow,
        item_id,
        actor=actor,
        lock=True,
        missing=lambda: _item_missing(item_id),
        check=lambda row: _check_state(row, seen_status, confirmed),
    ) as action:
        if action is None:
            return
        item = action.row
        # The label is kept apart from the status: a response or the approval later changes the
        # status, never the label. A new item leaves the "new" queue as marked.
        before = {"status": item.status, "label": item.label}
        item.label, item.decided_by, item.decided_at = kind, actor, utcnow()
        if item.status == "new":
            item.status = kind
        action.audit(f"item.{kind}", "item", item.id, before, {"status": item.status, "label": kind})


def send_to_response(
    store: Database,
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
    # The item's row lock (PostgreSQL; SQLite holds the write lock from the token insert on) makes
    # two concurrent drafts of one item wait for each other, so the second sees the first.
    with store.act(
        form_token, ItemRow, item_id, actor=actor, lock=True, missing=lambda: _item_missing(item_id)
    ) as action:
        if action is None:
            return None
        session, item = action.session, action.row
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
            drafted_by=actor,
        )
        session.add(response)
        session.flush()
        session.add(
            ResponseVersionRow(
                response_id=response.id, version=1, parts=dict(draft.parts), text=draft.text, editor=actor
            )
        )
        _decide(store, session, item, actor, "responding")
        action.audit(
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


def propose_pair(store: Database, item_id: int, actor: str, form_token: str) -> bool:
    """Ask the editors for a new pair for this item (audited; shown on their pairs page)."""
    with store.act(
        form_token, ItemRow, item_id, actor=actor, missing=lambda: _item_missing(item_id)
    ) as action:
        if action is None:
            return False
        item = action.row
        action.audit("item.propose_pair", "item", item.id, None, {"text": item.text[:1000]})
        return True


def pair_proposals(store: Database, limit: int = 20) -> list[Proposal]:
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


def get_response(store: Database, response_id: int) -> Response | None:
    with store.session() as session:
        row = session.get(ResponseRow, response_id)
        return value_of(Response, row) if row else None


def list_responses(
    store: Database, status: str | None = None, assigned_to: str | None = None, limit: int = 100
) -> list[Response]:
    """The responses (with `status` only those in it; with `assigned_to` only that person's: a
    spokesperson's own queue), the most recently changed first."""
    with store.session() as session:
        query = (
            select(ResponseRow).order_by(ResponseRow.updated_at.desc(), ResponseRow.id.desc()).limit(limit)
        )
        if status:
            query = query.where(ResponseRow.status == status)
        if assigned_to:
            query = query.where(ResponseRow.assigned_to == assigned_to)
        return [value_of(Response, row) for row in session.scalars(query)]


def item_responses(store: Database, item_id: int) -> list[Response]:
    """Every response drafted for the item, the newest first (a rejected one, then its successor)."""
    with store.session() as session:
        query = select(ResponseRow).where(ResponseRow.item_id == item_id).order_by(ResponseRow.id.desc())
        return [value_of(Response, row) for row in session.scalars(query)]


def sent_responses(store: Database, drafted_by: str, limit: int = 200) -> list[Response]:
    """The responses a comms officer set off by sending their items, the most recently changed first."""
    with store.session() as session:
        query = (
            select(ResponseRow)
            .where(ResponseRow.drafted_by == drafted_by)
            .order_by(ResponseRow.updated_at.desc(), ResponseRow.id.desc())
            .limit(limit)
        )
        return [value_of(Response, row) for row in session.scalars(query)]


def response_versions(store: Database, response_id: int) -> list[ResponseVersion]:
    with store.session() as session:
        query = select(ResponseVersionRow).where(ResponseVersionRow.response_id == response_id)
        rows = session.scalars(query.order_by(ResponseVersionRow.version.desc()))
        return [value_of(ResponseVersion, row) for row in rows]


def postings_of(store: Database, response_ids: Sequence[int]) -> dict[int, list[ResponsePosting]]:
    """The postings of each response (oldest first); a response never posted has none."""
    found: dict[int, list[ResponsePosting]] = {i: [] for i in response_ids}
    if not response_ids:
        return found
    with store.session() as session:
        rows = session.scalars(
            select(ResponsePostingRow)
            .where(ResponsePostingRow.response_id.in_(list(response_ids)))
            .order_by(ResponsePostingRow.posted_at, ResponsePostingRow.id)
        )
        for row in rows:
            found[row.response_id].append(value_of(ResponsePosting, row))
    return found


def _response_action(
    store: Database,
    response_id: int,
    actor: str,
    form_token: str,
    expected_version: int | None,
    step: str,
    allowed: Sequence[str],
) -> AbstractContextManager[Action[ResponseRow] | None]:
    """`Database.act` for a lifecycle step: the response locked, refused unless its status is one of
    `allowed` (ResponseStateError), and only on the version the person was shown (EditConflict).
    An `expected_version` of None checks no version: for posting, which applies only to approved text,
    and approved text is frozen (no edit without a reopen), so there is no newer version to miss."""

    return store.act(
        form_token,
        ResponseRow,
        response_id,
        actor=actor,
        lock=True,
        missing=lambda: _response_missing(response_id),
        check=lambda row: _require_status(row, allowed, step),
        expected_version=expected_version,
        conflict=lambda row: EditConflict(
            f"the response was changed meanwhile (now version {row.version}, you saw version "
            f"{expected_version}); read the new text before you act on it"
        ),
    )


def _new_version(
    session: Session, response: ResponseRow, parts: dict[str, str], text: str, actor: str
) -> None:
    response.parts, response.text = dict(parts), text
    response.version += 1
    response.updated_at = utcnow()
    session.add(
        ResponseVersionRow(
            response_id=response.id, version=response.version, parts=dict(parts), text=text, editor=actor
        )
    )


def edit_response(
    store: Database,
    response_id: int,
    parts: dict[str, str],
    expected_version: int,
    actor: str,
    form_token: str,
    myth: str,
) -> list[str]:
    """Save edited parts as a new version; returns the checker's problems (saved all the same). A part
    over MAX_PART_CHARS is refused (PartTooLong) before anything is stored; an approved or rejected
    response is not edited (reopen it first), so a final text never changes silently."""
    for name, value in parts.items():
        if len(value) > MAX_PART_CHARS:
            raise PartTooLong(name, len(value), MAX_PART_CHARS)
    with _response_action(
        store, response_id, actor, form_token, expected_version, "edited", EDITABLE_STATUSES
    ) as action:
        if action is None:
            return []
        response = action.row
        before = {"text": response.text, "version": response.version}
        _new_version(action.session, response, parts, join_parts(parts, response.channel), actor)
        action.audit(
            "response.edit",
            "response",
            response.id,
            before,
            {"text": response.text, "version": response.version},
        )
        return check_parts(parts, response.channel, myth)


def regenerate_response(
    store: Database,
    response_id: int,
    claim: Claim,
    writer: DraftWriter,
    channel: str,
    tone: str,
    expected_version: int,
    actor: str,
    form_token: str,
) -> None:
    """Draft the text again from the pair in another channel or tone: a new version (audited); refused
    on an approved or rejected response, like an edit."""
    if channel not in CHANNEL_LIMITS or tone not in TONES:
        raise ReviewError(f"unknown channel {channel!r} or tone {tone!r}")
    with _response_action(
        store, response_id, actor, form_token, expected_version, "regenerated", EDITABLE_STATUSES
    ) as action:
        if action is None:
            return
        response = action.row
        if claim.id != response.claim_id:
            raise ReviewError(f"the pair {response.claim_id!r} of this response is needed to draft it again")
        draft = writer.render(claim, response.language, channel, tone)
        before = {"channel": response.channel, "tone": response.tone, "version": response.version}
        response.channel, response.tone = channel, tone
        _new_version(action.session, response, dict(draft.parts), draft.text, actor)
        action.audit(
            "response.regenerate",
            "response",
            response.id,
            before,
            {"channel": channel, "tone": tone, "version": response.version, "text": draft.text},
        )


def submit_response(
    store: Database, response_id: int, expected_version: int, actor: str, form_token: str
) -> None:
    """The drafter hands the version shown to the approvers (draft → in review)."""
    with _response_action(
        store, response_id, actor, form_token, expected_version, "submitted", ("draft",)
    ) as action:
        if action is None:
            return
        response = action.row
        response.status, response.updated_at = "in_review", utcnow()
        action.audit("response.submit", "response", response.id, {"status": "draft"}, {"status": "in_review"})


def response_problems(response: Response | ResponseRow, claim: Claim, office_country: str) -> list[str]:
    """What stands between the response and its approval: the structure and length checks of its
    current text, the pair's status, and whether the pair's facts hold where the office is."""
    return draft_problems(response.parts, response.channel, response.language, claim, office_country)


def draft_problems(
    parts: Mapping[str, str], channel: str, language: str, claim: Claim, office_country: str
) -> list[str]:
    """The checks of a text as typed (the editor's live checks) and as saved (the approval's): one rule."""
    problems = check_parts(parts, channel, claim.canonical_myth(language), claim.status)
    return problems + claim_problems(claim, office_country)


def _authors(session: Session, response: ResponseRow) -> set[str]:
    """Who drafted the response and who wrote its current version (the two-person rule's exclusions)."""
    editors = session.scalars(
        select(ResponseVersionRow.editor).where(
            ResponseVersionRow.response_id == response.id,
            ResponseVersionRow.version.in_((1, response.version)),
        )
    ).all()
    return {*editors, *([response.drafted_by] if response.drafted_by else [])}


def decide_response(
    store: Database,
    response_id: int,
    approve: bool,
    actor: str,
    form_token: str,
    *,
    expected_version: int,
    claim: Claim | None = None,
    office_country: str = "DE",
    override: bool = False,
    reason: str = "",
    two_person: bool = False,
) -> None:
    """Approve (final; the item is handled) or reject (with a reason for the comms officer) a draft or
    a response in review.

    Both act on the version the person was shown (`expected_version`): a version saved meanwhile is
    an EditConflict, never approved unseen. Approval is refused (ChecksFailed) while the checks report
    problems, unless `override`: an explicit decision, recorded in the audit with the problems (the web
    UI allows it to admins only). Under the two-person rule (`two_person`) the drafter and the last
    editor cannot approve (SecondApproverNeeded). `claim` is the response's pair, needed to check it."""
    reason = reason.strip()
    if not approve and not reason:
        raise LifecycleInputError("reason", "a rejection needs a reason for the comms officer")
    if len(reason) > MAX_REASON_CHARS:
        raise LifecycleInputError("reason", f"a reason has at most {MAX_REASON_CHARS} characters")
    step = "approved" if approve else "rejected"
    with _response_action(
        store, response_id, actor, form_token, expected_version, step, EDITABLE_STATUSES
    ) as action:
        if action is None:
            return
        session, response = action.session, action.row
        problems: list[str] = []
        if approve:
            if claim is None or claim.id != response.claim_id:
                raise ReviewError(f"the pair {response.claim_id!r} of this response is needed to check it")
            if two_person and actor in _authors(session, response):
                raise SecondApproverNeeded(actor)
            problems = response_problems(response, claim, office_country)
            if problems and not override:
                raise ChecksFailed(problems)
        before = {"status": response.status, "version": response.version}
        response.status, response.updated_at = step, utcnow()
        after: dict[str, Any] = {"status": step, "version": response.version}
        if approve:
            response.approved_by, response.approved_at = actor, utcnow()
            item = session.get(ItemRow, response.item_id)
            if item is not None:
                _decide(store, session, item, actor, "handled")
        else:
            response.rejected_by, response.rejected_reason = actor, reason
            after["reason"] = reason
        if problems:
            after.update(override=True, problems=problems)
        action.audit(f"response.{step}", "response", response.id, before, after)


def reopen_response(
    store: Database, response_id: int, expected_version: int, actor: str, form_token: str
) -> None:
    """A rejected response, or an approved one not posted yet, back to draft (audited; the text stays as
    it was until someone edits it, a new version). The item must have no other live response."""
    with _response_action(
        store, response_id, actor, form_token, expected_version, "reopened", ("rejected", "approved")
    ) as action:
        if action is None:
            return
        session, response = action.session, action.row
        if response.status == "approved" and session.scalar(
            select(func.count(ResponsePostingRow.id)).where(ResponsePostingRow.response_id == response.id)
        ):
            raise ResponseStateError(response.id, "posted", "reopened")
        item = session.get(ItemRow, response.item_id, with_for_update=True)
        if item is None:
            raise _item_missing(response.item_id)
        live = session.scalar(
            select(ResponseRow.id).where(
                ResponseRow.item_id == item.id,
                ResponseRow.id != response.id,
                ResponseRow.status.in_(LIVE_RESPONSE_STATUSES),
            )
        )
        if live is not None:
            raise ResponseExists(int(live))
        if item.status == "dismissed":
            raise StateChanged(item.id, "responding", item.status)
        before = {
            "status": response.status,
            "approved_by": response.approved_by,
            "rejected_by": response.rejected_by,
            "rejected_reason": response.rejected_reason,
        }
        response.status, response.updated_at = "draft", utcnow()
        response.approved_by = response.approved_at = None
        response.rejected_by = response.rejected_reason = None
        if item.status != "responding":
            _decide(store, session, item, actor, "responding")
        action.audit("response.reopen", "response", response.id, before, {"status": "draft"})


def add_posting(
    store: Database,
    response_id: int,
    platform: str,
    url: str,
    actor: str,
    form_token: str,
    posted_at: dt.datetime | None = None,
) -> None:
    """Record that an approved response was posted: where (platform, the post's address), when, by
    whom. A response may be posted several times; a posted one is final (no reopen)."""
    platform, url = platform.strip(), url.strip()
    if not platform or len(platform) > 200:
        raise LifecycleInputError("platform", "say where it was posted (at most 200 characters)")
    if url and (len(url) > 2048 or not re.fullmatch(r"https?://[^\s/]+\S*", url)):
        raise LifecycleInputError("url", f"{url[:100]!r} is not an http(s) address")
    with _response_action(store, response_id, actor, form_token, None, "posted", ("approved",)) as action:
        if action is None:
            return
        response = action.row
        moment = posted_at or utcnow()
        action.session.add(
            ResponsePostingRow(
                response_id=response.id, platform=platform, url=url or None, posted_by=actor, posted_at=moment
            )
        )
        action.audit(
            "response.posted",
            "response",
            response.id,
            None,
            {"platform": platform, "url": url or None, "posted_at": moment.isoformat()},
        )


def _require_status(row: ResponseRow, allowed: Sequence[str], step: str) -> None:
    if row.status not in allowed:
        raise ResponseStateError(row.id, row.status, step)


def decided_items(store: Database) -> list[tuple[str, str, str, str, str | None, str | None]]:
    """(title, text, language, status, dismiss reason, top claim) of every item the office judged:
    decided (DECIDED_STATUSES) or labelled."""
    with store.session() as session:
        rows = session.execute(
            select(
                ItemRow.title,
                ItemRow.text,
                ItemRow.language,
                ItemRow.status,
                ItemRow.dismiss_reason,
                ItemRow.top_claim,
            ).where(ItemRow.status.in_(DECIDED_STATUSES) | ItemRow.label.is_not(None))
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]
