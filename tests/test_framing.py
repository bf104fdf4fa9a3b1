"""Framing cues: a debunk's frame is seen, a plain assertion of the myth carries none."""

from __future__ import annotations

import pytest

from factsandwich.framing import CUES, framing_features


def cues(text: str) -> set[str]:
    return {name for name, value in zip(CUES, framing_features([text])[0], strict=True) if value}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Faktencheck: Bekommen Asylbewerber mehr Geld als Rentner?", {"fact_check", "asks"}),
        ("Nein, Flüchtlinge bekommen nicht mehr Geld als Rentner", {"refutes_at_start"}),
        ("Die Behauptung, Migranten seien krimineller, stimmt so nicht.", {"reports_claim", "calls_false"}),
        ("A viral post claims migrants get $2,000 a month. That is false.", {"reports_claim", "calls_false"}),
        ("Fact check: no, immigrants do not take most new jobs", {"fact_check", "refutes_at_start"}),
    ],
)
def test_debunk_frames_are_seen(text: str, expected: set[str]) -> None:
    assert expected <= cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "Die kriegen alle mehr als unsere Rentner!!!",
        "They come here for the benefits and nothing else",
        "Wieder ein Messerangriff. Danke Merkel",
    ],
)
def test_an_asserted_myth_has_no_debunk_frame(text: str) -> None:
    assert not cues(text) & {"fact_check", "refutes_at_start", "calls_false", "reports_claim"}
