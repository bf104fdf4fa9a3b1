"""External fact-check collections: Snopes claims of CLEF CheckThat! (vclaims), generic JSON(L) lists and
schema.org ClaimReview (JSON-LD exports and the ld+json blocks of fact-check pages).

They are a second kind of claim: searchable next to our own myth/fact pairs, but never used to draft a
response; an office only links to the publisher's fact-check. Every file is untrusted: text is reduced
to plain text and capped, only http(s) addresses are kept, and a bad record is skipped and reported with
its line instead of failing the whole import.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from factsandwich.dates import iso_date
from factsandwich.errors import FactCheckError
from factsandwich.text import CONTROL_CHARS, content_hash, html_to_text

COLLECTION_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# Longest kept values, within the columns of store.FactCheckRow; longer text is shortened at a word.
LIMITS = {"claim": 2000, "title": 500, "summary": 1000, "rating": 200, "publisher": 300, "published": 64}
MAX_ID, MAX_URL = 300, 2048

_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")
_LANGUAGE = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*")


@dataclass(frozen=True)
class FactCheck:
    """One published fact-check of an external collection (shown as a link, never drafted from)."""

    collection: str  # the collection name given at import, e.g. "snopes"
    external_id: str  # unique within the collection
    claim: str  # the checked claim, one sentence
    title: str = ""
    summary: str = ""  # vclaims' subtitle; ClaimReview's reviewBody or description (shortened)
    rating: str = ""  # ClaimReview's reviewRating.alternateName, e.g. "False"
    publisher: str = ""  # author or publishing organisation
    published: str = ""  # YYYY-MM-DD when parseable, else as given, else ""
    url: str = ""  # the fact-check's address: http(s) only, else ""
    language: str = ""  # "en", "de", … or "" when unknown


@dataclass(frozen=True)
class FactCheckImport:
    fact_checks: list[FactCheck]
    problems: list[str]  # "file:line: what is wrong", one per skipped record or duplicate


def read_fact_checks(path: Path, collection: str, *, language: str = "") -> FactCheckImport:
    """Read a collection file; its format is recognised from the content: JSON Lines (vclaims, generic
    `{"id", "claim", …}` records or ClaimReview objects, streamed line by line), a JSON array of them,
    a ClaimReview JSON-LD document (an object, a list, "@graph" or a DataFeed), or an HTML page with
    `<script type="application/ld+json">` blocks. `language` applies to records that name none.

    A record's id is its own id ("vclaim_id", "id", ClaimReview's "@id"), else its url, else a hash of
    its claim; when records without an own id share a url (several ClaimReviews of one article), each
    gets the url plus a hash of its claim. Raises FactCheckError when nothing can be imported."""
    if not COLLECTION_NAME.fullmatch(collection):
        raise FactCheckError(
            f"collection name {collection!r} is invalid: 1 to 64 of a-z, 0-9, '-' and '_', "
            "starting with a letter or a digit"
        )
    default_language = _language(language)
    if language and not default_language:
        raise FactCheckError(f"language {language!r} is not a language code such as 'en' or 'de'")
    reader = _Reader(path, collection, default_language)
    try:
        with path.open("rb") as handle:
            reader.read(handle)
    except OSError as exc:
        raise FactCheckError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return reader.result()


class _Skip(Exception):
    """A record that cannot be imported; the message says why."""


class _Reader:
    def __init__(self, path: Path, collection: str, language: str) -> None:
        self.path, self.collection, self.language = path, collection, language
        self.problems: list[str] = []
        self.records: list[tuple[int, FactCheck, bool]] = []  # line, record, id taken from the url
        self.parsed = False  # whether any JSON was read: if not, the file is not JSON

    def problem(self, line: int, message: str) -> None:
        self.problems.append(f"{self.path}:{line}: {message}")

    def read(self, handle: IO[bytes]) -> None:
        first = b""
        for first in handle:
            if first.strip():
                break
        if not first.strip():
            raise FactCheckError(f"{self.path}: the file is empty")
        start = first.decode("utf-8-sig", errors="replace").lstrip()
        handle.seek(0)
        if start.startswith("<"):
            self._read_html(handle.read().decode("utf-8-sig", errors="replace"))
        elif start.startswith("["):
            self._read_array(self._text(handle))
        elif start.startswith("{"):
            if _is_json(start):
                self._read_lines(handle)
            else:  # a document over several lines, or JSON Lines with a broken first line
                self._read_object(handle)
        else:
            raise FactCheckError(
                f"{self.path}: not JSON, JSON Lines or an HTML page (it starts with {start[:20]!r})"
            )

    def _text(self, handle: IO[bytes]) -> str:
        data = handle.read()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise FactCheckError(f"{self.path}:{line}: not UTF-8 text") from None

    def _read_lines(self, handle: IO[bytes]) -> None:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                value = _loads(raw.rstrip().decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError:
                self.problem(number, "not UTF-8 text")
                continue
            except json.JSONDecodeError as exc:
                self.problem(number, f"not JSON ({exc.msg} at column {exc.colno})")
                continue
            self.parsed = True
            self._visit(value, number, "", in_json_ld=False)

    def _read_object(self, handle: IO[bytes]) -> None:
        text = self._text(handle)
        try:
            value = _loads(text)
        except json.JSONDecodeError as exc:
            handle.seek(0)
            self._read_lines(handle)
            if not self.parsed:
                raise FactCheckError(f"{self.path}:{exc.lineno}: not JSON ({exc.msg})") from None
            return
        self.parsed = True
        self._visit(value, 1, "", in_json_ld=False)

    def _read_array(self, text: str) -> None:
        try:
            for line, value in _array_elements(text):
                self.parsed = True
                self._visit(value, line, "", in_json_ld=False)
            self.parsed = True
        except json.JSONDecodeError as exc:
            if not self.parsed:
                raise FactCheckError(f"{self.path}:{exc.lineno}: not JSON ({exc.msg})") from None
            self.problem(exc.lineno, f"not JSON from here on ({exc.msg}); the rest of the file is skipped")

    def _read_html(self, html: str) -> None:
        scripts = _JsonLdScripts()
        scripts.feed(html)
        scripts.close()
        for line, block in scripts.blocks:
            try:
                value = _loads(block)
            except json.JSONDecodeError as exc:
                self.problem(line + exc.lineno - 1, f"an ld+json block is not JSON ({exc.msg})")
                continue
            self.parsed = True
            self._visit(value, line, "", in_json_ld=True)

    def _visit(self, value: Any, line: int, where: str, *, in_json_ld: bool, depth: int = 0) -> None:
        """Add the fact-checks in `value`; JSON-LD containers are opened, other schema.org objects (an
        Organization, a WebPage) are passed over, and anything else that is not a record is reported."""
        if depth > MAX_NESTING:
            self.problem(line, f"{where}nested more than {MAX_NESTING} levels deep, skipped")
            return
        if isinstance(value, list):
            for i, element in enumerate(value, 1):
                self._visit(element, line, f"{where}item {i}: ", in_json_ld=in_json_ld, depth=depth + 1)
            return
        if not isinstance(value, dict):
            self.problem(line, f"{where}not a JSON object")
            return
        for container in ("@graph", "dataFeedElement"):
            if container in value:
                elements = value[container] if isinstance(value[container], list) else [value[container]]
                self._visit(elements, line, f"{where}{container} ", in_json_ld=True, depth=depth + 1)
                return
        if _has_type(value, "DataFeedItem") and "item" in value:
            self._visit(value["item"], line, where, in_json_ld=True, depth=depth + 1)
            return
        try:
            if _has_type(value, "ClaimReview"):
                raw, claim_key = _from_claim_review(value), "claimReviewed"
            elif "@type" in value or in_json_ld:
                return
            elif "vclaim" in value or "vclaim_id" in value:
                raw, claim_key = _from_vclaim(value), "vclaim"
            else:
                raw, claim_key = _from_generic(value), "claim"
            fact_check, id_from_url = self._build(raw, claim_key)
        except _Skip as skip:
            self.problem(line, f"{where}{skip}")
            return
        self.records.append((line, fact_check, id_from_url))

    def _build(self, raw: dict[str, Any], claim_key: str) -> tuple[FactCheck, bool]:
        claim = _plain(raw.get("claim"), LIMITS["claim"])
        if not claim:
            raise _Skip(f'no claim ("{claim_key}" is missing or empty)')
        own_id = raw.get("id")
        if own_id is not None and (isinstance(own_id, bool) or not isinstance(own_id, str | int)):
            raise _Skip("the id is neither a string nor a number")
        url = _url(raw.get("url"))
        external_id = _identifier(own_id)
        id_from_url = not external_id and bool(url)
        fact_check = FactCheck(
            collection=self.collection,
            external_id=external_id or _identifier(url) or content_hash(claim),
            claim=claim,
            title=_plain(raw.get("title"), LIMITS["title"]),
            summary=_plain(raw.get("summary"), LIMITS["summary"]),
            rating=_plain(raw.get("rating"), LIMITS["rating"]),
            publisher=_plain(raw.get("publisher"), LIMITS["publisher"]),
            published=iso_date(_plain(raw.get("published"), LIMITS["published"])),
            url=url,
            language=_language(raw.get("language")) or self.language,
        )
        return fact_check, id_from_url

    def result(self) -> FactCheckImport:
        records = self._separate_shared_urls()
        kept: dict[str, tuple[int, FactCheck]] = {}
        for line, fact_check in records:
            earlier = kept.pop(fact_check.external_id, None)
            if earlier is not None:
                self.problem(
                    earlier[0], f"id {fact_check.external_id!r} again on line {line}; the later one is kept"
                )
            kept[fact_check.external_id] = (line, fact_check)
        if not kept:
            if not self.parsed:  # only a page can get here: other files are JSON or raised already
                raise FactCheckError(f'{self.path}: no <script type="application/ld+json"> block found')
            first = f"; first: {self.problems[0]}" if self.problems else ""
            raise FactCheckError(
                f'{self.path}: no fact-check found (expected vclaims, {{"claim": …}} records or '
                f"ClaimReview; {len(self.problems)} records skipped{first})"
            )
        return FactCheckImport([fact_check for _, fact_check in kept.values()], self.problems)

    def _separate_shared_urls(self) -> list[tuple[int, FactCheck]]:
        """Records whose id is their url but whose claims differ (one article, several ClaimReviews)
        get the url plus a hash of the claim, so that none replaces another."""
        claims_by_url: dict[str, set[str]] = {}
        for _, fact_check, id_from_url in self.records:
            if id_from_url:
                claims_by_url.setdefault(fact_check.external_id, set()).add(fact_check.claim)
        shared = {url for url, claims in claims_by_url.items() if len(claims) > 1}
        records = []
        for line, fact_check, id_from_url in self.records:
            if id_from_url and fact_check.external_id in shared:
                own = _identifier(f"{fact_check.url}#{content_hash(fact_check.claim)[:12]}")
                fact_check = replace(fact_check, external_id=own)
            records.append((line, fact_check))
        return records


def _from_vclaim(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record.get("vclaim_id"),
        "claim": record.get("vclaim"),
        "title": record.get("title"),
        "summary": record.get("subtitle"),
        "publisher": record.get("author"),
        "published": record.get("date"),
        "url": record.get("page_url"),
    }


def _from_generic(record: dict[str, Any]) -> dict[str, Any]:
    """`{"id", "claim", "title", "summary", "rating", "publisher", "date", "url", "language"}`; the names
    of FactCheck's fields ("external_id", "published") are understood too, so an export reads back."""
    raw = {key: record.get(key) for key in ("claim", "title", "summary", "rating", "publisher", "url")}
    raw["id"] = record.get("id", record.get("external_id"))
    raw["published"] = record.get("date", record.get("published"))
    raw["language"] = record.get("language")
    return raw


