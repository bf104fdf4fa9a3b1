"""Claim matching: which myth/fact pairs does a text repeat, and how sure are we?

Three parts:
  * nearest myth wording (faiss over every wording, cosine of the configured encoder): works for any
    pair the moment it is added, and names the wording that matched;
  * a claim model: a multinomial logistic regression over the embedding and character n-grams,
    trained on every wording plus the labelled myth posts (written and real ones), so it learns the
    words people really use for each myth;
  * a calibrator: a logistic regression that turns, per candidate claim, the cosine, the claim
    model's probability and their ranks into P(the post repeats this claim). It is fitted on
    out-of-fold predictions for the labelled posts, including posts that repeat no pair (myths
    not in the database, on-topic news), so its confidence is low when nothing fits.
Real posts score lower cosines than written ones (docs/benchmarks.md), so thresholds apply to the
calibrated confidence, never to a raw cosine. Several claims may be confident for one post.
All parts are rebuilt, from caches, whenever the claims or the examples change (content hash).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from factsandwich.claims import ClaimSet
from factsandwich.classify import SEED, Example
from factsandwich.embed import MAX_EMBED_CHARS, Encoder, Vectors
from factsandwich.files import atomic_write
from factsandwich.index import ClaimIndex, ClaimMatch

MODEL_VERSION = 3  # part of the cache key: a change to the features retrains cached claim models
CALIBRATION_FOLDS = 4
NO_CLAIM_LABELS = ("myth", "neutral", "debunk")  # posts without a known claim that teach "none fits"


class ClaimModel:
    """P(claim | text) over the active claims."""

    def __init__(self) -> None:
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_features=100_000
        )
        self.model = LogisticRegression(C=4.0, max_iter=3000, random_state=SEED)
        self.claim_ids: list[str] = []

    def _features(self, texts: Sequence[str], vectors: Vectors, fit: bool = False) -> sp.csr_matrix:
        lowered = [t[:MAX_EMBED_CHARS].casefold() for t in texts]
        chars = self.chars.fit_transform(lowered) if fit else self.chars.transform(lowered)
        return sp.hstack([chars, sp.csr_matrix(vectors)]).tocsr()

    def fit(self, texts: Sequence[str], vectors: Vectors, claim_ids: Sequence[str]) -> ClaimModel:
        self.model.fit(self._features(texts, vectors, fit=True), list(claim_ids))
        self.claim_ids = [str(c) for c in self.model.classes_]
        return self

    def predict(self, texts: Sequence[str], vectors: Vectors, claim_ids: Sequence[str]) -> np.ndarray:
        """Rows: texts; columns: `claim_ids` (0 for a claim the model has not seen)."""
        probabilities = np.asarray(self.model.predict_proba(self._features(texts, vectors)))
        column = {claim_id: i for i, claim_id in enumerate(self.claim_ids)}
        result = np.zeros((len(texts), len(claim_ids)))
        for j, claim_id in enumerate(claim_ids):
            if claim_id in column:
                result[:, j] = probabilities[:, column[claim_id]]
        return result


def candidate_features(cosines: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per (text, claim): cosine, model probability, their ranks and gaps to the best, the best
    cosine of the text. Shape (texts, claims, features)."""

    def rank(values: np.ndarray) -> np.ndarray:
        return np.argsort(np.argsort(-values, axis=1), axis=1).astype(float)

    best_cos = cosines.max(axis=1, keepdims=True)
    best_p = probabilities.max(axis=1, keepdims=True)
    cos_rank, p_rank = rank(cosines), rank(probabilities)
    return np.stack(
        [
            cosines,
            probabilities,
            np.sqrt(probabilities),
            best_cos - cosines,
            best_p - probabilities,
            (cos_rank == 0).astype(float),
            (p_rank == 0).astype(float),
            np.minimum(cos_rank, 5.0),
            np.minimum(p_rank, 5.0),
            np.broadcast_to(best_cos, cosines.shape),
        ],
        axis=2,
    )


