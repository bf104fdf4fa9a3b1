"""The real-language corpus: texts that others wrote, labelled by hand (corpus/README.md).

Each record names where its text comes from (`source`, `ref`). Texts whose licence allows shipping
(GermEval 2018, CC BY 4.0; short quotes from published fact-checks and news, with their address)
are kept in the record; the others (research-use or evaluation-only corpora) are read from the
shared datasets folder by their reference, so this project never redistributes them. A record whose
text cannot be read (no shared folder on a user's machine) is left out and counted.

Which sources the models may learn from is decided here, by source, never at random. The shipped
models learn from every source except the evaluation-only IWG tweets (the texts not shipped are read
from the shared folder at training time). The benchmark holds one source out at a time (a fold:
`FOLDS`) and trains on the rest, so the figures on a source come from models that never saw it.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from factsandwich import jsonl
from factsandwich.classify import Example
from factsandwich.errors import FactsandwichError

KINDS = ("myth", "myth-other", "debunk", "neutral", "unrelated")
# The sources every model learns from, never held out (their texts are in the records): the
# GermEval 2018 tweets, and the quotes and headlines of half of the web publishers (chosen by a hash
# of the publisher's name, so every page of one publisher falls on the same side).
TRAINING_SOURCES = frozenset({"germeval2018"})
# The sources held out one at a time for evaluation (leave-one-source-out), by `LabelledText.split`.
FOLDS = ("germeval2021", "debatenet", "checkthat", "web-de", "web-en")
# Evaluation only, by the dataset's own terms (never trained, tuned or written from).
EVALUATION_ONLY_SOURCES = frozenset({"iwg"})


@dataclass(frozen=True)
class LabelledText:
    source: str
    ref: str
    language: str
    kind: str
    claim_ids: tuple[str, ...]
    text: str
    sure: bool = True
    publisher: str = ""

    @property
    def is_myth(self) -> bool:
        return self.kind in ("myth", "myth-other")

    @property
    def split(self) -> str:
        """`train` for what every model learns from, else the name of the source's fold (or `iwg`)."""
        if self.source in TRAINING_SOURCES:
            return "train"
        if self.source == "web":
            return "train" if trains_on_publisher(self.publisher) else f"web-{self.language}"
        return self.source

    def as_example(self) -> Example:
        label = "myth" if self.is_myth else self.kind
        first, *more = self.claim_ids or (None,)
        fold = self.split if self.split in FOLDS else ""
        return Example(self.text, self.language, label, first, tuple(c for c in more if c), fold)


@dataclass(frozen=True)
class Corpus:
    texts: tuple[LabelledText, ...]
    unreadable: int  # records whose text is not shipped and could not be read from the shared folder

    def split(self, name: str) -> list[LabelledText]:
        return [t for t in self.texts if t.split == name]

    @property
    def splits(self) -> list[str]:
        return sorted({t.split for t in self.texts})


def trains_on_publisher(publisher: str) -> bool:
    """Half of the web publishers, by a stable hash of the name (without a "(via …)" note)."""
    name = publisher.split(" (")[0].strip().casefold()
    return hashlib.sha256(name.encode()).digest()[0] % 2 == 0


def load_corpus(directory: Path, datasets_dir: Path | None = None) -> Corpus:
    """Every record of `directory/*.jsonl`, with its text (kept, or read from `datasets_dir`)."""
    texts: list[LabelledText] = []
    unreadable = 0
    for place, record in jsonl.records(directory):
        try:
            text = record.get("text") or resolve_text(record["source"], record["ref"], datasets_dir)
            labelled = LabelledText(
                source=str(record["source"]),
                ref=str(record["ref"]),
                language=str(record["language"]),
                kind=str(record["kind"]),
                claim_ids=tuple(str(c) for c in record.get("claim_ids") or ()),
                text=text or "",
                sure=bool(record.get("sure", True)),
                publisher=str(record.get("publisher") or ""),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise FactsandwichError(f"{place}: not a corpus record ({exc})") from None
        if labelled.kind not in KINDS:
            raise FactsandwichError(f"{place}: unknown kind {labelled.kind!r}")
        if not labelled.text:
            unreadable += 1
            continue
        texts.append(labelled)
    return Corpus(tuple(texts), unreadable)


def training_examples(corpus: Corpus, leave_out: Collection[str] = ()) -> list[Example]:
    """The labelled real texts the models learn from: all but the evaluation-only sources and the
    folds in `leave_out` (the shipped models leave out none)."""
    return [
        t.as_example()
        for t in corpus.texts
        if t.source not in EVALUATION_ONLY_SOURCES and t.split not in leave_out
    ]


def resolve_text(source: str, ref: str, datasets_dir: Path | None) -> str | None:
    """The text a reference points to in the shared datasets, or None where it cannot be read."""
    if datasets_dir is None:
        return None
    name, _, key = ref.partition(":")
    table = _table(datasets_dir, source, name)
    return table.get(key) if table is not None else None


@lru_cache(maxsize=16)
def _table(datasets_dir: Path, source: str, name: str) -> dict[str, str] | None:
    """key → text for one shared file (read once)."""
    try:
        if source == "iwg":
            path = datasets_dir / "iwg_hatespeech_refugees_de" / name
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))[1:]
            return {str(n): row[0] for n, row in enumerate(rows, start=1) if row}
        if source == "germeval2021":
            path = datasets_dir / "germeval2021_factclaiming_de" / name
            with path.open(encoding="utf-8", newline="") as handle:
                return {row["comment_id"]: row["comment_text"] for row in csv.DictReader(handle)}
        if source == "debatenet":
            path = datasets_dir / "debatenet_mig15_de" / name
            records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
            return {str(r["id"]): str(r["quote"]) for r in records}
        if source == "checkthat":
            return _checkthat(datasets_dir / "checkthat2022_task2a_en", name)
        if source == "germeval2018":
            path = datasets_dir / "germeval2018_offensive_de" / name
            lines = path.read_text(encoding="utf-8").splitlines()
            return {str(n): line.split("\t")[0] for n, line in enumerate(lines, start=1)}
    except (OSError, ValueError, KeyError, IndexError):
        return None
    return None


def _checkthat(root: Path, name: str) -> dict[str, str]:
    if name == "vclaims.jsonl":
        table = {}
        for line in (root / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            for field in ("vclaim", "title"):
                table[f"{record['vclaim_id']}#{field}"] = str(record.get(field) or "")
        return table
    table = {}
    for line in (root / name).read_text(encoding="utf-8").splitlines():
        tweet_id, _, text = line.partition("\t")
        if len(text) > 1 and text.startswith('"') and text.endswith('"'):  # a CSV-quoted tweet
            text = text[1:-1].replace('""', '"')
        table[tweet_id] = text
    return table
