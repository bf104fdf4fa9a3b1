"""The audit sheet: every number and year in every fact, short fact and explanation, beside the
sources of its pair, so that a person can tick each one off against its source.

Numbers are read per language: in German "28.280" is twenty-eight thousand and "51,7" a decimal, in
English "28,280" and "51.7". Each number is normalised (28280, 51.7), so the German and the English
text of a field can be compared: they must state the same numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from factsandwich.claims import LANGUAGES, Claim

AUDITED_FIELDS = ("fact", "short_fact", "explanation")
# Digits with optional thousands groups and an optional decimal part; a separator counts only when
# digits follow it ("2024." at the end of a sentence is the year 2024).
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\u202f\u00a0]\d+)*")
_THOUSANDS = {"de": ".", "en": ","}
_DECIMAL = {"de": ",", "en": "."}


def numbers(text: str, language: str) -> tuple[str, ...]:
    """The numbers in `text`, normalised ("28.280" (de) and "28,280" (en) both become "28280")."""
    return tuple(_normalise(match.group(), language) for match in _NUMBER.finditer(text))


def _normalise(raw: str, language: str) -> str:
    token = raw.replace("\u202f", "").replace("\u00a0", "")
    thousands = re.escape(_THOUSANDS[language])
    token = re.sub(rf"{thousands}(?=\d{{3}}(?!\d))", "", token)  # a separator before 3 digits groups
    return token.replace(_DECIMAL[language], ".")


@dataclass(frozen=True)
class AuditRow:
    """One number in one text of one pair, with what a reviewer needs to check it."""

    claim_id: str
    status: str
    reviewed: dt.date
    jurisdiction: str
    as_of: int | None
    field: str
    language: str
    number: str
    text: str
    sources: str


def audit_rows(claims: Iterable[Claim]) -> list[AuditRow]:
    rows = []
    for claim in claims:
        sources = "; ".join(f"{s.publisher}, {s.title} ({s.year}) {s.url}" for s in claim.sources)
        for field in AUDITED_FIELDS:
            texts: dict[str, str] = getattr(claim, field)
            for language in LANGUAGES:
                text = texts[language]
                for number in dict.fromkeys(numbers(text, language)):
                    rows.append(
                        AuditRow(
                            claim.id,
                            claim.status,
                            claim.reviewed,
                            claim.jurisdiction,
                            claim.as_of,
                            field,
                            language,
                            number,
                            text,
                            sources,
                        )
                    )
    return rows


def number_mismatches(claim: Claim) -> list[str]:
    """Fields whose German and English texts do not state the same numbers."""
    problems = []
    for field in AUDITED_FIELDS:
        texts: dict[str, str] = getattr(claim, field)
        found = {lang: sorted(numbers(texts[lang], lang)) for lang in LANGUAGES}
        if found["de"] != found["en"]:
            problems.append(f"{claim.id}: {field}: de {found['de']} vs en {found['en']}")
    return problems


_CSV_COLUMNS = (
    "claim_id",
    "status",
    "reviewed",
    "jurisdiction",
    "as_of",
    "field",
    "language",
    "number",
    "checked",
    "text",
    "sources",
)


def audit_csv(rows: Iterable[AuditRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.claim_id,
                r.status,
                r.reviewed.isoformat(),
                r.jurisdiction,
                r.as_of or "",
                r.field,
                r.language,
                r.number,
                "",
                r.text,
                r.sources,
            ]
        )
    return out.getvalue()


def audit_markdown(claims: Iterable[Claim], rows: Iterable[AuditRow], today: dt.date | None = None) -> str:
    """One section per pair: scope, review state, its sources, then a checklist of its numbers."""
    today = today or dt.date.today()
    by_claim: dict[str, list[AuditRow]] = {}
    for row in rows:
        by_claim.setdefault(row.claim_id, []).append(row)
    lines = [f"# Audit sheet of the claims database ({today.isoformat()})", ""]
    for claim in claims:
        due = claim.review_due(today)
        lines.append(f"## {claim.id}")
        lines.append("")
        lines.append(
            f"status {claim.status} · jurisdiction {claim.jurisdiction or '(not stated)'} · "
            f"as of {claim.as_of or '(not stated)'} · reviewed {claim.reviewed.isoformat()}"
            + (f" · **due for review**: {'; '.join(due)}" if due else "")
        )
        lines.append("")
        lines.append("Sources:")
        for i, s in enumerate(claim.sources, 1):
            lines.append(f"{i}. {_md(s.publisher)}: {_md(s.title)} ({s.year}) <{s.url}>")
        lines.append("")
        lines.append("| ✓ | field | lang | number | text |")
        lines.append("|---|---|---|---|---|")
        for row in by_claim.get(claim.id, []):
            lines.append(f"| [ ] | {row.field} | {row.language} | {row.number} | {_md(row.text)} |")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
