"""How a text frames a claim: asserting it, or fact-checking, refuting, reporting or asking about it.

A myth and its debunk share nearly all their words ("Nein, Flüchtlinge bekommen nicht mehr als
Rentner"), so what sets them apart is the frame around the claim. These cues (fact-check labels,
refutation words, reporting verbs, questions, quotation marks) are the classifier's features for
that frame, in German and English; the weights that turn them into "debunk, not myth" are learnt
from the labelled texts, not set here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_FLAGS = re.IGNORECASE | re.MULTILINE
CUES: dict[str, re.Pattern[str]] = {
    # A fact-checker's label or section heading.
    "fact_check": re.compile(
        r"\b(?:fakten ?checks?|faktenfuchs|faktenfinder|fact[- ]?checks?(?:ed|ing)?|verifiziert|"
        r"richtigstellung|correction|fakt|fakten|fact|facts|the truth|die wahrheit|mythbust\w*)\s*[:!|–-]",
        _FLAGS,
    ),
    # "Nein, …", "Falsch: …" at the start of a sentence or line.
    "refutes_at_start": re.compile(
        r"(?:^|[.!?:]\s+)(?:nein|no|nope|falsch|false|fake|irreführend|misleading|stimmt nicht|"
        r"not true|unbelegt|unproven|wrong)\b",
        _FLAGS,
    ),
    # Words that call a claim false or unfounded.
    "calls_false": re.compile(
        r"\b(?:stimmt (?:so )?nicht|(?:ist|sind|war|waren) (?:falsch|frei erfunden|erfunden|irreführend)|"
        r"nicht wahr|kein(?:e|en)? (?:beleg|belege|beweis|beweise|hinweis|hinweise)|falschmeldung\w*|"
        r"falschbehauptung\w*|fake ?news|widerleg\w*|entkräft\w*|gerücht\w*|mythos|mythen|legende|"
        r"vorurteil\w*|desinformation|falschinformation\w*|(?:is|are|was|were) (?:false|untrue|"
        r"misleading|fabricated|made up)|not true|isn'?t true|no evidence|debunk\w*|hoax\w*|myths?\b|"
        r"rumou?rs?|misinformation|disinformation|baseless|unfounded)\b",
        _FLAGS,
    ),
    # Reporting what others say, rather than saying it.
    "reports_claim": re.compile(
        r"\b(?:behaupt\w*|angeblich\w*|soll(?:en)? (?:angeblich )?\w+ haben|kursier\w*|verbreite[tn]\w*|"
        r"heißt es|wird (?:behauptet|verbreitet|geteilt)|in (?:sozialen netzwerken|einem (?:post|beitrag|"
        r"video))|claims?|claimed|claiming|alleg\w*|viral|circulat\w*|posts? (?:claim|say|said)|"
        r"shared (?:on|by|widely)|according to)\b",
        _FLAGS,
    ),
    "asks": re.compile(r"\?\s*$", _FLAGS),
    "quotes": re.compile(r"[„“”\"«»‚‘]"),
}


def framing_features(texts: Sequence[str]) -> np.ndarray:
    """One row per text, one column per cue: 1.0 where the cue occurs."""
    out = np.zeros((len(texts), len(CUES)), dtype=np.float32)
    for row, text in enumerate(texts):
        for column, pattern in enumerate(CUES.values()):
            out[row, column] = float(pattern.search(text) is not None)
    return out