def _from_claim_review(review: dict[str, Any]) -> dict[str, Any]:
    rating = _first(review.get("reviewRating"))
    own_id = review.get("@id")
    return {
        "id": None if isinstance(own_id, str) and own_id.startswith("_:") else own_id,  # blank nodes change
        "claim": review.get("claimReviewed"),
        "title": review.get("headline") or review.get("name"),
        "summary": review.get("reviewBody") or review.get("description"),
        "rating": (rating.get("alternateName") or rating.get("name")) if isinstance(rating, dict) else None,
        "publisher": _name(review.get("author")) or _name(review.get("publisher")),
        "published": review.get("datePublished"),
        "url": review.get("url"),
        "language": review.get("inLanguage"),
    }


def _has_type(record: dict[str, Any], name: str) -> bool:
    kinds = record.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(kind, str) and kind.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == name for kind in kinds)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _name(value: Any) -> Any:
    """The name of a schema.org Person or Organization, of the first of several, or the text given."""
    value = _first(value)
    return value.get("name") if isinstance(value, dict) else value


def _is_json(text: str) -> bool:
    try:
        _loads(text)
    except json.JSONDecodeError:
        return False
    return True


_DECODER = json.JSONDecoder()
MAX_NESTING = 32  # containers in containers: fact-check records need a handful


