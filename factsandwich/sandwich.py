"""Fact-sandwich drafts rendered from the Jinja2 templates in templates/, and a structure checker.

A template defines one block per part (fact, warning, myth, fallacy, fact_repeat); it sees `claim`,
`myth` (the canonical wording), `tone`, `compact`, `fallacy_name`/`fallacy_description` from
templates/<language>/_fallacies.j2, and `scope` ("In Germany", from templates/<language>/_scope.j2, or
"" when the audience is where the facts hold). A draft names the scope unless its audience is known
to be where the pair's facts hold: a draft in the office's own language is taken to address the
office's country, any other draft (an English post from anywhere) may be read elsewhere. Each channel has a
length limit: the full wording is tried first, then the template's `compact` variant; whatever
remains too long is reported by the checker, never cut silently (a cut fact can become a wrong fact).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from factsandwich.claims import GLOBAL, LANGUAGES, REVIEW_MAX_AGE_DAYS, Claim
from factsandwich.errors import ConfigError

PARTS = ("fact", "warning", "myth", "fallacy", "fact_repeat")
CHANNEL_LIMITS: dict[str, int | None] = {"short": 280, "mastodon": 500, "statement": None}
TONES = ("factual", "friendly")
_SEPARATORS = {"short": " ", "mastodon": "\n\n", "statement": "\n\n"}
# The draft language an office in a country writes in for its own audience.
OFFICE_LANGUAGES = {"DE": "de", "AT": "de", "CH": "de", "LI": "de", "GB": "en", "IE": "en", "US": "en"}


@dataclass(frozen=True)
class Draft:
    claim_id: str
    language: str
    channel: str
    tone: str
    parts: Mapping[str, str]
    problems: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return join_parts(self.parts, self.channel)

    def to_dict(self) -> dict[str, Any]:
        limit = CHANNEL_LIMITS[self.channel]
        return {
            "claim_id": self.claim_id,
            "language": self.language,
            "channel": self.channel,
            "tone": self.tone,
            "text": self.text,
            "parts": dict(self.parts),
            "checks": {
                "length": len(self.text),
                "limit": limit,
                "ok": not self.problems,
                "problems": list(self.problems),
            },
        }


def join_parts(parts: Mapping[str, str], channel: str) -> str:
    return _SEPARATORS[channel].join(parts[name].strip() for name in PARTS if parts.get(name, "").strip())


def check_parts(
    parts: Mapping[str, str], channel: str, myth: str, claim_status: str = "published"
) -> list[str]:
    """Structure and length problems of a (possibly hand-edited) sandwich."""
    problems = [f"the part '{name}' is empty" for name in PARTS if not parts.get(name, "").strip()]
    text = join_parts(parts, channel)
    limit = CHANNEL_LIMITS[channel]
    if limit is not None and len(text) > limit:
        problems.append(f"{len(text)} characters, over the {limit} allowed on this channel")
    if myth and text.casefold().count(myth.casefold()) > 1:
        problems.append("the myth is repeated; mention it once, the fact twice")
    fact = parts.get("fact", "").strip().casefold()
    if fact and fact in parts.get("myth", "").casefold():
        problems.append("the fact sits inside the myth part; lead with the fact")
    if claim_status != "published":
        problems.append(f"the claim is {claim_status.replace('_', ' ')}: do not publish before review")
    return problems


def claim_problems(claim: Claim, office_country: str, today: dt.date | None = None) -> list[str]:
    """Why a draft from this pair must not go out unchecked: facts that do not hold where the office
    is, a scope that is not stated, or a review that is overdue."""
    problems = []
    if not claim.jurisdiction:
        problems.append("where this pair's facts hold is not stated (jurisdiction): check before publishing")
    elif not claim.holds_in(office_country):
        problems.append(
            f"this pair's facts hold for {claim.jurisdiction}, not for the office's country "
            f"{office_country}: check and adapt before publishing"
        )
    age = ((today or dt.date.today()) - claim.reviewed).days
    if age > REVIEW_MAX_AGE_DAYS:
        problems.append(
            f"the pair is overdue for review (last reviewed {claim.reviewed.isoformat()}, {age} days ago): "
            "check its figures before publishing"
        )
    return problems


class DraftWriter:
    """Renders drafts from a templates directory (templates/<language>/<channel>.j2)."""

    def __init__(self, templates_dir: Path, office_country: str = "DE", today: dt.date | None = None) -> None:
        self.office_country = office_country
        self.today = today  # None: the current date at each render (tests fix it)
        if not templates_dir.is_dir():
            raise ConfigError(f"{templates_dir}: templates directory not found (FACTSANDWICH_TEMPLATES_DIR)")
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir)),
            autoescape=False,  # plain text out; the web UI escapes when it shows a draft
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
        )

    def audience_for(self, language: str) -> str | None:
        """The country a draft in `language` is known to address, or None when it may be read anywhere."""
        return self.office_country if OFFICE_LANGUAGES.get(self.office_country) == language else None

    def render(
        self,
        claim: Claim,
        language: str,
        channel: str = "short",
        tone: str = "factual",
        audience: str | None = None,
    ) -> Draft:
        """`audience`: the country the answer addresses, when known (default: see audience_for)."""
        if language not in LANGUAGES:
            raise ConfigError(f"no templates for language {language!r}; available: {', '.join(LANGUAGES)}")
        if channel not in CHANNEL_LIMITS:
            raise ConfigError(f"unknown channel {channel!r}; choose one of {', '.join(CHANNEL_LIMITS)}")
        if tone not in TONES:
            raise ConfigError(f"unknown tone {tone!r}; choose one of {', '.join(TONES)}")
        template = self.env.get_template(f"{language}/{channel}.j2")
        fallacies = vars(self.env.get_template(f"{language}/_fallacies.j2").module)  # its {% set %}s
        scopes = vars(self.env.get_template(f"{language}/_scope.j2").module)
        audience = audience or self.audience_for(language)
        name_scope = claim.jurisdiction not in ("", GLOBAL) and not (audience and claim.holds_in(audience))
        scope = ""
        if name_scope:
            scope = scopes["IN"].get(claim.jurisdiction, f"{scopes['IN_OTHER']} {claim.jurisdiction}")
        variables = {
            "claim": claim,
            "myth": claim.canonical_myth(language),
            "tone": tone,
            "fallacy_name": fallacies["NAMES"][claim.fallacy],
            "fallacy_description": fallacies["DESCRIPTIONS"][claim.fallacy],
            "scope": scope,
        }
        limit = CHANNEL_LIMITS[channel]
        parts: dict[str, str] = {}
        for compact in (False, True):
            context = template.new_context({**variables, "compact": compact})
            parts = {name: "".join(template.blocks[name](context)).strip() for name in PARTS}
            if limit is None or len(join_parts(parts, channel)) <= limit:
                break
        problems = check_parts(parts, channel, claim.canonical_myth(language), claim.status)
        problems += claim_problems(claim, self.office_country, self.today)
        return Draft(claim.id, language, channel, tone, parts, tuple(problems))