class ClaimMatcher:
    """Nearest wording and claim model, calibrated into one confidence per claim."""

    def __init__(self, index: ClaimIndex, model: ClaimModel, calibrator: LogisticRegression) -> None:
        self.index = index
        self.model = model
        self.calibrator = calibrator
        self.claim_ids = sorted({w.claim_id for w in index.wordings})

    @classmethod
    def build(
        cls, claims: ClaimSet, encoder: Encoder, examples: Sequence[Example], cache_dir: Path | None = None
    ) -> ClaimMatcher:
        """Load the matcher for these claims, examples and encoder from `cache_dir`, or train and save it."""
        index = ClaimIndex.build(claims, encoder, cache_dir)
        active = {c.id for c in claims.active}
        posts = [e for e in examples if e.label == "myth" and e.claim_id in active]
        others = [e for e in examples if e.label in NO_CLAIM_LABELS and not set(e.claim_ids) & active]
        digest = hashlib.sha256(
            "\n".join(
                [
                    str(MODEL_VERSION),
                    index.key,
                    *sorted(f"{e.label}|{e.claim_ids}|{e.text}" for e in posts + others),
                ]
            ).encode()
        )
        path = cache_dir / f"claim-matcher-{digest.hexdigest()[:16]}.joblib" if cache_dir else None
        if path is not None and path.is_file():
            try:
                model, calibrator = joblib.load(path)
                if isinstance(model, ClaimModel) and isinstance(calibrator, LogisticRegression):
                    return cls(index, model, calibrator)
            except Exception:  # an unreadable cache file is rebuilt below
                pass
        wordings = _Wordings([w.text for w in index.wordings], [w.claim_id for w in index.wordings])
        wording_vectors = encoder.encode(wordings.texts)
        texts = [e.text for e in posts] + [e.text for e in others]
        vectors: Vectors = encoder.encode(texts) if texts else wording_vectors[:0]
        calibrator = _fit_calibrator(index, wordings, wording_vectors, posts, others, vectors)
        model = _claim_model(wordings, wording_vectors, posts, vectors[: len(posts)])
        if path is not None:
            atomic_write(path, lambda tmp: joblib.dump((model, calibrator), tmp))
        return cls(index, model, calibrator)

    def match(
        self,
        texts: Sequence[str],
        vectors: Vectors,
        *,
        top: int = 3,
        suggest: float = 0.0,
        confident: float = 1.0,
    ) -> list[list[ClaimMatch]]:
        """For each text, the best `top` claims whose confidence reaches `suggest`, best first."""
        if not len(texts) or not self.claim_ids:
            return [[] for _ in texts]
        cosines, wordings = _cosines(self.index, vectors, self.claim_ids)
        probabilities = self.model.predict(texts, vectors, self.claim_ids)
        confidence = _calibrated(self.calibrator, cosines, probabilities)
        results = []
        for row in range(len(texts)):
            order = np.argsort(-confidence[row])[:top]
            results.append(
                [
                    ClaimMatch(
                        self.claim_ids[j],
                        round(float(cosines[row, j]), 4),
                        wordings[row][self.claim_ids[j]],
                        bool(confidence[row, j] >= confident),
                        round(float(confidence[row, j]), 4),
                    )
                    for j in order
                    if confidence[row, j] >= suggest
                ]
            )
        return results


def _cosines(
    index: ClaimIndex, vectors: Vectors, claim_ids: Sequence[str]
) -> tuple[np.ndarray, list[dict[str, str]]]:
    """The best wording's cosine per (text, claim), negative ones included, and that wording."""
    column = {claim_id: j for j, claim_id in enumerate(claim_ids)}
    cosines = np.zeros((len(vectors), len(claim_ids)))
    wordings: list[dict[str, str]] = []
    for row, candidates in enumerate(index.search(vectors, top=len(claim_ids), suggest=-1.0)):
        best = {}
        for candidate in candidates:
            cosines[row, column[candidate.claim_id]] = candidate.score
            best[candidate.claim_id] = candidate.matched_text
        wordings.append(best)
    return cosines, wordings


def _calibrated(calibrator: LogisticRegression, cosines: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    flat = _flat(candidate_features(cosines, probabilities))
    return np.asarray(calibrator.predict_proba(flat)[:, 1]).reshape(cosines.shape)


def _flat(features: np.ndarray) -> np.ndarray:
    return features.reshape(-1, features.shape[2])


@dataclass(frozen=True)
class _Wordings:
    """The myth wordings as claim-model training data: texts and the claim each belongs to."""

    texts: list[str]
    claim_ids: list[str]


def _claim_model(
    wordings: _Wordings, wording_vectors: Vectors, posts: Sequence[Example], post_vectors: Vectors
) -> ClaimModel:
    """A claim model trained on every wording and these labelled myth posts."""
    return ClaimModel().fit(
        wordings.texts + [e.text for e in posts],
        np.vstack([wording_vectors, post_vectors]),
        wordings.claim_ids + [str(e.claim_id) for e in posts],
    )


def _fit_calibrator(
    index: ClaimIndex,
    wordings: _Wordings,
    wording_vectors: Vectors,
    posts: Sequence[Example],
    others: Sequence[Example],
    vectors: Vectors,
) -> LogisticRegression:
    """Fit P(correct | candidate features) on out-of-fold claim-model predictions: each labelled post
    (`vectors`: the posts', then the others') is scored by a model that never saw it, as a new post
    would be."""
    claim_ids = sorted(set(wordings.claim_ids))
    texts = [e.text for e in posts] + [e.text for e in others]
    truth = [set(e.claim_ids) for e in posts] + [set() for _ in others]
    folds = np.arange(len(texts)) % CALIBRATION_FOLDS
    np.random.default_rng(SEED).shuffle(folds)
    probabilities = np.zeros((len(texts), len(claim_ids)))
    for fold in range(CALIBRATION_FOLDS):
        held = np.flatnonzero(folds == fold)
        if not len(held):
            continue
        train = [i for i in range(len(posts)) if folds[i] != fold]
        model = _claim_model(wordings, wording_vectors, [posts[i] for i in train], vectors[train])
        probabilities[held] = model.predict([texts[i] for i in held], vectors[held], claim_ids)
    cosines, _ = _cosines(index, vectors, claim_ids)
    features = _flat(candidate_features(cosines, probabilities))
    labels = np.asarray([[c in t for c in claim_ids] for t in truth], dtype=int).reshape(-1)
    if not len(labels) or labels.min() == labels.max():  # nothing to learn from: the cosine decides
        features = _flat(candidate_features(np.eye(2), np.eye(2)))
        labels = np.eye(2, dtype=int).reshape(-1)
    calibrator = LogisticRegression(C=1.0, max_iter=2000, random_state=SEED)
    return calibrator.fit(features, labels)
