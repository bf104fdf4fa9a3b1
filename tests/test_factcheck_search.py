"""Fact-check search (BM25, dense candidates, dates, re-ranker), its place in the pipeline, and the
tuning inputs; with the fake encoder (the real model is in test_factchecks_e2e.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEncoder

from factsandwich.config import Settings
from factsandwich.dates import date_of as parse_date
from factsandwich.errors import FactCheckError
from factsandwich.fact_check_search import FEATURES, FactCheckSearch, Reranker
from factsandwich.fact_check_tuning import (
    TuningPair,
    fit_reranker,
    read_checkthat_pairs,
    read_pairs_jsonl,
    split_pairs,
    tune,
)
from factsandwich.fact_checks import FactCheck
from factsandwich.lexical import BM25
from factsandwich.pipeline import Factsandwich, ScanSummary
from factsandwich.storage import Store
from factsandwich.text import embedded_post_date

CHECKS = [
    FactCheck(
        "desk", "bridge", "The old bridge in Lindau will be closed for five years.", published="2024-03-02"
    ),
    FactCheck(
        "desk",
        "bridge-2019",
        "The old bridge in Lindau will be closed for five years.",
        published="2019-06-01",
    ),
    FactCheck(
        "desk", "vaccine", "A vaccine changes your DNA.", title="Vaccines and DNA", url="https://d.example/v"
    ),
    FactCheck("desk", "moon", "The moon landing was filmed in a studio."),
    FactCheck(
        "desk", "zebra", "Zebras were painted by the council.", summary="A prank photo of a painted horse."
    ),
]


def test_bm25_ranks_rare_shared_words_first() -> None:
    lexical = BM25(["the cat sat on the mat", "the dog", "a zebra crossing on the road"])
    scores, bounds = lexical.scores(["where is the zebra", "nothing shared here at all"])
    assert int(np.argmax(scores[0])) == 2 and scores[0, 2] > 0
    assert scores[0, 1] < scores[0, 2]  # "the" alone weighs little
    assert not scores[1].any()
    assert 0 < scores[0, 2] / bounds[0] < 1  # "where" and "is" are in no document


def test_dates_from_feeds_and_pasted_tweets() -> None:
    assert parse_date("2016-02-25T10:00:00Z") == parse_date("2016-02-25")
    assert parse_date("25 February 2016") is None and parse_date("2016-02-30") is None
    signature = "Illinois bill attacks single moms https://t.co/x — Morgan (@morgfair) February 25, 2016"
    assert embedded_post_date(signature) == "2016-02-25"
    assert embedded_post_date("Rathaus schließt — Eine Person (@person) 3. März 2020") == "2020-03-03"
    assert embedded_post_date("a post written on February 25, 2016 about nothing") is None


def test_search_unites_dense_and_lexical_candidates_and_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    search = FactCheckSearch.build(CHECKS, FakeEncoder(), version="1")
    [(pool, features)] = search.candidates(["painted horse prank"])
    assert 4 in pool  # found through the summary, which only BM25 reads
    assert features.shape == (len(pool), len(FEATURES))
    [matches] = search.search(["is the moon landing filmed in a studio"], top=2)
    assert matches[0].fact_check.external_id == "moon" and len(matches) == 2
    assert all(0.0 <= m.score <= 1.0 for m in matches)
    [strict] = search.search(["is the moon landing filmed in a studio"], min_score=0.99)
    assert strict == []
    assert search.search([], top=3) == []
    # The threshold applies to the best `top`; it never lifts a lower-ranked candidate into them
    # (without a re-ranker the order is the rank fusion, the score the cosine).
    features = np.zeros((2, len(FEATURES)), dtype=np.float32)
    features[:, FEATURES.index("rrf")] = [0.03, 0.02]
    features[:, FEATURES.index("dense")] = [0.4, 0.9]
    monkeypatch.setattr(search, "candidates", lambda texts, dates=None: [([0, 1], features)])
    assert search.search(["x"], top=1, min_score=0.5) == [[]]
    assert [m.fact_check.external_id for m in search.search(["x"], top=2, min_score=0.5)[0]] == [
        "bridge-2019"
    ]


def test_the_reranker_uses_dates_to_pick_the_rumours_own_fact_check() -> None:
    search = FactCheckSearch.build(CHECKS, FakeEncoder(), version="1")
    text = "They will close the old bridge in Lindau for five years!"
    window = FEATURES.index("in_window")
    pool, features = search.candidates([text], ["2024-02-28"])[0]
    assert features[pool.index(0), window] == 1.0 and features[pool.index(1), window] == 0.0
    # A re-ranker that learned "in the news cycle" from examples prefers the 2024 check.
    rows = np.vstack([features, features])
    search.reranker = Reranker().fit(rows, [i == 0 for i in pool] * 2)
    [matches] = search.search([text], dates=["2024-02-28"])
    assert matches[0].fact_check.external_id == "bridge"
    [undated] = search.search([text + " — A (@b) March 1, 2024"])  # the date of a pasted tweet
    assert undated[0].fact_check.external_id == "bridge"
    search.use_dates = False
    assert search.candidates([text], ["2024-02-28"])[0][1][:, window].sum() == 0


def test_posts_that_match_nothing_teach_the_reranker_to_attach_nothing() -> None:
    search = FactCheckSearch.build(CHECKS, FakeEncoder(), version="1")
    pairs = [
        TuningPair("the moon landing was filmed in a studio", "desk", "moon"),
        TuningPair("moon landing filmed in studio, wake up", "desk", "moon"),
        TuningPair("a vaccine changes your DNA they say", "desk", "vaccine"),
        TuningPair("vaccines and DNA: the vaccine changes it", "desk", "vaccine"),
        TuningPair("zebras were painted by the council!", "desk", "zebra"),
        TuningPair("the council painted zebras", "desk", "zebra"),
    ]
    unmatched = [
        "lost grey cat near the allotments, reward",
        "road works on the high street until friday",
        "the library opens late on thursdays",
        "choir concert in the town hall this weekend",
        "new bus timetable from december",
        "bakery on the corner closes for holidays",
    ]
    reranker = fit_reranker(search, pairs, unmatched)
    search.reranker = reranker
    [unrelated] = search.search(["grey cat lost near the allotments"], top=1)
    [related] = search.search(["they filmed the moon landing in a studio"], top=1)
    assert related[0].fact_check.external_id == "moon"
    assert related[0].score > 0.5 > unrelated[0].score
    # Without the unmatched posts every post's nearest candidate looks like a match.
    search.reranker = fit_reranker(search, pairs)
    [unrelated_before] = search.search(["grey cat lost near the allotments"], top=1)
    assert unrelated_before[0].score > unrelated[0].score


def test_tuning_pairs_are_read_with_clear_errors(tmp_path: Path) -> None:
    queries, qrels = tmp_path / "queries.tsv", tmp_path / "qrels.tsv"
    queries.write_text("q1\tThe bridge will close\nq2\tVaccines change DNA\n")
    qrels.write_text("q1 0 bridge 1\nq2\t0\tvaccine\t1\nq2 0 moon 0\n")
    assert read_checkthat_pairs(queries, qrels, "desk") == [
        TuningPair("The bridge will close", "desk", "bridge"),
        TuningPair("Vaccines change DNA", "desk", "vaccine"),
    ]
    qrels.write_text("q1 0 bridge 1\nq9 0 moon 1\n")
    with pytest.raises(FactCheckError, match=r"qrels.tsv:2: query 'q9'"):
        read_checkthat_pairs(queries, qrels, "desk")
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": "t", "collection": "desk", "external_id": "moon"}) + "\n{oops\n")
    with pytest.raises(FactCheckError, match=r"pairs.jsonl:2: not a pair record"):
        read_pairs_jsonl(pairs)
    with pytest.raises(FactCheckError, match="cannot read"):
        read_pairs_jsonl(tmp_path / "missing.jsonl")


def test_tuning_refuses_unknown_fact_checks_and_too_few_pairs(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 't.db'}")
    unknown = [TuningPair("post", "desk", "not-imported")]
    with pytest.raises(FactCheckError, match="not imported"):
        tune(CHECKS, unknown, tmp_path / "models", cache=store)
    with pytest.raises(FactCheckError, match="too few pairs"):
        tune(CHECKS, [TuningPair("post", "desk", "moon")] * 3, tmp_path / "models", cache=store)
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_split_keeps_a_posts_pairs_together_and_holds_a_fifth_apart() -> None:
    pairs = [TuningPair(f"post {n}", "desk", fact) for n in range(200) for fact in ("moon", "zebra")]
    model_part, ranker_part = split_pairs(pairs)
    assert {p.text for p in model_part}.isdisjoint({p.text for p in ranker_part})
    assert 0.1 < len(ranker_part) / len(pairs) < 0.3
    assert split_pairs(pairs) == (model_part, ranker_part)  # stable


@pytest.fixture
def app_with_retriever(settings: Settings) -> Factsandwich:
    return Factsandwich(
        settings, store=Store(settings.effective_database_url), encoder=FakeEncoder(), retriever=FakeEncoder()
    )


def test_imported_fact_checks_are_attached_and_curated_matching_is_unchanged(
    app_with_retriever: Factsandwich, tmp_path: Path
) -> None:
    app = app_with_retriever
    texts = [
        "Refugees take all our jobs, the mayor says nothing",
        "Is the moon landing filmed in a studio? My uncle says so",
    ]
    assert app.fact_check_search is None  # nothing imported: the step is skipped
    before = app.analyse(texts)
    collection = tmp_path / "desk.jsonl"
    collection.write_text("\n".join(json.dumps({"id": f.external_id, "claim": f.claim}) for f in CHECKS))
    read, added, updated = app.import_fact_checks(collection, "desk")
    assert (len(read.fact_checks), added, updated) == (5, 5, 0)
    after = app.analyse(texts)
    assert [a.matches for a in after] == [b.matches for b in before]
    assert [a.myth_probability for a in after] == [b.myth_probability for b in before]
    assert after[1].fact_checks and after[1].fact_checks[0].fact_check.external_id == "moon"
    assert after[0].fact_checks == ()  # below the threshold: nothing shown


def test_scan_reports_and_stores_the_fact_checks(app_with_retriever: Factsandwich, tmp_path: Path) -> None:
    app = app_with_retriever
    collection = tmp_path / "desk.jsonl"
    collection.write_text(
        json.dumps(
            {"id": "moon", "claim": "The moon landing was filmed in a studio.", "url": "https://d.example/m"}
        )
    )
    app.import_fact_checks(collection, "desk")
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        json.dumps({"id": "1", "text": "The moon landing was filmed in a studio, wake up"}) + "\n"
    )
    [record] = list(app.scan([str(posts)], summary=ScanSummary()))
    [reported] = record.to_dict()["fact_checks"]
    assert reported["external_id"] == "moon" and reported["url"] == "https://d.example/m"
    assert app.store is not None
    [stored] = app.store.list_items()
    assert stored.fact_checks == [reported]
