"""The myth/fact database: schema, loading with precise errors, export, and a content hash.

One YAML file per pair (see claims_db/README.md). Validation reports the file, the line and the
field, so an editor can fix a pair without reading code; any error leaves nothing loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from factsandwich.errors import ClaimsError

LANGUAGES = ("de", "en")
STATUSES = ("published", "needs_review", "retired")
FALLACIES = (
    "cherry-picking",
    "false-causation",
    "conspiracy-theory",
    "impossible-expectations",
    "zero-sum-thinking",
    "overgeneralisation",
    "false-comparison",
    "scapegoating",
    "missing-context",
    "misrepresentation",
)
MIN_WORDINGS = 8
LIMITS = {"canonical_myth": 90, "fact": 220, "short_fact": 100, "explanation": 400}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FIELDS = {
    "id",
    "status",
    "topics",
    "fallacy",
    "myths",
    "fact",
    "short_fact",
    "explanation",
    "sources",
    "reviewed",
    "jurisdiction",
    "as_of",
}
# Where and when the facts hold. Required in claims_db/ (load_claims); pairs stored or imported before
# these fields existed still load, with the scope unknown (drafts then always name it as unknown).
_SCOPE_FIELDS = {"jurisdiction", "as_of"}
GLOBAL = "global"
EU = "EU"
EU_MEMBERS = frozenset(
    re.findall(
        r"[A-Z]{2}", "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
    )
)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Review cadence: a person checks every figure of a pair at least this often, and a figure that
# describes a year more than AS_OF_MAX_AGE_YEARS back is looked up again (a newer edition may exist).
REVIEW_MAX_AGE_DAYS = 183
AS_OF_MAX_AGE_YEARS = 2
_SOURCE_FIELDS = {"publisher", "title", "year", "url", "note"}


@dataclass(frozen=True)
class Source:
    publisher: str
    title: str
    year: int
    url: str
    note: str = ""


@dataclass(frozen=True)
class Claim:
    """One myth/fact pair. Per-language texts are dicts keyed by language code."""

    id: str
    status: str
    topics: tuple[str, ...]
    fallacy: str
    myths: Mapping[str, tuple[str, ...]]
    fact: Mapping[str, str]
    short_fact: Mapping[str, str]
    explanation: Mapping[str, str]
    sources: tuple[Source, ...]
    reviewed: dt.date
    jurisdiction: str = ""  # "DE", another ISO 3166 code, "EU" or "global"; "" = not stated
    as_of: int | None = None  # the year the figures describe (the latest, for a range)

    def holds_in(self, country: str) -> bool:
        """Whether the pair's facts hold for an audience in `country` (ISO 3166 alpha-2)."""
        if self.jurisdiction == GLOBAL:
            return True
        if self.jurisdiction == EU:
            return country in EU_MEMBERS
        return bool(self.jurisdiction) and self.jurisdiction == country

    def review_due(self, today: dt.date | None = None) -> tuple[str, ...]:
        """Why this pair is due for review (empty when it is not): see REVIEW_MAX_AGE_DAYS."""
        today = today or dt.date.today()
        reasons = []
        age = (today - self.reviewed).days
        if age > REVIEW_MAX_AGE_DAYS:
            reasons.append(f"not reviewed for {age} days (last {self.reviewed.isoformat()})")
        if self.as_of is None:
            reasons.append("the year its figures describe (as_of) is not stated")
        elif today.year - self.as_of > AS_OF_MAX_AGE_YEARS:
            reasons.append(f"its figures describe {self.as_of}, more than {AS_OF_MAX_AGE_YEARS} years ago")
        if not self.jurisdiction:
            reasons.append("where its facts hold (jurisdiction) is not stated")
        return tuple(reasons)

    def canonical_myth(self, language: str) -> str:
        return self.myths[language][0]

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the claims_db/ YAML layout (also the JSON of `claims list`)."""
        return {
            "id": self.id,
            "status": self.status,
            "topics": list(self.topics),
            "fallacy": self.fallacy,
            "myths": {lang: list(texts) for lang, texts in self.myths.items()},
            "fact": dict(self.fact),
            "short_fact": dict(self.short_fact),
            "explanation": dict(self.explanation),
            "sources": [{k: v for k, v in asdict(s).items() if v != ""} for s in self.sources],
            "reviewed": self.reviewed.isoformat(),
            **({"jurisdiction": self.jurisdiction} if self.jurisdiction else {}),
            **({"as_of": self.as_of} if self.as_of is not None else {}),
        }

    def to_yaml(self) -> str:
        data = self.to_dict()
        data["reviewed"] = self.reviewed
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


@dataclass(frozen=True)
class ClaimSet:
    """All claims of a database, with a hash of their content (the index and the classifier key on it)."""

    claims: tuple[Claim, ...]

    def __iter__(self) -> Iterator[Claim]:
        return iter(self.claims)

    def __len__(self) -> int:
        return len(self.claims)

    def get(self, claim_id: str) -> Claim | None:
        return next((c for c in self.claims if c.id == claim_id), None)

    @property
    def active(self) -> tuple[Claim, ...]:
        """Claims that take part in matching (retired ones do not)."""
        return tuple(c for c in self.claims if c.status != "retired")

    @property
    def content_hash(self) -> str:
        payload = json.dumps([c.to_dict() for c in self.claims], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


class _Checker:
    """Collects a claim's fields while reporting the first problem with file, line and field."""

    def __init__(self, path: Path, lines: Mapping[str, int]) -> None:
        self.path = path
        self.lines = lines

    def fail(self, field: str, problem: str) -> ClaimsError:
        top = field.split(".")[0].split("[")[0]
        line = self.lines.get(top)
        where = f"{self.path}:{line}" if line else str(self.path)
        return ClaimsError(f"{where}: field '{field}': {problem}")

    def text(self, value: Any, field: str, limit: int | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "must be a non-empty text")
        text = value.strip()
        if limit is not None and len(text) > limit:
            raise self.fail(field, f"is {len(text)} characters long, at most {limit} allowed")
        return text

    def per_language(self, value: Any, field: str, limit: int) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(field, f"must map each language ({', '.join(LANGUAGES)}) to a text")
        self.no_unknown(value, set(LANGUAGES), field)
        return {lang: self.text(value.get(lang), f"{field}.{lang}", limit) for lang in LANGUAGES}

    def no_unknown(self, value: Mapping[str, Any], allowed: set[str], field: str) -> None:
        unknown = sorted(set(map(str, value)) - allowed)
        if unknown:
            prefix = f"{field}." if field else ""
            raise self.fail(f"{prefix}{unknown[0]}", f"unknown field (allowed: {', '.join(sorted(allowed))})")


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without aliases (`*name`): a pair never needs them, and a few KB of nested aliases
    (a "billion laughs" file, maybe uploaded from elsewhere) expand to gigabytes once formatted."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in claim files; write the text out",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)


