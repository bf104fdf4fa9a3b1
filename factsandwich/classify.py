"""The myth classifier: how likely a text spreads a migration myth, calibrated.

Features: the sentence embedding (topic and stance in meaning space, across languages), word and
character n-grams, and the framing cues of framing.py (fact-check labels, refutation words,
reporting verbs, questions, quotes: what sets a debunk apart from the myth it quotes).
The claim-match score is left out on purpose: a myth wording
matches itself perfectly, which would teach the model a shortcut that unseen posts never show.
A multinomial logistic regression over the labels (myth, debunk, fact, neutral, unrelated) whose
p(myth) is the score: a debunk is learnt as its own class, not as "not myth" mixed with unrelated
local news (on the held-out sources this lifts flag PR-AUC and F1: bench/flag_variants.py).
It is calibrated with cross-validated sigmoid scaling whose folds are the corpus's
sources (`source_splits`); the flag threshold is tuned on the real posts' out-of-fold probabilities,
each from a member that never saw the post's source.

Training data: the claims' myth wordings, their facts and explanations, the
written labelled posts in factsandwich/training_data/ (myths, debunks, neutral migration news,
unrelated local news, German and English) and the real texts of every corpus source but the
evaluation-only IWG tweets (corpus/README.md).
Everything is read as social.for_models makes it (hashtags as words, no handles or URLs).
Seeded; the saved model records its version, a hash of its training
data and its dev-set metrics.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold

from factsandwich import __version__, jsonl
from factsandwich.claims import LANGUAGES, ClaimSet
from factsandwich.embed import MAX_EMBED_CHARS, Vectors
from factsandwich.errors import FactsandwichError
from factsandwich.files import atomic_write, atomic_write_text
from factsandwich.framing import framing_features

FEATURES_VERSION = 4
LABELS = ("myth", "debunk", "fact", "neutral", "unrelated")
SEED = 20261125


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    label: str  # one of LABELS; only "myth" is positive
    claim_id: str | None = None
    also_claims: tuple[str, ...] = ()  # further pairs a post repeats (real posts often mix myths)
    fold: str = ""  # the corpus fold a real post belongs to (corpus.FOLDS), "" for any other

    @property
    def positive(self) -> bool:
        return self.label == "myth"

    @property
    def claim_ids(self) -> tuple[str, ...]:
        return ((self.claim_id,) if self.claim_id else ()) + self.also_claims


def load_examples(directory: Path) -> list[Example]:
    """The labelled posts shipped in `directory` (*.jsonl: text, language, label, claim_id)."""
    examples = []
    for place, record in jsonl.records(directory):
        try:
            example = Example(record["text"], record["language"], record["label"], record.get("claim_id"))
        except (KeyError, TypeError) as exc:
            raise FactsandwichError(f"{place}: not a labelled example ({exc})") from None
        if example.label not in LABELS:
            raise FactsandwichError(f"{place}: unknown label {example.label!r}")
        examples.append(example)
    return examples


def claim_examples(claims: ClaimSet) -> list[Example]:
    """Myth wordings as positives; facts and explanations as negatives (they share the vocabulary)."""
    examples = []
    for claim in claims.active:
        for lang in LANGUAGES:
            examples += [Example(text, lang, "myth", claim.id) for text in claim.myths[lang]]
            examples += [
                Example(claim.fact[lang], lang, "fact", claim.id),
                Example(claim.short_fact[lang], lang, "fact", claim.id),
                Example(claim.explanation[lang], lang, "fact", claim.id),
            ]
    return examples


def data_hash(examples: Sequence[Example]) -> str:
    payload = json.dumps(sorted((e.text, e.language, e.label) for e in examples), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class MythClassifier:
    """Fitted feature extractors plus a calibrated linear model, with its provenance."""

    def __init__(self, encoder_name: str, class_weight: str = "balanced") -> None:
        self.encoder_name = encoder_name
        self.class_weight = class_weight  # "balanced" or "none" (bench/quality.py --class-weight)
        self.words = TfidfVectorizer(
            ngram_range=(1, 2), min_df=1, sublinear_tf=True, lowercase=True, max_features=50_000
        )
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, max_features=100_000
        )
        self.model: Any = None
        self.threshold = 0.5  # tuned on out-of-fold probabilities by `best_threshold`
        self.metadata: dict[str, Any] = {}

    def _features(self, texts: Sequence[str], vectors: Vectors, fit: bool = False) -> sp.csr_matrix:
        lowered = [t[:MAX_EMBED_CHARS].casefold() for t in texts]
        words = self.words.fit_transform(lowered) if fit else self.words.transform(lowered)
        chars = self.chars.fit_transform(lowered) if fit else self.chars.transform(lowered)
        framing = sp.csr_matrix(framing_features(texts))
        return sp.hstack([words, chars, sp.csr_matrix(vectors), framing]).tocsr()

    def fit(
        self, texts: Sequence[str], vectors: Vectors, labels: Sequence[str], folds: Sequence[str] = ()
    ) -> list[float]:
        """Fit on each text's label (one of LABELS); return each text's out-of-fold p(myth), from
        the calibrated member that held it out. `folds` name each text's corpus fold ("" for none):
        with two or more, the members hold out one source each (`source_splits`), else a random fifth."""
        features = self._features(texts, vectors, fit=True)
        weight = None if self.class_weight == "none" else self.class_weight
        base = LogisticRegression(C=16.0, class_weight=weight, max_iter=2000, random_state=SEED)
        truth = np.asarray(labels)
        splits = source_splits(folds) or list(StratifiedKFold(5).split(features, truth == "myth"))
        self.model = CalibratedClassifierCV(base, method="sigmoid", cv=splits)
        self.model.fit(features, truth)
        held_out = np.zeros(len(texts))
        for member, (_, test) in zip(self.model.calibrated_classifiers_, splits, strict=True):
            held_out[test] = member.predict_proba(features[test])[:, self._myth]
        return [float(p) for p in held_out]

    @property
    def _myth(self) -> int:
        """The column of p(myth) among the model's classes."""
        return list(self.model.classes_).index("myth")

    def predict_proba(self, texts: Sequence[str], vectors: Vectors) -> list[float]:
        """p(myth) of each text."""
        if not texts:
            return []
        features = self._features(texts, vectors)
        return [float(p) for p in self.model.predict_proba(features)[:, self._myth]]

    def save(self, path: Path) -> None:
        atomic_write(path, lambda tmp: joblib.dump(self, tmp))
        atomic_write_text(path.with_suffix(".json"), json.dumps(self.metadata, indent=2))

    @staticmethod
    def load(path: Path) -> MythClassifier | None:
        """The saved model, or None when there is none or it was made by another version."""
        if not path.is_file():
            return None
        try:
            model = joblib.load(path)
        except Exception:  # an unreadable or incompatible pickle is simply retrained
            return None
        if not isinstance(model, MythClassifier):
            return None
        if model.metadata.get("features_version") != FEATURES_VERSION:
            return None
        return model


