"""Index persistence, the claim matcher and the classifier's provenance, with the fake encoder."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
from conftest import FakeEncoder

from factsandwich.claims import load_claims
from factsandwich.classify import LABELS, MythClassifier, source_splits
from factsandwich.config import PROJECT_ROOT
from factsandwich.embed import CachedEncoder, MemoryCache
from factsandwich.index import ClaimIndex
from factsandwich.matcher import ClaimMatcher
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
    assert [m.confidence for m in matches] == sorted((m.confidence for m in matches), reverse=True)
    assert 0.0 <= matches[-1].confidence <= matches[0].confidence <= 1.0 and len(matches) == 3


def test_matcher_names_every_claim_a_post_mixes(fake_app: Factsandwich) -> None:
    pensions, crime = fake_app.claims.get("refugees-paid-more-than-pensioners"), fake_app.claims.get("crime")
    assert pensions is not None and crime is not None
    text = f"{pensions.myths['de'][0]} {crime.myths['de'][0]}"
    (matches,) = fake_app.matcher.match([text], fake_app.encoder.encode([text]), top=3)
    assert {pensions.id, crime.id} <= {m.claim_id for m in matches}


def test_flagged_items_always_get_three_ranked_candidates_with_confidences(fake_app: Factsandwich) -> None:
    settings = dataclasses.replace(
        fake_app.settings, flag_threshold=0.0, suggest_threshold=0.99, confident_threshold=0.995
    )
    app = Factsandwich(settings, store=fake_app.store, encoder=FakeEncoder())
    (analysis,) = app.analyse(["Irgendwas mit Leuten, die hierher kommen."])
    assert analysis.flagged and len(analysis.matches) == 3  # a person decides, the ranking helps
    assert all(not m.confident for m in analysis.matches) and analysis.draft is None  # none earned
    strict = Factsandwich(
        dataclasses.replace(settings, flag_threshold=1.0), store=fake_app.store, encoder=FakeEncoder()
    )
    assert strict.analyse(["Irgendwas mit Leuten, die hierher kommen."])[0].matches == ()


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


def test_the_classifier_learns_a_debunk_as_its_own_class_and_scores_p_myth(fake_app: Factsandwich) -> None:
    classifier = fake_app.classifier
    assert sorted(classifier.model.classes_) == sorted(LABELS)  # not myth against everything else
    texts = [
        "Faktencheck: Nein, Flüchtlinge bekommen nicht mehr Geld als Rentner.",
        "Die kommen nur wegen dem Geld.",
    ]
    vectors = fake_app.encoder.encode(texts)
    every_class = classifier.model.predict_proba(classifier._features(texts, vectors))
    myth = list(classifier.model.classes_).index("myth")
    assert classifier.predict_proba(texts, vectors) == [float(p) for p in every_class[:, myth]]


def test_the_flag_threshold_is_tuned_on_real_posts_of_sources_their_scorer_never_saw(
    fake_app: Factsandwich,
) -> None:
    meta = fake_app.classifier.metadata
    real = [e for e in fake_app.examples if e.fold]
    folds = sorted({e.fold for e in real})
    assert len(folds) >= 2 and meta["tuned_on"] == ", ".join(folds) and meta["n_dev"] == len(real)
    splits = source_splits([e.fold for e in fake_app.examples])
    assert len(splits) == len(folds)
    for (train, held), fold in zip(splits, folds, strict=True):
        assert not {fake_app.examples[i].fold for i in train} & {fold}  # the scorer never saw it
        assert {fake_app.examples[i].fold for i in held} <= {fold, ""}
    assert sorted(i for _, held in splits for i in held) == list(range(len(fake_app.examples)))


def test_unreadable_classifier_file_is_retrained(fake_app: Factsandwich) -> None:
    fake_app.classifier_path.parent.mkdir(parents=True, exist_ok=True)
    fake_app.classifier_path.write_bytes(b"not a pickle")
    assert MythClassifier.load(fake_app.classifier_path) is None
    assert fake_app.classifier.metadata["n_train"] > 0


def test_office_triage_decisions_become_training_data(fake_app: Factsandwich) -> None:
    from factsandwich import training, triage

    records = list(fake_app.scan([str(PROJECT_ROOT / "demo" / "posts.jsonl")]))
    assert fake_app.store is not None and records
    items = fake_app.store.list_items()
    triage.dismiss(fake_app.store, [items[0].id], "not_a_myth", "anna", "t1")
    triage.mark(fake_app.store, items[1].id, "misinformation", "anna", "t2")
    triage.dismiss(fake_app.store, [items[2].id], "duplicate", "anna", "t3")  # says nothing about myths
    labels = sorted(e.label for e in training.labelled_decisions(fake_app.store))
    assert labels == ["myth", "neutral"]
    assert fake_app.train().metadata["n_office_decisions"] == 2


def test_claim_edit_in_one_process_reaches_another(settings) -> None:  # type: ignore[no-untyped-def]
    from factsandwich.storage import Store
    from factsandwich.storage.claims import claim_version, save_claim

    store = Store(settings.effective_database_url)
    web_worker = Factsandwich(settings, store=store, encoder=FakeEncoder())
    other_worker = Factsandwich(settings, store=store, encoder=FakeEncoder())
    assert other_worker.claims.get("crime") is not None
    claim = web_worker.claims.get("crime")
    assert claim is not None
    data = claim.to_dict()
    data["status"] = "retired"
    save_claim(store, data, "editor", claim_version(store, "crime"))
    other_worker.refresh_claims()
    retired = other_worker.claims.get("crime")
    assert retired is not None and retired.status == "retired"
    assert "crime" not in {w.claim_id for w in other_worker.matcher.index.wordings}


def test_claims_db_changes_sync_unless_edited_in_the_ui(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from factsandwich.storage import Store
    from factsandwich.storage.claims import claim_version, load_live_claims, save_claim, sync_from_directory

    claims_dir = tmp_path / "claims_copy"
    shutil.copytree(CLAIMS_DIR, claims_dir)
    store = Store(settings.effective_database_url)
    assert sync_from_directory(store, claims_dir) == []

    def edit_file(name: str, old: str, new: str) -> None:
        path = claims_dir / f"{name}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    edit_file("terror", "status: published", "status: needs_review")  # file changed, UI untouched
    ui_claim = load_live_claims(store).get("crime")
    assert ui_claim is not None
    data = ui_claim.to_dict()
    data["topics"] = [*data["topics"], "edited-in-ui"]
    save_claim(store, data, "editor", claim_version(store, "crime"))
    edit_file("crime", "status: published", "status: needs_review")  # changed in both places

    messages = sync_from_directory(store, claims_dir)
    live = load_live_claims(store)
    assert live.get("terror").status == "needs_review"  # type: ignore[union-attr]
    assert "edited-in-ui" in live.get("crime").topics  # type: ignore[union-attr]
    assert len(messages) == 1 and messages[0].startswith("crime:")


def test_a_text_unlike_every_wording_still_gets_three_ranked_candidates(fake_app: Factsandwich) -> None:
    matcher = fake_app.matcher
    wordings = matcher.index.wordings
    same = np.ones((len(wordings), FakeEncoder.dim), dtype=np.float32) / np.sqrt(FakeEncoder.dim)
    index = ClaimIndex(wordings, same, "test")  # every wording at one point of the sphere
    opposite = ClaimMatcher(index, matcher.model, matcher.calibrator)
    (matches,) = opposite.match(["Die kommen nur wegen dem Geld."], -same[:1], top=3)  # cosine -1 to all
    assert len(matches) == 3 and all(m.score == -1.0 and 0.0 <= m.confidence <= 1.0 for m in matches)
