"""Fact-sandwich drafts rendered from the Jinja2 templates in templates/, and a structure checker.

A template defines one block per part (fact, warning, myth, fallacy, fact_repeat); it sees `claim`,
`myth` (the canonical wording), `tone`, `compact`, `fallacy_name`/`fallacy_description`/`fallacy_why`/
`fallacy_brief` from templates/<language>/_fallacies.j2, and `scope` ("In Germany", from
templates/<language>/_scope.j2, or "" when the audience is where the facts hold). A draft names the
scope unless its audience is known to be where the pair's facts hold: a draft in the office's own
language is taken to address the office's country, any other draft (an English post from anywhere)
may be read elsewhere.

The repeat says the fact in other words than the lead. A template that leads with the short fact
repeats `fact_again`: the pair's core sentence from templates/<language>/_repeats.j2 when it was
written for the pair's current short fact, else a wording of the pair's `fact` shortened at sentence
boundaries (never inside a sentence; it keeps one of the short fact's figures), and only as a last
resort the short fact itself. A template that leads with the fact repeats the short fact. `source`
(the pair's first source, or None) and `source_label` (its short name) let a template cite it; `cite`
says how the variant being tried may cite it ("link", "name" or ""); `explanation` is the pair's
explanation, or "" in a variant without room for it.

Each channel has a length limit. The variants are tried from the fullest to the leanest (the full
wording before the `compact` one, the link before the name, a citation before none, the explanation
before none, the preferred second wording before the others) and the first that fits is taken; when
none fits, the leanest is returned and the checker reports its length, never cut silently (a cut
fact can become a wrong fact).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from factsandwich.claims import GLOBAL, LANGUAGES, REVIEW_MAX_AGE_DAYS, Claim, Source
from factsandwich.errors import ConfigError

PARTS = ("fact", "warning", "myth", "fallacy", "fact_repeat")
CHANNEL_LIMITS: dict[str, int | None] = {"short": 280, "mastodon": 500, "statement": None}
TONES = ("factual", "friendly", "firm")
_SEPARATORS = {"short": " ", "mastodon": "\n\n", "statement": "\n\n"}
# The draft language an office in a country writes in for its own audience.
OFFICE_LANGUAGES = {"DE": "de", "AT": "de", "CH": "de", "LI": "de", "GB": "en", "IE": "en", "US": "en"}


# A full stop before one of these words ends no sentence ("rund 1,05 Mio. Sozialwohnungen").
_ABBREVIATIONS = frozenset(
    "mio mrd tsd nr ca bzw dr prof vgl etc usw inkl ggf abs art bd jh jhd e.g i.e vs approx st".split()  # noqa: SIM905
)
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"'„“‘(]?[A-ZÄÖÜ0-9])")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def split_sentences(text: str) -> list[str]:
    """The sentences of a fact or an explanation. A full stop after an abbreviation, a single letter
    ("v. a.", "z. B.") or a one- or two-digit ordinal ("am 2. Januar") ends no sentence."""
    sentences: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        words = text[start : end.start()].split()
        token = words[-1] if words else ""
        if end.group() == "." and (
            token.casefold() in _ABBREVIATIONS
            or (len(token) == 1 and token.isalpha())
            or re.fullmatch(r"\d{1,2}", token)
        ):
            continue
        sentences.append(text[start : end.end()].strip())
        start = end.end()
    if text[start:].strip():
        sentences.append(text[start:].strip())
    return sentences


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()).rstrip(".") == " ".join(b.casefold().split()).rstrip(".")


def _figures(text: str) -> set[str]:
    return set(_FIGURE.findall(text))


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[^\W\d_]{5,}", text)}


def fact_phrasings(fact: str, lead: str = "") -> tuple[str, ...]:
    """Second wordings of a fact for the repeat, fullest first: `fact` shortened at sentence
    boundaries (the whole fact, its leading and trailing runs of sentences, each sentence), never
    cut inside a sentence. A wording must state the same fact as `lead` (the short fact it repeats):
    it keeps one of the lead's figures, or, when the lead states none, shares two of its words; it
    is never the lead itself."""
    sentences = split_sentences(fact)
    runs = [" ".join(sentences[:n]) for n in range(len(sentences), 0, -1)]
    runs += [" ".join(sentences[n:]) for n in range(1, len(sentences))]
    figures = _figures(lead)
    found: list[str] = []
    for text in sorted(runs, key=len, reverse=True):
        if any(_same_text(text, seen) for seen in found) or _same_text(text, lead):
            continue
        same_fact = bool(figures & _figures(text)) if figures else len(_words(lead) & _words(text)) >= 2
        if lead and not same_fact:
            continue
        found.append(text)
    return tuple(found)


def source_label(source: Source | None) -> str:
    """A source's short name for a post: the abbreviation in brackets ("Robert Koch-Institut (RKI)"
    → "RKI"), else the publisher's name before a dash, comma or semicolon."""
    if source is None:
        return ""
    bracket = re.search(r"\(([^()\s]{2,24})\)", source.publisher)
    if bracket:
        return bracket.group(1)
    return re.split(r" – | - |[,;]", source.publisher, maxsplit=1)[0].strip()


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

    def _brief_repeat(self, claim: Claim, language: str) -> str:
        """The pair's core sentence from templates/<language>/_repeats.j2, if it was written for the
        pair's current short fact (a changed short fact makes the entry stale, and it is not used)."""
        try:
            repeats = vars(self.env.get_template(f"{language}/_repeats.j2").module).get("REPEATS", {})
        except jinja2.TemplateNotFound:
            return ""
        entry = repeats.get(claim.id)
        if not entry or len(entry) != 2:
            return ""
        if " ".join(str(entry[0]).split()) != " ".join(claim.short_fact[language].split()):
            return ""
        return str(entry[1]).strip()

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
        source = claim.sources[0] if claim.sources else None
        short_fact = claim.short_fact[language]
        variables = {
            "claim": claim,
            "myth": claim.canonical_myth(language),
            "tone": tone,
            "fallacy_name": fallacies["NAMES"][claim.fallacy],
            "fallacy_description": fallacies["DESCRIPTIONS"][claim.fallacy],
            "fallacy_why": fallacies["WHY"][claim.fallacy],
            "fallacy_brief": fallacies["BRIEF"][claim.fallacy],
            "scope": scope,
            "source": source,
            "source_label": source_label(source),
        }
        limit = CHANNEL_LIMITS[channel]
        brief = self._brief_repeat(claim, language)
        agains: tuple[str, ...] = (brief,) if brief else ()
        agains += tuple(a for a in fact_phrasings(claim.fact[language], lead=short_fact) if a != brief)
        variants = _variants(limit is not None, agains, claim.explanation[language], source is not None)
        # the last resort, for a pair with no other wording that fits: the short fact once more
        variants += _variants(
            limit is not None, (short_fact,), claim.explanation[language], source is not None
        )
        agains = agains or (short_fact,)
        for variant in variants:
            parts = _render_parts(template, {**variables, **variant})
            if limit is None or len(join_parts(parts, channel)) <= limit:
                break
        else:  # nothing fits: the leanest wording with the preferred repeat, for a person to shorten
            parts = _render_parts(template, {**variables, **variants[-1], "fact_again": agains[0]})
        problems = check_parts(parts, channel, claim.canonical_myth(language), claim.status)
        problems += claim_problems(claim, self.office_country, self.today)
        return Draft(claim.id, language, channel, tone, parts, tuple(problems))


def _render_parts(template: jinja2.Template, variables: dict[str, Any]) -> dict[str, str]:
    context = template.new_context(variables)
    return {name: "".join(template.blocks[name](context)).strip() for name in PARTS}


def _variants(
    limited: bool, agains: tuple[str, ...], explanation: str, has_source: bool
) -> list[dict[str, Any]]:
    """The template variables to try, fullest first: the full wording citing the source with its
    link, then by name, the compact wording the same way, and only then either without a citation;
    within each, with the pair's explanation before without it, and the second wordings of the fact
    in the order given. Without a limit, only the fullest."""
    cited = [(compact, cite) for compact in (False, True) for cite in ("link", "name")] if has_source else []
    levels = [*cited, (False, ""), (True, "")]
    steps = [
        {"explanation": text, "compact": compact, "cite": cite, "fact_again": again}
        for compact, cite in levels
        for text in (explanation, "")
        for again in agains
    ]
    return steps if limited else steps[:1]