def binary_metrics(
    labels: Sequence[bool], probabilities: Sequence[float], threshold: float
) -> dict[str, float]:
    truth = np.asarray(labels, dtype=int)
    predicted = (np.asarray(probabilities) >= threshold).astype(int)
    return {
        "n": len(truth),
        "precision": round(float(precision_score(truth, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(truth, predicted, zero_division=0)), 4),
        "f1": round(float(f1_score(truth, predicted, zero_division=0)), 4),
        "pr_auc": round(float(average_precision_score(truth, probabilities)), 4) if truth.any() else 0.0,
    }


def best_threshold(labels: Sequence[bool], probabilities: Sequence[float]) -> float:
    """The flag threshold with the best F1 on held-out scores (a coarse grid, so it does not overfit).

    The training set is dominated by short myth wordings, so calibrated probabilities of real, longer
    posts run low; the tuned threshold corrects for that shift."""
    grid = [round(float(t), 2) for t in np.arange(0.2, 0.65, 0.05)]
    scores = [binary_metrics(labels, probabilities, t)["f1"] for t in grid]
    return grid[int(np.argmax(scores))]


def source_splits(folds: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Calibration splits by source, when `folds` name two or more corpus folds (else none): split j
    holds out every text of fold j and a seeded j-th share of the texts of no fold (claim wordings,
    written posts, the sources never held out), so each calibration set has both classes and each
    fold's texts are scored by a member that never saw their source."""
    names = sorted({f for f in folds if f})
    if len(names) < 2:
        return []
    shares = np.random.default_rng(SEED).permutation(len(folds)) % len(names)
    part = np.asarray([names.index(f) if f else shares[i] for i, f in enumerate(folds)])
    return [(np.flatnonzero(part != j), np.flatnonzero(part == j)) for j in range(len(names))]


def describe(metadata: dict[str, Any]) -> str:
    dev = metadata.get("dev_metrics", {}).get("all", {})
    return (
        f"classifier v{metadata.get('version', '?')} trained on {metadata.get('n_train', '?')} examples "
        f"(data {metadata.get('data_hash', '?')}); dev F1 {dev.get('f1', '?')}, "
        f"PR-AUC {dev.get('pr_auc', '?')}"
    )


def new_metadata(encoder_name: str, examples: Sequence[Example], n_train: int) -> dict[str, Any]:
    return {
        "version": __version__,
        "features_version": FEATURES_VERSION,
        "encoder": encoder_name,
        "data_hash": data_hash(examples),
        "n_train": n_train,
        "seed": SEED,
    }