# libyaml, where PyYAML has it: parsing every claim file on each start takes about a tenth of the time.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)


def _safe_yaml(text: str) -> Any:
    """The YAML's data, refusing aliases before anything is built from them."""
    if _FAST_LOADER is None:
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader, without aliases
    for event in yaml.parse(text, Loader=_FAST_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in claim files; write the text out",
                problem_mark=event.start_mark,  # type: ignore[arg-type]  # libyaml Mark, also with .line
            )
    return yaml.load(text, Loader=_FAST_LOADER)  # CSafeLoader: safe, and no aliases


def _key_lines(text: str) -> dict[str, int]:
    """Line numbers (1-based) of the top-level keys, for error messages."""
    try:
        node = yaml.compose(text, Loader=_FAST_LOADER or _NoAliasLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def parse_claim(text: str, path: Path, require_scope: bool = False) -> Claim:
    """Parse and validate one pair; raise ClaimsError naming file, line and field."""
    try:
        data = _safe_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ClaimsError(f"{where}: not valid YAML: {problem}") from None
    return claim_from_data(data, path, _key_lines(text), require_scope)


def claim_from_data(
    data: Any, path: Path, lines: Mapping[str, int] | None = None, require_scope: bool = False
) -> Claim:
    """Validate plain data in the claims_db/ layout (from a file, a form or the store).
    `require_scope`: `jurisdiction` and `as_of` must be present (claims_db/ files)."""
    check = _Checker(path, lines or {})
    if not isinstance(data, dict):
        raise ClaimsError(f"{path}: must be a mapping of fields (see claims_db/README.md)")
    check.no_unknown(data, _FIELDS, "")
    for name in sorted(_FIELDS if require_scope else _FIELDS - _SCOPE_FIELDS):
        if name not in data:
            raise check.fail(name, "is missing")

    claim_id = check.text(data["id"], "id")
    if not _SLUG.match(claim_id):
        raise check.fail("id", f"{claim_id!r} is not a lowercase slug like 'jobs-taken'")
    if claim_id != path.stem:
        raise check.fail("id", f"{claim_id!r} differs from the file name {path.name!r}")
    status = check.text(data["status"], "status")
    if status not in STATUSES:
        raise check.fail("status", f"{status!r} is not one of {', '.join(STATUSES)}")
    fallacy = check.text(data["fallacy"], "fallacy")
    if fallacy not in FALLACIES:
        raise check.fail("fallacy", f"{fallacy!r} is not one of {', '.join(FALLACIES)}")
    topics = data["topics"]
    if not isinstance(topics, list) or not topics:
        raise check.fail("topics", "must be a non-empty list of slugs")
    for i, topic in enumerate(topics):
        if not isinstance(topic, str) or not _SLUG.match(topic):
            raise check.fail(f"topics[{i}]", f"{topic!r} is not a lowercase slug")

    myths_raw = data["myths"]
    if not isinstance(myths_raw, dict):
        raise check.fail("myths", "must map each language to a list of wordings")
    check.no_unknown(myths_raw, set(LANGUAGES), "myths")
    myths: dict[str, tuple[str, ...]] = {}
    for lang in LANGUAGES:
        wordings = myths_raw.get(lang)
        field = f"myths.{lang}"
        if not isinstance(wordings, list):
            raise check.fail(field, "must be a list of wordings")
        if len(wordings) < MIN_WORDINGS:
            raise check.fail(field, f"has {len(wordings)} wordings, at least {MIN_WORDINGS} needed")
        texts = [check.text(w, f"{field}[{i}]") for i, w in enumerate(wordings)]
        check.text(texts[0], f"{field}[0]", LIMITS["canonical_myth"])
        seen: set[str] = set()
        for i, wording in enumerate(texts):
            if wording.casefold() in seen:
                raise check.fail(f"{field}[{i}]", "repeats an earlier wording")
            seen.add(wording.casefold())
        myths[lang] = tuple(texts)

    sources_raw = data["sources"]
    if not isinstance(sources_raw, list) or not sources_raw:
        raise check.fail("sources", "at least one source (publisher, title, year, url) is required")
    sources = tuple(_parse_source(check, s, i) for i, s in enumerate(sources_raw))

    reviewed = data["reviewed"]
    if isinstance(reviewed, str):
        try:
            reviewed = dt.date.fromisoformat(reviewed)
        except ValueError:
            raise check.fail("reviewed", f"{reviewed!r} is not a date YYYY-MM-DD") from None
    if not isinstance(reviewed, dt.date) or isinstance(reviewed, dt.datetime):
        raise check.fail("reviewed", "must be a date YYYY-MM-DD")

    return Claim(
        id=claim_id,
        status=status,
        topics=tuple(topics),
        fallacy=fallacy,
        myths=myths,
        fact=check.per_language(data["fact"], "fact", LIMITS["fact"]),
        short_fact=check.per_language(data["short_fact"], "short_fact", LIMITS["short_fact"]),
        explanation=check.per_language(data["explanation"], "explanation", LIMITS["explanation"]),
        sources=sources,
        reviewed=reviewed,
        jurisdiction=_parse_jurisdiction(check, data.get("jurisdiction")),
        as_of=_parse_as_of(check, data.get("as_of")),
    )


def _parse_jurisdiction(check: _Checker, raw: Any) -> str:
    if raw is None:
        return ""
    value = check.text(raw, "jurisdiction")
    if value.lower() == GLOBAL:
        return GLOBAL
    if value != EU and not _COUNTRY.match(value):
        raise check.fail(
            "jurisdiction", f"{value!r} is not 'global', 'EU' or a two-letter country code such as 'DE'"
        )
    return value


def _parse_as_of(check: _Checker, raw: Any) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1900 <= raw <= dt.date.today().year:
        raise check.fail("as_of", f"{raw!r} is not a year (the year the figures describe, e.g. 2025)")
    return raw


def _parse_source(check: _Checker, raw: Any, i: int) -> Source:
    field = f"sources[{i}]"
    if not isinstance(raw, dict):
        raise check.fail(field, "must have publisher, title, year and url")
    check.no_unknown(raw, _SOURCE_FIELDS, field)
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= dt.date.today().year:
        raise check.fail(f"{field}.year", f"{year!r} is not a plausible publication year")
    url = check.text(raw.get("url"), f"{field}.url")
    if not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
        raise check.fail(f"{field}.url", f"{url!r} is not an http(s) URL")
    note = raw.get("note", "")
    return Source(
        publisher=check.text(raw.get("publisher"), f"{field}.publisher"),
        title=check.text(raw.get("title"), f"{field}.title"),
        year=year,
        url=url,
        note=check.text(note, f"{field}.note") if note else "",
    )


def load_claims(directory: Path) -> ClaimSet:
    """Load every `*.yaml` in `directory`; the first problem raises ClaimsError and nothing is loaded."""
    if not directory.is_dir():
        raise ClaimsError(f"{directory}: claims directory not found (set FACTSANDWICH_CLAIMS_DIR)")
    paths = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not paths:
        raise ClaimsError(f"{directory}: no claim files (*.yaml) found")
    claims = tuple(_load_file(p) for p in paths)
    first_file: dict[str, Path] = {}
    for path, claim in zip(paths, claims, strict=True):
        if claim.id in first_file:  # x.yaml and x.yml: one id, two files
            raise ClaimsError(
                f"{path}: id {claim.id!r} is also in {first_file[claim.id].name}; keep one of the two files"
            )
        first_file[claim.id] = path
    return ClaimSet(claims)


def _load_file(path: Path) -> Claim:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ClaimsError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    return parse_claim(text, path, require_scope=True)
