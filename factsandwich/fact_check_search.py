"""Search over imported external fact-checks: hybrid retrieval, then a learned re-ranker.

1. candidates: the top 20 of a dense retriever (faiss, cosine of a sentence-transformers model, by
   default the packaged MiniLM, after `factsandwich factchecks tune` a copy fine-tuned on matched
   pairs) united with the top 20 of BM25 over claim, title and summary;
2. each candidate gets a few features: its dense score and rank, its BM25 score (relative to the best
   and as the share of the post's words it covers) and rank, their reciprocal-rank fusion and, when
   the post and the fact-check are dated, how far apart the dates are (a rumour is checked while it
   circulates);
3. a logistic re-ranker (trained by `tune` on pairs the retriever did not learn from, and on posts
   that match nothing) turns them into P(this fact-check checks what the post says). Without one,
   candidates are ordered by reciprocal-rank fusion and scored by their dense cosine.
Curated myth/fact pairs never pass through here: their index, model and speed are unchanged by any
number of imported fact-checks. What each step adds is measured by bench/checkthat.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from factsandwich.dates import date_of
from factsandwich.embed import Encoder, Vectors
from factsandwich.fact_checks import FactCheck
from factsandwich.index import cache_key, cached_vectors
from factsandwich.lexical import BM25
from factsandwich.text import embedded_post_date

CANDIDATES = 20
RRF_K = 60
# A post shares its rumour's news cycle: on CheckThat! train pairs the median post is 2 days older than
# its fact-check, three quarters lie within a week. The window flags that cycle.
DATE_WINDOW_DAYS = (-3, 30)  # fact-check published from 3 days before to 30 days after the post
FEATURES = (
    "dense",
    "dense_gap",
    "dense_rank",
    "bm25",
    "bm25_rank",
    "bm25_coverage",
    "rrf",
    "dated",
    "log_days",
    "in_window",
)


@dataclass(frozen=True)
class FactCheckMatch:
    fact_check: FactCheck
    score: float  # the re-ranker's probability (without one: the dense cosine), in [0, 1]

    def to_dict(self) -> dict[str, Any]:
        """The JSONL report and item record (see README): the fact-check's fields and the score."""
        data = asdict(self.fact_check)
        data.pop("summary")
        return {**data, "score": round(self.score, 4)}


