"""Responses (spokespeople): the drafted fact sandwich edited, checked, approved or rejected, and an
approved one exported as schema.org ClaimReview. Stored by storage/office.py (versioned, audited)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from factsandwich.claims import Claim
from factsandwich.dates import utcnow
from factsandwich.errors import ReviewError
from factsandwich.storage.office import (
    LIVE_RESPONSE_STATUSES,
    MAX_PART_CHARS,
    decide_response,
    edit_response,
    get_response,
    list_responses,
    response_problems,
    response_versions,
)
from factsandwich.storage.values import Item, Response

__all__ = [
    "LIVE_RESPONSE_STATUSES",
    "MAX_PART_CHARS",
    "Publisher",
    "claim_review",
    "decide_response",
    "edit_response",
    "get_response",
    "list_responses",
    "response_problems",
    "response_versions",
    "time_to_approval",
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