def _loads(text: str) -> Any:
    """json.loads, with a document nested too deeply for the parser (a RecursionError, which would
    end the whole import) reported as invalid JSON, so a bad line is skipped and named."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def _raw_decode(text: str, position: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, position)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, position) from None


def _array_elements(text: str) -> Iterator[tuple[int, Any]]:
    """The elements of the JSON array `text`, each with the line it starts on (for the problems)."""
    position = _skip_space(text, _skip_space(text, 0) + 1)  # past "["
    line, counted = 1, 0
    if text.startswith("]", position):
        position += 1
    else:
        while True:
            line, counted = line + text.count("\n", counted, position), position
            value, position = _raw_decode(text, position)
            yield line, value
            position = _skip_space(text, position)
            if text.startswith("]", position):
                position += 1
                break
            if not text.startswith(",", position):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
            position = _skip_space(text, position + 1)
    if (end := _skip_space(text, position)) != len(text):
        raise json.JSONDecodeError("Extra data", text, end)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\n\r":
        position += 1
    return position


class _JsonLdScripts(HTMLParser):
    """The content of each `<script type="application/ld+json">` block, with the line it starts on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []
        self._block: list[str] | None = None
        self._line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = dict(attrs).get("type") or ""
        if tag == "script" and kind.split(";")[0].strip().lower() == "application/ld+json":
            self._block, self._line = [], self.getpos()[0]

    def handle_data(self, data: str) -> None:
        if self._block is not None:
            self._block.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._block is not None:
            self.blocks.append((self._line, "".join(self._block)))
            self._block = None


def _plain(value: Any, limit: int) -> str:
    """One line of plain text (markup and control characters dropped), at most `limit` characters."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return ""
    value = value[: 20 * limit]
    if "<" in value or "&" in value:
        value = html_to_text(value, max_chars=20 * limit)
    return _shorten(" ".join(CONTROL_CHARS.sub("", value).split()), limit)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip() + "…"


def _identifier(value: Any) -> str:
    """An id as stored: text without control characters; one longer than the column becomes its hash."""
    if value is None:
        return ""
    text = CONTROL_CHARS.sub("", str(value)).strip()
    if len(text) > MAX_ID:
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text


def _url(value: Any) -> str:
    """`value` when it is an http(s) address (scheme lowered), else "": nothing else may become a link."""
    if not isinstance(value, str):
        return ""
    url = value.strip()
    if not url or len(url) > MAX_URL or _NOT_IN_URL.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        return ""
    return scheme + url[len(parts.scheme) :]


def _language(value: Any) -> str:
    """The primary language subtag ("en-US" → "en"); schema.org Language objects give their code."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    if not isinstance(value, str):
        return ""
    match = _LANGUAGE.fullmatch(value.strip().lower())
    return match.group(1) if match else ""
