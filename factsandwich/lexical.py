"""BM25 over short documents, on a scikit-learn sparse matrix: the lexical half of hybrid search.

Exact-word evidence (names, numbers, rare terms) complements the dense retriever, which knows
paraphrases but blurs specifics; rank fusion of the two beats either alone (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

K1 = 1.2
B = 0.75


class BM25:
    """Okapi BM25 with the usual k1 = 1.2, b = 0.75; a query term counts once."""

    def __init__(self, documents: Sequence[str]) -> None:
        self.vectorizer = CountVectorizer(lowercase=True, dtype=np.float32)
        counts = sp.csr_matrix(self.vectorizer.fit_transform(documents), dtype=np.float32)
        n_docs = counts.shape[0]
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf = np.log1p((n_docs - document_frequency + 0.5) / (document_frequency + 0.5)).astype(
            np.float32
        )
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        average = float(lengths.mean()) if n_docs else 1.0
        rows = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
        tf = counts.data
        counts.data = tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[rows] / max(average, 1e-9)))
        self.term_doc = counts.T.tocsr()  # terms x documents: a query multiplies its terms' rows

    def scores(self, queries: Sequence[str]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """(scores, bounds): scores with rows for queries and columns for documents, and each query's
        bound, the score no document can reach (every query term, saturated). score / bound says how
        much of a query a document covers, comparable across queries."""
        query_terms = sp.csr_matrix(self.vectorizer.transform(queries), dtype=np.float32)
        query_terms.data[:] = 1.0
        weighted = sp.csr_matrix(query_terms.multiply(self.idf))
        scores = np.asarray((weighted @ self.term_doc).toarray(), dtype=np.float32)
        bounds = np.asarray(weighted.sum(axis=1), dtype=np.float32).ravel() * (K1 + 1)
        return scores, bounds
