"""Text cleaning and language detection for feed items and posts.

Feed HTML is hostile input: it is reduced to plain text (script and style contents dropped,
entities decoded, whitespace collapsed) and capped in length before anything else sees it.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

from factsandwich.dates import MONTHS

_DROP_CONTENT = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math"}
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "pre",
    "hr",
}
_WHITESPACE = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
# Control characters but tab, line feed and carriage return: never kept in stored text.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Elements whose content is code, never prose: dropped even when the element is never closed.
_CODE = {"script", "style", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._code_depth = 0
        self._skipped: list[str] = []  # text of dropped elements, kept in case they are never closed

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CODE:
            self._code_depth += 1
        if tag in _DROP_CONTENT:
            self._skip_depth += 1
        elif tag in _BLOCK:
            self._emit("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _CODE:
            self._code_depth = max(0, self._code_depth - 1)
        if tag in _DROP_CONTENT:
            self._skip_depth = max(0, self._skip_depth - 1)
            if not self._skip_depth:
                self._skipped = []
        elif tag in _BLOCK:
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        self._emit(data)

    def _emit(self, text: str) -> None:
        if self._code_depth:
            return
        (self._skipped if self._skip_depth else self.parts).append(text)

    def close(self) -> None:
        super().close()
        # An element left open (`<svg/onload=…>They take our jobs`) would swallow the rest of the
        # item: unless it is code, its text is kept (markup inside was never kept).
        if self._skip_depth:
            self.parts.extend(self._skipped)
        self._skip_depth, self._code_depth, self._skipped = 0, 0, []


def html_to_text(html: str, max_chars: int = 20_000) -> str:
    """Plain text of an HTML fragment: no markup survives, so nothing can execute when shown."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return normalise_text("".join(extractor.parts), max_chars)


def normalise_text(text: str, max_chars: int = 20_000) -> str:
    """Collapse whitespace, drop control characters, keep paragraph breaks, cap the length."""
    text = CONTROL_CHARS.sub("", text)
    lines = (_WHITESPACE.sub(" ", line).strip() for line in text.splitlines())
    text = "\n".join(line for line in lines if line)
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > max_chars // 2 else max_chars].rstrip() + " …"
    return text


def content_hash(text: str) -> str:
    """Identity of a text for de-duplication and the embedding cache (case and spacing ignored)."""
    canonical = " ".join(text.casefold().split())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Frequent function words: a cheap, dependency-free and reliable signal for German vs. English.
_STOPWORDS = {
    "de": set(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ein",
            "eine",
            "einen",
            "dem",
            "den",
            "des",
            "zu",
            "mit",
            "sich",
            "auf",
            "für",
            "von",
            "im",
            "auch",
            "es",
            "wir",
            "uns",
            "sie",
            "ihr",
            "hier",
            "aber",
            "wie",
            "was",
            "wenn",
            "noch",
            "nur",
            "schon",
            "mehr",
            "kein",
            "keine",
            "werden",
            "wird",
            "sind",
            "haben",
            "hat",
            "bei",
            "aus",
            "nach",
            "über",
            "dass",
            "daß",
            "oder",
            "doch",
            "dann",
            "unsere",
            "unser",
            "mal",
            "so",
            "man",
            "diese",
            "jetzt",
            "immer",
            "ganz",
            "alle",
            "ja",
            "weil",
            "denn",
            "ob",
            "heute",
            "gibt",
            "warum",
            "wieso",
        ]
    ),
    "en": set(
        [
            "the",
            "and",
            "is",
            "are",
            "not",
            "a",
            "an",
            "to",
            "of",
            "in",
            "on",
            "for",
            "with",
            "it",
            "this",
            "that",
            "they",
            "we",
            "our",
            "you",
            "be",
            "was",
            "were",
            "have",
            "has",
            "by",
            "from",
            "at",
            "as",
            "or",
            "but",
            "if",
            "so",
            "do",
            "does",
            "did",
            "no",
            "more",
            "just",
            "all",
            "only",
            "what",
            "why",
            "who",
            "how",
            "here",
            "there",
            "their",
            "them",
            "will",
            "would",
            "can",
            "about",
            "into",
            "than",
            "then",
            "these",
            "those",
            "get",
            "got",
        ]
    ),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str, default: str = "de") -> str:
    """'de' or 'en' by function-word counts (umlauts break ties); `default` when there is no signal."""
    words = [w.casefold() for w in _WORD.findall(text[:5000])]
    scores: dict[str, float] = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    scores["de"] += sum(ch in "äöüß" for ch in text[:5000].casefold()) * 0.5
    if scores["de"] == scores["en"]:
        return default
    return max(scores, key=lambda lang: scores[lang])


# The signature that ends a pasted or exported tweet embed: "— Name (@handle) February 25, 2016"
# (German: "25. Februar 2016").
_EMBED_SIGNATURE = re.compile(
    r"\(@\w{1,30}\)\s+(?:(?P<month>[^\W\d_]+)\.?\s+(?P<day>\d{1,2}),\s+(?P<year>\d{4})"
    r"|(?P<day_de>\d{1,2})\.\s+(?P<month_de>[^\W\d_]+)\s+(?P<year_de>\d{4}))\s*$"
)


def embedded_post_date(text: str) -> str | None:
    """The ISO date in a tweet embed's closing signature, for posts pasted or exported without a date."""
    found = _EMBED_SIGNATURE.search(text[-200:])
    if not found:
        return None
    month = MONTHS.get((found["month"] or found["month_de"]).casefold())
    day, year = int(found["day"] or found["day_de"]), int(found["year"] or found["year_de"])
    if month is None or not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"
