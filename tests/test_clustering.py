"""Narratives and emerging myths on small hand-made vectors (no models)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from factsandwich.clustering import (
    ClusterItem,
    EmergingParams,
    NarrativeParams,
    assign,
    assign_emerging,
    carry_ids,
    cluster_labels,
    find_emerging,
    group_narratives,
    jaccard_estimates,
    keywords_by_cluster,
    merge_narratives,
    minhash,
    narrative_id,
    split_narrative,
)

DIM = 8
T0 = dt.datetime(2026, 12, 1, 8, 0)


def unit(*weights: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(weights)] = weights
    return (v / np.linalg.norm(v)).astype(np.float32)


def axis(k: int, wobble: float = 0.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = np.zeros(DIM, dtype=np.float32)
    v[k] = 1.0
    v += rng.normal(0, wobble, DIM).astype(np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32)


def item(
    id_: str, text: str, vector: np.ndarray, claim: str | None = "c1", hours: float = 0, source: str = "s"
) -> ClusterItem:
    return ClusterItem(id_, text, vector, claim, source, T0 + dt.timedelta(hours=hours))


# -- MinHash ------------------------------------------------------------------------------------------

POST = "Die Flüchtlinge bekommen 1200 Euro im Monat und unsere Rentner müssen Flaschen sammeln"


def test_minhash_sees_a_retweet_with_a_link_as_a_copy_and_other_text_as_different() -> None:
    original = minhash(POST)
    retweet = minhash(f"RT @someone: {POST} https://t.co/abc #Asyl")
    other = minhash("Der Stadtrat beschließt heute den neuen Haushalt für die Schulen im Norden")
    assert jaccard_estimates(original, retweet.reshape(1, -1))[0] >= 0.7
    assert jaccard_estimates(original, other.reshape(1, -1))[0] < 0.2
    assert jaccard_estimates(original, original.reshape(1, -1))[0] == 1.0


def test_empty_texts_are_never_copies_of_each_other() -> None:
    assert jaccard_estimates(minhash(""), minhash("").reshape(1, -1))[0] == 0.0


# -- narratives ---------------------------------------------------------------------------------------


def test_a_copy_joins_its_narrative_even_when_its_vector_is_far() -> None:
    first = assign(item("a", POST, axis(0)), [])
    assert first.created and first.reason == "new"
    assert first.narrative.id == narrative_id("a")
    copy = assign(item("b", f"RT @x: {POST}", axis(3), hours=1), [first.narrative])
    assert not copy.created and copy.reason == "copy"
    assert copy.narrative.item_ids == ("a", "b")
    assert copy.narrative.id == first.narrative.id


def test_a_similar_post_joins_by_centroid_and_a_different_one_opens_a_narrative() -> None:
    n = assign(item("a", POST, unit(1, 0.1)), []).narrative
    similar = assign(item("b", "Ganz anderer Wortlaut desselben Gerüchts über Geld", unit(1, 0.2)), [n])
    assert similar.reason == "similar" and similar.similarity >= 0.85
    far = assign(item("c", "Noch ein ganz anderer Text über etwas Neues", unit(0, 1)), [similar.narrative])
    assert far.created and far.narrative.item_ids == ("c",)


def test_only_narratives_of_the_same_claim_are_joined() -> None:
    n = assign(item("a", POST, axis(0), claim="c1"), []).narrative
    other = assign(item("b", POST, axis(0), claim="c2"), [n])
    assert other.created and other.narrative.claim_id == "c2"
    unmatched = assign(item("c", POST, axis(0), claim=None), [n, other.narrative])
    assert unmatched.created and unmatched.narrative.claim_id is None


def test_a_narrative_tracks_first_and_last_seen_and_its_sources() -> None:
    n = assign(item("a", POST, axis(0), hours=5, source="feed"), []).narrative
    n = assign(item("b", POST, axis(0), hours=1, source="x"), [n]).narrative
    n = assign(item("c", POST, axis(0), hours=9, source="x"), [n]).narrative
    assert n.first_seen == T0 + dt.timedelta(hours=1)
    assert n.last_seen == T0 + dt.timedelta(hours=9)
    assert n.sources == (("x", 2), ("feed", 1))
    assert n.size == 3


def test_aware_times_are_kept_in_naive_utc() -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    i = ClusterItem("a", POST, axis(0), "c1", "s", dt.datetime(2026, 12, 1, 9, 0, tzinfo=berlin))
    assert assign(i, []).narrative.first_seen == dt.datetime(2026, 12, 1, 8, 0)


def sample_items() -> list[ClusterItem]:
    texts = [POST, f"RT @a: {POST}", "Anderer Wortlaut zum gleichen Geld", "Ganz etwas anderes hier"]
    items = []
    for n in range(24):
        k = n % 4
        vector = axis(k % 2, wobble=0.05, seed=n)
        items.append(item(f"i{n:02d}", texts[k] + f" {n}", vector, claim="c1" if n % 3 else "c2", hours=n))
    return items


def test_the_full_rebuild_agrees_with_incremental_assignment() -> None:
    items = sample_items()
    narratives: list = []
    for i in items:
        result = assign(i, narratives)
        narratives = [n for n in narratives if n.id != result.narrative.id] + [result.narrative]
    rebuilt = group_narratives(reversed(items))  # order of the input does not matter: time does
    assert sorted((n.id, n.item_ids) for n in rebuilt) == sorted((n.id, n.item_ids) for n in narratives)
    for n in rebuilt:
        twin = next(m for m in narratives if m.id == n.id)
        assert n == twin  # claim, members, first and last seen, sources
        assert np.allclose(n.vector_sum, twin.vector_sum, atol=1e-5)
        assert len(n.signatures) == len(twin.signatures)
    assert [n.size for n in rebuilt] == sorted((n.size for n in rebuilt), reverse=True)


def test_a_narrative_keeps_at_most_max_signatures() -> None:
    params = NarrativeParams(cosine=0.5, max_signatures=2)
    items = [item(f"i{n}", f"Völlig eigener Satz Nummer {n} mit Wörtern {n * 7}", axis(0)) for n in range(5)]
    (n,) = group_narratives(items, params)
    assert n.size == 5 and len(n.signatures) == 2


def test_split_recomputes_both_parts_and_merge_joins_them_again() -> None:
    items = [
        item("a", POST, axis(0), hours=0),
        item("b", POST, axis(0), hours=1),
        item("c", "Anderes", axis(1), hours=2),
    ]
    (n,) = group_narratives(items, NarrativeParams(cosine=-1.0))
    stay, moved = split_narrative(n, items, {"c"})
    assert stay.id == n.id and stay.item_ids == ("a", "b")
    assert moved.id == narrative_id("c") and moved.item_ids == ("c",)
    assert np.allclose(stay.centroid, axis(0)) and np.allclose(moved.centroid, axis(1))
    assert moved.first_seen == moved.last_seen == T0 + dt.timedelta(hours=2)
    merged = merge_narratives(stay, moved)
    assert merged.id == n.id and merged.item_ids == ("a", "b", "c")
    assert np.allclose(merged.vector_sum, n.vector_sum, atol=1e-6)
    assert merged.last_seen == n.last_seen and merged.sources == n.sources
    with pytest.raises(ValueError):
        split_narrative(n, items, {"a", "b", "c"})
    with pytest.raises(ValueError):
        split_narrative(n, items[:2], {"a"})
    with pytest.raises(ValueError):
        merge_narratives(n, n)


# -- emerging myths -----------------------------------------------------------------------------------


def blobs() -> list[ClusterItem]:
    """Two myths of five posts each (axis 0: a new benefit rumour, axis 1: a school rumour), two
    unrelated posts, and one old post of the first myth outside a 14-day window."""
    benefit = [f"Flüchtlinge bekommen jetzt das neue Klimageld doppelt, Nummer {n}" for n in range(5)]
    school = [f"Die Grundschule schafft Schweinefleisch ab wegen Migranten, Fall {n}" for n in range(5)]
    items = [item(f"b{n}", t, axis(0, 0.1, n), None, hours=n) for n, t in enumerate(benefit)]
    items += [item(f"s{n}", t, axis(1, 0.1, 10 + n), None, hours=n) for n, t in enumerate(school)]
    items += [
        item("x1", "Wetter heute schön", axis(2), None),
        item("x2", "Fußball am Sonntag", axis(3), None),
    ]
    items.append(item("old", benefit[0], axis(0, 0.1, 99), None, hours=-24 * 30))
    return items


def test_emerging_myths_are_found_with_noise_and_window() -> None:
    result = find_emerging(blobs(), now=T0 + dt.timedelta(days=1), params=EmergingParams(distance=0.3))
    assert sorted(sorted(c.item_ids) for c in result.clusters) == [
        ["b0", "b1", "b2", "b3", "b4"],
        ["s0", "s1", "s2", "s3", "s4"],
    ]
    assert sorted(result.unclustered) == ["x1", "x2"]
    assert result.outside_window == 1
    benefit = next(c for c in result.clusters if "b0" in c.item_ids)
    assert "klimageld" in benefit.keywords and "flüchtlinge" in benefit.keywords
    assert not {"das", "jetzt"} & set(benefit.keywords)  # stop words
    assert len(benefit.typical) == 3
    assert benefit.first_seen == T0 and benefit.last_seen == T0 + dt.timedelta(hours=4)


def test_the_typical_posts_are_those_closest_to_the_centroid() -> None:
    items = [item(f"b{n}", f"Beitrag {n}", unit(1, 0.1 * n), None) for n in range(5)]
    (cluster,) = find_emerging(items, now=T0, params=EmergingParams(distance=0.5, typical=2)).clusters
    assert cluster.typical == ("Beitrag 2", "Beitrag 1") or cluster.typical == ("Beitrag 2", "Beitrag 3")


def test_clusters_below_min_size_are_noise() -> None:
    result = find_emerging(
        blobs(), now=T0 + dt.timedelta(days=1), params=EmergingParams(distance=0.3, min_size=6)
    )
    assert result.clusters == ()
    assert len(result.unclustered) == 12


def test_without_a_window_old_posts_count_too() -> None:
    params = EmergingParams(distance=0.3, window=None)
    result = find_emerging(blobs(), now=T0, params=params)
    assert result.outside_window == 0
    assert any("old" in c.item_ids for c in result.clusters)


def test_beyond_the_exact_limit_older_items_join_the_clusters_of_the_newest() -> None:
    vectors = np.vstack([axis(n % 2, 0.1, n) for n in range(20)] + [axis(5)])
    labels = cluster_labels(vectors, EmergingParams(distance=0.3, min_size=3, exact_limit=10))
    assert labels[-1] == -1  # the newest row is unlike the rest: a singleton, noise
    assert len({int(x) for x in labels[:20]}) == 2 and (labels[:20] >= 0).all()
    assert all(labels[n] == labels[n % 2 + 10] for n in range(20))


def test_a_new_item_joins_the_closest_cluster_or_waits() -> None:
    (first, second) = find_emerging(
        blobs(), now=T0 + dt.timedelta(days=1), params=EmergingParams(distance=0.3)
    ).clusters
    joined = assign_emerging(item("new", "Klimageld", axis(0, 0.1, 50), None), [first, second])
    assert joined.cluster is not None and joined.cluster.item_ids[-1] == "new"
    assert joined.cluster.size == 6
    alone = assign_emerging(item("lone", "Etwas anderes", axis(4), None), [first, second])
    assert alone.cluster is None and alone.similarity < 0.6
    assert assign_emerging(item("z", "z", axis(0), None), []).cluster is None


def test_rebuilt_clusters_keep_their_earlier_ids() -> None:
    now = T0 + dt.timedelta(days=1)
    before = find_emerging(blobs(), now=now, params=EmergingParams(distance=0.3)).clusters
    renamed = tuple(c.__class__(**{**c.__dict__, "id": f"old-{n}"}) for n, c in enumerate(before))
    more = [*blobs(), item("b9", "Klimageld doppelt", axis(0, 0.1, 77), None, hours=6)]
    after = carry_ids(find_emerging(more, now=now, params=EmergingParams(distance=0.3)).clusters, renamed)
    by_member = {c.item_ids[0]: c.id for c in after}
    assert sorted(by_member.values()) == ["old-0", "old-1"]
    assert carry_ids(after, ())[0].id == after[0].id


def test_keywords_prefer_words_that_set_a_cluster_apart() -> None:
    clusters = [
        ["Die Migranten bekommen das Klimageld", "Migranten und das Klimageld doppelt"],
        ["Die Migranten und die Grundschule", "Grundschule ohne Schweinefleisch für Migranten"],
    ]
    first, second = keywords_by_cluster(clusters, ["Migranten sind überall", "Migranten heute"], top=2)
    assert first[0] == "klimageld" and second[0] == "grundschule"
    assert "die" not in first + second and "und" not in first + second


def test_the_clusters_are_those_of_scikit_learn_s_agglomerative_clustering() -> None:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(12, 16)).astype(np.float32)
    vectors = centres[rng.integers(0, 12, 200)] + rng.normal(0, 0.3, (200, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for distance in (0.2, 0.5, 0.8):
        ours = cluster_labels(vectors, EmergingParams(distance=distance, min_size=1))
        theirs = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
        ).fit_predict(vectors)
        assert adjusted_rand_score(ours, theirs) == 1.0


def test_records_for_the_command_line() -> None:
    n = group_narratives(
        [item("g1", POST, axis(0), hours=0), item("g2", POST, axis(0), hours=2, source="x")]
    )[0]
    assert n.to_dict() == {
        "id": narrative_id("g1"),
        "claim_id": "c1",
        "count": 2,
        "first_seen": "2026-12-01T08:00:00Z",
        "last_seen": "2026-12-01T10:00:00Z",
        "sources": {"s": 1, "x": 1},
        "items": ["g1", "g2"],
    }
    cluster = find_emerging(
        blobs(), now=T0 + dt.timedelta(days=1), params=EmergingParams(distance=0.3)
    ).clusters[0]
    record = cluster.to_dict()
    assert record["size"] == 5 and len(record["items"]) == 5  # type: ignore[arg-type]
    assert record["keywords"] == list(cluster.keywords) and record["typical"] == list(cluster.typical)
