"""Social-media text as the models should read it.

Real posts carry their claim in forms the encoders were not trained on: `#Asylflut`, `#RapeFugees`,
`RT @handle:`, `|LBR|` line breaks, URLs. `for_models` turns these into plain words (the hashtag
`#Asylantenflut` becomes "Asylanten flut") and drops what carries no meaning (handles, URLs, RT
prefixes). The stored and shown text stays as written; only the models see this form.

Hashtags are split at CamelCase boundaries, then (for one-case compounds) into the longest known
parts from hashtag_parts.txt, a small lexicon of the words that migration hashtags are built from. A part
must be at least three letters, so an unknown word stays whole rather than being cut into noise.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_LINE_BREAK = re.compile(r"\|LBR\|", re.IGNORECASE)
_RETWEET = re.compile(r"(?:^|\s)RT\s+@\w+:?", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])|(?<=[A-ZÄÖÜ])(?=[A-ZÄÖÜ][a-zäöüß])|(?<=\D)(?=\d)")
_SPACES = re.compile(r"[ \t]+")

_PARTS_FILE = Path(__file__).with_name("hashtag_parts.txt")


@lru_cache(maxsize=1)
def _parts() -> frozenset[str]:
    """The building blocks of migration hashtags (hashtag_parts.txt, lower case)."""
    lines = _PARTS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def for_models(text: str) -> str:
    """The text with hashtags as words, and without handles, URLs, RT prefixes and |LBR| markers;
    a post that is nothing but those (a bare link) stays as it is, so the models still read it."""
    cleaned = _LINE_BREAK.sub("\n", text)
    cleaned = _RETWEET.sub(" ", cleaned)
    cleaned = _URL.sub(" ", cleaned)
    cleaned = _HANDLE.sub(" ", cleaned)
    cleaned = _HASHTAG.sub(lambda m: split_hashtag(m.group(1)), cleaned)
    lines = (_SPACES.sub(" ", line).strip(" :") for line in cleaned.splitlines())
    return "\n".join(line for line in lines if line) or text


@lru_cache(maxsize=65_536)
def split_hashtag(tag: str) -> str:
    """`RapeFugees` → "Rape Fugees"; `Asylantenflut` → "Asylanten flut"; unknown compounds stay whole."""
    words = []
    for piece in _CAMEL.split(tag.replace("_", " ")):
        for word in piece.split():
            words.extend(_split_compound(word))
    return " ".join(words)


def _split_compound(word: str) -> list[str]:
    """The word as known parts (each at least three letters), longest first; else the word itself."""
    lower = word.casefold()
    if lower in _parts() or len(lower) < 6:
        return [word]
    parts = _segment(lower)
    if parts is None or len(parts) < 2:
        return [word]
    pieces, start = [], 0
    for part in parts:  # keep the original spelling (case) of each part
        pieces.append(word[start : start + len(part)])
        start += len(part)
    return pieces


@lru_cache(maxsize=65_536)
def _segment(lower: str) -> tuple[str, ...] | None:
    """The fewest known parts that make up `lower` exactly (German linking `s` allowed), or None."""
    if not lower:
        return ()
    best: tuple[str, ...] | None = None
    for end in range(len(lower), 2, -1):
        head = lower[:end]
        if head not in _parts():
            continue
        rest = lower[end:]
        if rest.startswith("s") and len(rest) > 3 and _segment(rest[1:]) is not None:
            head, rest = head + "s", rest[1:]
        tail = _segment(rest)
        if tail is not None and (best is None or len(tail) + 1 < len(best)):
            best = (head, *tail)
    return best
