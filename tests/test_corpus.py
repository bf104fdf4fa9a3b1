"""The real-language corpus: well-formed, licence-clean, split by source, and readable."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from factsandwich.claims import load_claims
from factsandwich.config import PROJECT_ROOT, Settings
from factsandwich.corpus import EVALUATION_ONLY_SOURCES, FOLDS, KINDS, load_corpus, training_examples

CORPUS = PROJECT_ROOT / "corpus"
SHIPPABLE = {"germeval2018", "web"}  # CC BY 4.0; short quotes with their address (corpus/README.md)


def records() -> list[dict[str, object]]:
    return [
        json.loads(line)
        for path in sorted(CORPUS.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_records_are_well_formed_and_name_real_claims() -> None:
    claim_ids = {c.id for c in load_claims(PROJECT_ROOT / "claims_db")}
    rows = records()
    for row in rows:
        assert row["kind"] in KINDS and row["language"] in ("de", "en"), row
        assert set(row["claim_ids"]) <= claim_ids, row  # type: ignore[arg-type]
        if row["kind"] == "myth":
            assert row["claim_ids"], row
        if row["kind"] in ("myth-other", "neutral", "unrelated"):
            assert not row["claim_ids"], row
    keys = Counter((r["source"], r["ref"], r.get("text") if r["source"] == "web" else "") for r in rows)
    assert not [k for k, n in keys.items() if n > 1]


def test_the_corpus_is_as_large_as_promised() -> None:
    languages = Counter(r["language"] for r in records())
    assert sum(languages.values()) >= 1500 and languages["de"] >= 1000 and languages["en"] >= 500


def test_only_texts_we_may_redistribute_are_shipped() -> None:
    for row in records():
        if row["source"] in SHIPPABLE:
            assert row.get("text"), row
        else:
            assert "text" not in row, row
        if row["source"] == "web":
            assert str(row["ref"]).startswith(("https://", "http://")) and row.get("publisher"), row


def test_the_models_learn_from_every_source_but_the_evaluation_only_ones() -> None:
    corpus = load_corpus(CORPUS)  # no shared datasets: what a user's machine trains on
    examples = training_examples(corpus)
    assert len(examples) == len(corpus.texts)  # every readable text; IWG's are not shipped
    assert not {t.source for t in corpus.texts} & EVALUATION_ONLY_SOURCES and corpus.unreadable > 0
    assert {e.fold for e in examples} == {"", "web-de", "web-en"}  # "": the never held-out sources
    held_publishers = {
        t.publisher.split(" (")[0] for t in corpus.texts if t.source == "web" and t.split != "train"
    }
    train_publishers = {t.publisher.split(" (")[0] for t in corpus.split("train") if t.source == "web"}
    assert held_publishers and train_publishers and not held_publishers & train_publishers  # by source


def test_a_fold_is_left_out_whole_and_iwg_always() -> None:
    datasets = Settings().datasets_dir
    if datasets is None:
        pytest.skip("the shared datasets (../shared/datasets) are not on this machine")
    corpus = load_corpus(CORPUS, datasets)
    everything = training_examples(corpus)
    assert len(everything) == len(corpus.texts) - len(corpus.split("iwg")) > 0
    assert {e.fold for e in everything} == {"", *FOLDS}
    for fold in FOLDS:
        kept = training_examples(corpus, [fold])
        assert len(kept) == len(everything) - len(corpus.split(fold)) and corpus.split(fold)
        assert fold not in {e.fold for e in kept}
    fixed = training_examples(corpus, FOLDS)  # the earlier protocol: the `train` split only
    assert len(fixed) == len(corpus.split("train")) and {e.fold for e in fixed} == {""}


def test_every_reference_resolves_in_the_shared_datasets() -> None:
    datasets = Settings().datasets_dir
    if datasets is None:
        pytest.skip("the shared datasets (../shared/datasets) are not on this machine")
    corpus = load_corpus(CORPUS, datasets)
    assert corpus.unreadable == 0
    for text in corpus.texts:
        assert text.text.strip(), text.ref
    assert {"iwg", "germeval2021", "debatenet", "checkthat"} <= {t.source for t in corpus.texts}


def test_a_malformed_record_is_named_with_its_line(tmp_path: Path) -> None:
    from factsandwich.errors import FactsandwichError

    (tmp_path / "x.jsonl").write_text('{"source": "web"}\n', encoding="utf-8")
    with pytest.raises(FactsandwichError, match=r"x\.jsonl:1"):
        load_corpus(tmp_path)