class Reranker:
    """Logistic regression over the candidate features; `fit` on (features, relevant) rows."""

    def __init__(self) -> None:
        self.model = LogisticRegression(C=1.0, max_iter=2000)

    def fit(self, features: npt.NDArray[np.float32], relevant: Sequence[bool]) -> Reranker:
        self.model.fit(features, list(relevant))
        return self

    def score(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        return np.asarray(self.model.predict_proba(features)[:, 1], dtype=np.float64)


class FactCheckSearch:
    """Dense + BM25 candidates over all imported fact-checks, scored by the re-ranker."""

    def __init__(
        self,
        fact_checks: Sequence[FactCheck],
        vectors: Vectors,
        encoder: Encoder,
        reranker: Reranker | None = None,
    ) -> None:
        self.use_dates = True  # off only to measure what dates add (bench/checkthat.py)
        self.fact_checks = list(fact_checks)
        self.encoder = encoder
        self.reranker = reranker
        self._dates = [date_of(f.published) for f in self.fact_checks]
        self._lexical = BM25([lexical_text(f) for f in self.fact_checks])
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, encoder.dim)
        self._index = faiss.IndexFlatIP(encoder.dim)
        if len(self._vectors):
            self._index.add(self._vectors)

    @classmethod
    def build(
        cls,
        fact_checks: Sequence[FactCheck],
        encoder: Encoder,
        *,
        version: str,
        cache_dir: Path | None = None,
        reranker: Reranker | None = None,
    ) -> FactCheckSearch:
        """Load the dense index for this collection version and encoder from `cache_dir`, or encode the
        fact-checks (through the encoder's cache) and save it."""
        key = cache_key(version, len(fact_checks), encoder.name)
        path = cache_dir / f"fact-checks-{key}.faiss" if cache_dir else None
        vectors = cached_vectors(
            path,
            len(fact_checks),
            encoder.dim,
            lambda: encoder.encode([document_text(f) for f in fact_checks]),
        )
        return cls(fact_checks, vectors, encoder, reranker)

    @property
    def size(self) -> int:
        return len(self.fact_checks)

    def candidates(
        self, texts: Sequence[str], dates: Sequence[str | None] | None = None
    ) -> list[tuple[list[int], npt.NDArray[np.float32]]]:
        """For each text: candidate row numbers and their feature rows (columns: FEATURES). A text's date
        is the one given ("" for none), else (None) the date in a pasted tweet's signature, if any."""
        if not texts or not self.size:
            return [([], np.zeros((0, len(FEATURES)), dtype=np.float32)) for _ in texts]
        k = min(CANDIDATES, self.size)
        queries = np.ascontiguousarray(self.encoder.encode(texts), dtype=np.float32)
        _, dense_ids = self._index.search(queries, k)
        lexical, bounds = self._lexical.scores(texts)
        lexical_ids = np.argsort(-lexical, axis=1, kind="stable")[:, :k]
        results = []
        known = dates if dates is not None else [None] * len(texts)
        for row, (text, given) in enumerate(zip(texts, known, strict=True)):
            found = given if given is not None else embedded_post_date(text)  # "" means: no date
            text_date = date_of(found) if self.use_dates else None
            pool = list(dict.fromkeys(int(i) for i in [*dense_ids[row], *lexical_ids[row]] if i >= 0))
            dense = self._vectors[pool] @ queries[row]  # exact cosine for every candidate
            coverage = lexical[row, pool] / max(float(bounds[row]), 1e-6)
            features = _features(
                dense, lexical[row, pool], coverage, text_date, [self._dates[i] for i in pool]
            )
            results.append((pool, features))
        return results

    def search(
        self,
        texts: Sequence[str],
        *,
        dates: Sequence[str | None] | None = None,
        top: int = 3,
        min_score: float = 0.0,
    ) -> list[list[FactCheckMatch]]:
        """For each text, the best `top` fact-checks scoring at least `min_score`, best first."""
        results: list[list[FactCheckMatch]] = []
        for pool, features in self.candidates(texts, dates):
            if not pool:
                results.append([])
                continue
            if self.reranker is not None:
                scores = self.reranker.score(features)
                order = np.argsort(-scores, kind="stable")
            else:
                scores = features[:, FEATURES.index("dense")].astype(np.float64)
                order = np.argsort(-features[:, FEATURES.index("rrf")], kind="stable")
            # The best `top` first, then the threshold: without a re-ranker the order (rank fusion) and
            # the score (cosine) differ, and a lower-ranked candidate must not move up by its score.
            results.append(
                [
                    FactCheckMatch(self.fact_checks[pool[i]], float(np.clip(scores[i], 0.0, 1.0)))
                    for i in order[:top]
                    if scores[i] >= min_score
                ]
            )
        return results


def document_text(fact_check: FactCheck) -> str:
    """What the dense retriever reads: the claim alone. Title and summary are left to BM25: with them
    an import encodes 1.5x (title) to 2.4x (both) the tokens, over a minute for 15,000 fact-checks,
    for no measured gain after tuning and re-ranking (docs/benchmarks.md)."""
    return fact_check.claim


def lexical_text(fact_check: FactCheck) -> str:
    """What BM25 reads: claim, title and summary (the summary adds the checked facts' words)."""
    return " ".join(part for part in (fact_check.claim, fact_check.title, fact_check.summary) if part)


def _features(
    dense: npt.NDArray[np.float32],
    lexical: npt.NDArray[np.float32],
    coverage: npt.NDArray[np.float32],
    post_date: dt.date | None,
    fact_check_dates: Sequence[dt.date | None],
) -> npt.NDArray[np.float32]:
    """Feature rows (FEATURES) of one post's candidates."""
    dense_rank = np.argsort(np.argsort(-dense, kind="stable"), kind="stable")
    lexical_rank = np.argsort(np.argsort(-lexical, kind="stable"), kind="stable")
    best_lexical = max(float(lexical.max()), 1e-6)
    rows = []
    for i, fact_check_date in enumerate(fact_check_dates):
        dated = post_date is not None and fact_check_date is not None
        days = (fact_check_date - post_date).days if dated else 0  # type: ignore[operator]
        rows.append(
            [
                dense[i],
                dense[i] - dense.max(),
                1.0 / (dense_rank[i] + 1),
                lexical[i] / best_lexical,
                1.0 / (lexical_rank[i] + 1),
                coverage[i],
                1.0 / (RRF_K + dense_rank[i] + 1) + 1.0 / (RRF_K + lexical_rank[i] + 1),
                float(dated),
                np.log1p(abs(days)) if dated else 0.0,
                float(dated and DATE_WINDOW_DAYS[0] <= days <= DATE_WINDOW_DAYS[1]),
            ]
        )
    return np.asarray(rows, dtype=np.float32)
