"""A faiss index over every myth wording of the active claims, persisted per content hash.

The index file is named by a hash of the claims and the encoder, so a change to either builds a new
one on first use and an unchanged database loads in milliseconds. `cache_key` and `cached_vectors`
are that cache, also for the fact-check search (fact_check_search.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from factsandwich.claims import LANGUAGES, ClaimSet
from factsandwich.embed import Encoder, Vectors
from factsandwich.files import atomic_write


@dataclass(frozen=True)
class ClaimMatch:
    claim_id: str
    score: float
    matched_text: str
    confident: bool
    confidence: float = 0.0  # calibrated P(the text repeats this claim); the cosine for the index alone


@dataclass(frozen=True)
class _Wording:
    claim_id: str
    language: str
    text: str


def cache_key(*parts: object) -> str:
    """The name of a cached index: a hash of what its vectors depend on (texts, encoder)."""
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:16]


def cached_vectors(path: Path | None, count: int, dim: int, encode: Callable[[], Vectors]) -> Vectors:
    """The `count` vectors of the faiss index saved at `path` if it holds exactly that many; else
    `encode()`, saved at `path` (atomically: a crash never leaves a half-written index file). No
    cache without a `path`."""
    if path is not None and path.is_file():
        stored = faiss.read_index(str(path))
        if stored.ntotal == count:
            loaded: Vectors = stored.reconstruct_n(0, stored.ntotal)
            return loaded
    vectors = np.ascontiguousarray(encode(), dtype=np.float32).reshape(-1, dim)
    if path is not None:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        atomic_write(path, lambda tmp: faiss.write_index(index, tmp))
    return vectors


class ClaimIndex:
    """Nearest myth wordings for embedded texts, aggregated to one score per claim."""

    def __init__(self, wordings: list[_Wording], vectors: Vectors, key: str) -> None:
        self.wordings = wordings
        self.key = key
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    @classmethod
    def build(cls, claims: ClaimSet, encoder: Encoder, cache_dir: Path | None = None) -> ClaimIndex:
        """Load the index for these claims and this encoder from `cache_dir`, or build and save it."""
        wordings = [
            _Wording(claim.id, lang, text)
            for claim in claims.active
            for lang in LANGUAGES
            for text in claim.myths[lang]
        ]
        key = cache_key(claims.content_hash, encoder.name)
        path = cache_dir / f"claims-{key}.faiss" if cache_dir else None
        vectors = cached_vectors(
            path, len(wordings), encoder.dim, lambda: encoder.encode([w.text for w in wordings])
        )
        return cls(wordings, vectors, key)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def search(
        self, vectors: Vectors, *, top: int = 3, suggest: float = 0.0, confident: float = 1.0
    ) -> list[list[ClaimMatch]]:
        """For each row, the best `top` claims scoring at least `suggest`, best first."""
        if not len(vectors) or not self.size:
            return [[] for _ in range(len(vectors))]
        # Exhaustive for a curated database (every claim gets its best wording); capped for huge ones.
        k = self.size if self.size <= 4096 else 256
        scores, ids = self._index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        results = []
        for row_scores, row_ids in zip(scores, ids, strict=True):
            best: dict[str, ClaimMatch] = {}
            for score, idx in zip(row_scores, row_ids, strict=True):
                if idx < 0 or score < suggest:
                    continue
                wording = self.wordings[idx]
                if wording.claim_id not in best:  # faiss returns best first: first hit is the max
                    best[wording.claim_id] = ClaimMatch(
                        wording.claim_id,
                        round(float(score), 4),
                        wording.text,
                        bool(score >= confident),
                        round(float(score), 4),
                    )
                if len(best) == top:
                    break
            results.append(list(best.values()))
        return results
