from __future__ import annotations

import dataclasses

import pytest

from factsandwich.claims import LANGUAGES, load_claims
from factsandwich.config import PROJECT_ROOT
from factsandwich.sandwich import CHANNEL_LIMITS, PARTS, TONES, DraftWriter, check_parts

CLAIMS = load_claims(PROJECT_ROOT / "claims_db")
WRITER = DraftWriter(PROJECT_ROOT / "templates")


@pytest.mark.parametrize("channel", list(CHANNEL_LIMITS))
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("tone", TONES)
def test_every_shipped_claim_drafts_within_limits(channel: str, language: str, tone: str) -> None:
    for claim in CLAIMS:
        draft = WRITER.render(claim, language, channel, tone)
        structural = [p for p in draft.problems if "review" not in p]
        assert not structural, (claim.id, draft.text, draft.problems)
        assert set(draft.parts) == set(PARTS)
        limit = CHANNEL_LIMITS[channel]
        assert limit is None or len(draft.text) <= limit
        assert claim.canonical_myth(language) in draft.parts["myth"]
        # the fact leads and closes the sandwich
        assert draft.text.startswith(draft.parts["fact"])
        assert draft.text.rstrip().endswith(draft.parts["fact_repeat"].rstrip())


def test_draft_language_and_sources_in_statement() -> None:
    claim = CLAIMS.get("jobs-taken")
    assert claim is not None
    german = WRITER.render(claim, "de", "statement")
    assert "Quellen:" in german.text and claim.sources[0].url in german.text
    checks = german.to_dict()["checks"]
    assert checks["length"] == len(german.text) and checks["limit"] is None


def test_checker_reports_structure_and_length_problems() -> None:
    parts = {"fact": "F", "warning": "W", "myth": "Mythos X", "fallacy": "", "fact_repeat": "F. Mythos X"}
    problems = check_parts(parts, "short", "Mythos X")
    assert "the part 'fallacy' is empty" in problems
    assert any("myth is repeated" in p for p in problems)
    long_parts = dict.fromkeys(PARTS, "x" * 60)
    assert any("over the 280" in p for p in check_parts(long_parts, "short", "y"))


def test_needs_review_claim_is_marked_not_ready() -> None:
    claim = dataclasses.replace(next(iter(CLAIMS)), status="needs_review")
    draft = WRITER.render(claim, "en", "short")
    assert any("review" in p for p in draft.problems) and not draft.to_dict()["checks"]["ok"]


def test_unknown_channel_is_a_clear_error() -> None:
    from factsandwich.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown channel"):
        WRITER.render(next(iter(CLAIMS)), "de", "fax")
