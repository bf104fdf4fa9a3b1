"""Index persistence, the claim matcher and the classifier's provenance, with the fake encoder."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from conftest import FakeEncoder

from factsandwich.claims import load_claims
from factsandwich.classify import MythClassifier
from factsandwich.config import PROJECT_ROOT
from factsandwich.embed import CachedEncoder, MemoryCache
from factsandwich.index import ClaimIndex
from factsandwich.pipeline import Factsandwich

CLAIMS_DIR = PROJECT_ROOT / "claims_db"


def test_index_is_persisted_and_rebuilt_when_claims_change(tmp_path: Path) -> None:
    claims = load_claims(CLAIMS_DIR)
    encoder = CachedEncoder(FakeEncoder(), MemoryCache())
    first = ClaimIndex.build(claims, encoder, tmp_path)
    assert first.size == sum(len(c.myths["de"]) + len(c.myths["en"]) for c in claims.active)
    assert len(list(tmp_path.glob("claims-*.faiss"))) == 1

    fresh_encoder = CachedEncoder(FakeEncoder(), MemoryCache())
    again = ClaimIndex.build(claims, fresh_encoder, tmp_path)
    assert fresh_encoder.encoded_count == 0 and again.key == first.key  # loaded, not re-encoded

    changed_dir = tmp_path / "claims"
    shutil.copytree(CLAIMS_DIR, changed_dir)
    path = changed_dir / "crime.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: published", "status: retired"), encoding="utf-8"
    )
    changed = ClaimIndex.build(load_claims(changed_dir), fresh_encoder, tmp_path)
    assert changed.key != first.key and len(list(tmp_path.glob("claims-*.faiss"))) == 2
    assert "crime" not in {w.claim_id for w in changed.wordings}  # retired claims are not matched


def test_matcher_finds_a_claim_by_its_own_wording(fake_app: Factsandwich) -> None:
    claim = fake_app.claims.get("refugees-paid-more-than-pensioners")
    assert claim is not None
    text = claim.myths["de"][3]
    (matches,) = fake_app.matcher.match([text], fake_app.encoder.encode([text]), top=3)
    assert matches[0].claim_id == claim.id and matches[0].matched_text == text
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_classifier_is_seeded_and_saved_with_provenance(fake_app: Factsandwich, settings) -> None:  # type: ignore[no-untyped-def]
    first = fake_app.train()
    meta = first.metadata
    assert {"version", "data_hash", "n_train", "seed", "dev_metrics", "threshold", "encoder"} <= set(meta)
    assert {"all", "de", "en"} <= set(meta["dev_metrics"])
    assert 0.2 <= first.threshold <= 0.6
    loaded = MythClassifier.load(fake_app.classifier_path)
    assert loaded is not None and loaded.metadata == meta

    texts = ["Die kommen nur wegen dem Geld hierher.", "Der Weihnachtsmarkt öffnet am Freitag."]
    vectors = fake_app.encoder.encode(texts)
    other = Factsandwich(
        dataclasses.replace(settings, data_dir=settings.data_dir / "again"), encoder=FakeEncoder()
    )
    second = other.train()
    assert second.metadata["data_hash"] == meta["data_hash"]
    assert first.predict_proba(texts, vectors) == second.predict_proba(texts, vectors)


def test_unreadable_classifier_file_is_retrained(fake_app: Factsandwich) -> None:
    fake_app.classifier_path.parent.mkdir(parents=True, exist_ok=True)
    fake_app.classifier_path.write_bytes(b"not a pickle")
    assert MythClassifier.load(fake_app.classifier_path) is None
    assert fake_app.classifier.metadata["n_train"] > 0
