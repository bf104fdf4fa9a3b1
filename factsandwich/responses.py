"""Responses (spokespeople): the drafted fact sandwich edited (or drafted again in another channel or
tone), checked as it is typed, submitted, approved or rejected with a reason, reopened, posted, and an
approved one exported as schema.org ClaimReview. Stored by storage/office.py (versioned, audited);
here are the rules that need no database: the live check, the version diff, the comms officer's view."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from factsandwich.claims import Claim
from factsandwich.dates import utcnow
from factsandwich.errors import ReviewError
from factsandwich.sandwich import CHANNEL_LIMITS, join_parts
from factsandwich.storage import Database
from factsandwich.storage.office import (
    EDITABLE_STATUSES,
    LIVE_RESPONSE_STATUSES,
    MAX_PART_CHARS,
    MAX_REASON_CHARS,
    RESPONSE_STATUSES,
    add_posting,
    decide_response,
    draft_problems,
    edit_response,
    get_item,
    get_response,
    item_responses,
    list_responses,
    postings_of,
    regenerate_response,
    reopen_response,
    response_problems,
    response_versions,
    sent_responses,
    submit_response,
)
from factsandwich.storage.values import Item, Response, ResponsePosting, ResponseVersion

__all__ = [
    "EDITABLE_STATUSES",
    "LIVE_RESPONSE_STATUSES",
    "MAX_PART_CHARS",
    "MAX_REASON_CHARS",
    "RESPONSE_STATUSES",
    "Change",
    "LiveCheck",
    "Publisher",
    "SentResponse",
    "VersionDiff",
    "add_posting",
    "claim_review",
    "decide_response",
    "draft_problems",
    "edit_response",
    "get_response",
    "item_responses",
    "list_responses",
    "live_check",
    "postings_of",
    "regenerate_response",
    "reopen_response",
    "response_problems",
    "response_versions",
    "sent_items",
    "state_of",
    "submit_response",
    "text_changes",
    "time_to_approval",
    "version_diffs",
]


def state_of(response: Response, postings: Sequence[ResponsePosting]) -> str:
    """The state a person reads: the stored status, and "posted" for an approved response with at
    least one posting (its status stays "approved", so every reuse of approved answers keeps it)."""
    return "posted" if response.status == "approved" and postings else response.status


@dataclass(frozen=True)
class LiveCheck:
    """The checks of the text as typed: the same problems the approval checks, the joined length and
    the channel's limit, and the parts too long to be saved at all."""

    problems: list[str]
    length: int
    limit: int | None
    too_long: list[tuple[str, int]]  # (part, its length)


def live_check(parts: Mapping[str, str], response: Response, claim: Claim, office_country: str) -> LiveCheck:
    """The editor's checks while the person types (a JSON endpoint calls this; the save and the
    approval call the same `draft_problems`)."""
    cleaned = {name: value.replace("\r\n", "\n").strip() for name, value in parts.items()}
    return LiveCheck(
        problems=draft_problems(cleaned, response.channel, response.language, claim, office_country),
        length=len(join_parts(cleaned, response.channel)),
        limit=CHANNEL_LIMITS[response.channel],
        too_long=[(name, len(value)) for name, value in cleaned.items() if len(value) > MAX_PART_CHARS],
    )


@dataclass(frozen=True)
class Change:
    """A run of words of a version diff: "equal", "insert" or "delete"."""

    kind: str
    text: str


@dataclass(frozen=True)
class VersionDiff:
    """What a version changed against the one before it (the first version: all inserted)."""

    version: ResponseVersion
    changes: list[Change]


_TOKENS = re.compile(r"\s+|[^\s]+")
# Below this share of common words (difflib's ratio over the words) the new text is a rewrite: shown
# as the old text deleted and the new one inserted, not as a patchwork of the few words they share.
REWRITE_RATIO = 0.4
# Equal runs of at most this many words, each a stop word or punctuation, between two changes belong
# to the change: "more work in the city" -> "new jobs in the region" reads as one change, not two
# around an unchanged "in the".
GLUE_WORDS = 3
ENGLISH_STOP_WORDS = (
    "a an and are as at be but by for from has have in is it its of on or that the this to was with"
)
GERMAN_STOP_WORDS = (
    "als am auch auf aus bei das dass dem den der des die ein eine einen es für im ist mit oder und von zu"
)
STOP_WORDS = frozenset(f"{ENGLISH_STOP_WORDS} {GERMAN_STOP_WORDS}".split())


def _is_glue(tokens: Sequence[str]) -> bool:
    """Whether an equal run is only whitespace, punctuation and a few stop words."""
    words = [token.strip(".,;:!?\"'()[]«»„“”‚‘’–—-…").lower() for token in tokens if not token.isspace()]
    return len(words) <= GLUE_WORDS and all(not word or word in STOP_WORDS for word in words)


def text_changes(old: str, new: str) -> list[Change]:
    """A word-level diff (difflib) of two texts that reads well: short posts are one line, so a line
    diff says nothing; a rewrite is one deletion and one insertion; the stop words and punctuation
    two changes share are part of one change. The "equal" and "delete" runs give the old text, the
    "equal" and "insert" runs the new one."""
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    words = difflib.SequenceMatcher(
        a=[t for t in before if not t.isspace()], b=[t for t in after if not t.isspace()], autojunk=False
    )
    if words.ratio() < REWRITE_RATIO:
        return [Change(kind, text) for kind, text in (("delete", old), ("insert", new)) if text]
    opcodes = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
    changes: list[Change] = []
    deleted, inserted = "", ""  # the change being gathered
    for index, (tag, a1, a2, b1, b2) in enumerate(opcodes):
        between_changes = 0 < index < len(opcodes) - 1
        if tag != "equal" or (between_changes and _is_glue(before[a1:a2])):
            deleted, inserted = deleted + "".join(before[a1:a2]), inserted + "".join(after[b1:b2])
            continue
        changes += [Change(k, t) for k, t in (("delete", deleted), ("insert", inserted)) if t]
        deleted, inserted = "", ""
        changes.append(Change("equal", "".join(before[a1:a2])))
    changes += [Change(k, t) for k, t in (("delete", deleted), ("insert", inserted)) if t]
    return changes


def version_diffs(versions: Sequence[ResponseVersion]) -> list[VersionDiff]:
    """Each version against its predecessor, newest first (as `response_versions` lists them)."""
    ordered = sorted(versions, key=lambda v: v.version)
    diffs = [
        VersionDiff(v, text_changes(ordered[i - 1].text if i else "", v.text)) for i, v in enumerate(ordered)
    ]
    return diffs[::-1]


@dataclass(frozen=True)
class SentResponse:
    """A response to an item a comms officer sent, as they follow it: its state, why it was rejected,
    where it was posted."""

    response: Response
    item: Item | None
    state: str
    postings: list[ResponsePosting]


def sent_items(store: Database, comms_officer: str) -> list[SentResponse]:
    """ "My sent items": the responses drafted from the items this person sent, with their state."""
    sent = sent_responses(store, comms_officer)
    postings = postings_of(store, [r.id for r in sent])
    return [
        SentResponse(r, get_item(store, r.item_id), state_of(r, postings[r.id]), postings[r.id]) for r in sent
    ]


def time_to_approval(item: Item, response: Response) -> dt.timedelta | None:
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


def claim_review(response: Response, item: Item, claim: Claim, publisher: Publisher) -> dict[str, Any]:
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
