"""Claim matching: which myth/fact pair does a text repeat, and how sure are we?

Two signals, fused with equal weight:
  * nearest myth wording (faiss over every wording, cosine of the configured encoder): works for any
    pair the moment it is added, and names the wording that matched;
  * a claim model: a multinomial logistic regression over the embedding and character n-grams,
    trained on every wording plus the labelled myth posts in factsandwich/training_data/ (the way
    people really write). It learns which words and phrasings point to which myth.
Both are rebuilt, from caches, whenever the claims change (content hash). On the held-out posts the
fusion lifts top-1 accuracy from about 0.82–0.88 (nearest wording alone) to over 0.95 (see
docs/benchmarks.md). The fused score is in [0, 1]; `suggest` and `confident` thresholds apply to it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from factsandwich.claims import ClaimSet
from factsandwich.classify import SEED, Example
from factsandwich.embed import MAX_EMBED_CHARS, Encoder, Vectors
from factsandwich.index import ClaimIndex, ClaimMatch

MODEL_WEIGHT = 0.5
MODEL_VERSION = 2  # part of the cache key: a change to the features retrains cached claim models


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

    def predict(self, texts: Sequence[str], vectors: Vectors) -> np.ndarray:
        """Rows: texts; columns: `self.claim_ids`."""
        return np.asarray(self.model.predict_proba(self._features(texts, vectors)))


class ClaimMatcher:
    """Nearest wording and claim model, fused into one score per claim."""

    def __init__(self, index: ClaimIndex, model: ClaimModel) -> None:
        self.index = index
        self.model = model

    @classmethod
    def build(
        cls, claims: ClaimSet, encoder: Encoder, examples: Sequence[Example], cache_dir: Path | None = None
    ) -> ClaimMatcher:
        """Load the matcher for these claims, examples and encoder from `cache_dir`, or train and save it."""
        index = ClaimIndex.build(claims, encoder, cache_dir)
        active = {c.id for c in claims.active}
        posts = [e for e in examples if e.label == "myth" and e.claim_id in active]
        digest = hashlib.sha256(
            "\n".join([str(MODEL_VERSION), index.key, *sorted(e.text for e in posts)]).encode()
        )
        path = cache_dir / f"claim-model-{digest.hexdigest()[:16]}.joblib" if cache_dir else None
        if path is not None and path.is_file():
            try:
                model = joblib.load(path)
                if isinstance(model, ClaimModel):
                    return cls(index, model)
            except Exception:  # an unreadable cache file is rebuilt below
                pass
        texts = [w.text for w in index.wordings] + [e.text for e in posts]
        labels = [w.claim_id for w in index.wordings] + [str(e.claim_id) for e in posts]
        model = ClaimModel().fit(texts, encoder.encode(texts), labels)
        if path is not None:
            _atomic_dump(model, path)
        return cls(index, model)

    def match(
        self,
        texts: Sequence[str],
        vectors: Vectors,
        *,
        top: int = 3,
        suggest: float = 0.0,
        confident: float = 1.0,
    ) -> list[list[ClaimMatch]]:
        """For each text, the best `top` claims whose fused score reaches `suggest`, best first."""
        if not len(texts):
            return []
        nearest = self.index.search(vectors, top=self.index.size)
        probabilities = self.model.predict(texts, vectors)
        column = {claim_id: i for i, claim_id in enumerate(self.model.claim_ids)}
        results = []
        for row, candidates in enumerate(nearest):
            scored = []
            for candidate in candidates:
                p = probabilities[row, column[candidate.claim_id]] if candidate.claim_id in column else 0.0
                score = (1 - MODEL_WEIGHT) * candidate.score + MODEL_WEIGHT * float(p)
                if score >= suggest:
                    confidently = bool(score >= confident)
                    scored.append(
                        ClaimMatch(candidate.claim_id, round(score, 4), candidate.matched_text, confidently)
                    )
            scored.sort(key=lambda m: -m.score)
            results.append(scored[:top])
        return results


def _atomic_dump(value: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    joblib.dump(value, tmp)
    os.replace(tmp, path)
