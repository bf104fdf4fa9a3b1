"""Claim retrieval on CLEF CheckThat! ("detecting previously fact-checked claims"), by the product.

    python bench/checkthat.py --data ../shared/datasets/checkthat2022_task2a_en --split dev
        [--train-split train | --no-tune] [--data-dir DIR]

DATA holds `vclaims.jsonl` and `NAME/queries.tsv` + `NAME/qrels.tsv` per split. In a fresh data
directory (temporary unless --data-dir) the bench does what an office does:
  1. `factchecks import` of vclaims.jsonl (timed: parse, store, encode, index);
  2. search the split's posts with the product's search (Factsandwich.fact_check_search.search, what
     every scan calls, here with top=10 and no score threshold); also the rankings by each signal
     alone, from the same candidates;
  3. unless --no-tune: `factchecks tune` on the train split (timed), which must differ from the
     evaluated split, and search again; then, to show what dates add, the re-ranker refitted without;
     and how often a scan would attach a fact-check at the configured threshold, to the split's
     posts and to the curated held-out posts of bench/data/ (which mostly match none).
Prints MAP@1, MAP@3, MAP@5 (the official measure; average precision over the top k, divided by the
number of relevant fact-checks), MRR and recall@10 per step; the last line is JSON with the product's
final figures (`map_at_5` …) and every step's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from factsandwich.config import Settings
from factsandwich.fact_check_search import FEATURES, FactCheckSearch
from factsandwich.fact_check_tuning import (
    fit_reranker,
    read_checkthat_pairs,
    read_checkthat_queries,
    split_pairs,
)
from factsandwich.pipeline import Factsandwich

COLLECTION = "checkthat"
HELDOUT = Path(__file__).resolve().parent / "data"


def read_split(data: Path, split: str) -> tuple[list[str], list[set[str]]]:
    """The split's posts and, for each, the ids of its fact-checks."""
    posts = read_checkthat_queries(data / split / "queries.tsv", data / split / "qrels.tsv")
    return [text for text, _ in posts], [relevant for _, relevant in posts]


def metrics(rankings: Sequence[Sequence[str]], gold: Sequence[set[str]]) -> dict[str, float]:
    result: dict[str, float] = {}
    for k in (1, 3, 5):
        total = 0.0
        for ranking, relevant in zip(rankings, gold, strict=True):
            hits, precision_sum = 0, 0.0
            for rank, external_id in enumerate(ranking[:k], 1):
                if external_id in relevant:
                    hits += 1
                    precision_sum += hits / rank
            total += precision_sum / len(relevant)
        result[f"map_at_{k}"] = total / len(gold)
    reciprocal = [
        next((1.0 / r for r, e in enumerate(ranking, 1) if e in relevant), 0.0)
        for ranking, relevant in zip(rankings, gold, strict=True)
    ]
    result["mrr"] = float(np.mean(reciprocal))
    result["recall_at_10"] = float(
        np.mean(
            [
                len(set(ranking[:10]) & relevant) / len(relevant)
                for ranking, relevant in zip(rankings, gold, strict=True)
            ]
        )
    )
    return {name: round(value, 4) for name, value in result.items()}


def product_rankings(search: FactCheckSearch, texts: Sequence[str]) -> list[list[str]]:
    return [[m.fact_check.external_id for m in matches] for matches in search.search(texts, top=10)]


def signal_rankings(search: FactCheckSearch, texts: Sequence[str], feature: str) -> list[list[str]]:
    """The candidates ordered by one feature alone (dense cosine, BM25, their rank fusion)."""
    column = FEATURES.index(feature)
    rankings = []
    for pool, features in search.candidates(texts):
        order = np.argsort(-features[:, column], kind="stable")[:10]
        rankings.append([search.fact_checks[pool[i]].external_id for i in order])
    return rankings


def curated_match_seconds(app: Factsandwich, texts: Sequence[str], repeats: int = 7) -> float:
    """Median time of the curated matcher alone (embeddings cached first): imports must not change it."""
    vectors = app.encoder.encode(texts)
    app.matcher.match(texts[:8], vectors[:8])  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        app.matcher.match(texts, vectors)
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def attachment(
    app: Factsandwich, search: FactCheckSearch, texts: Sequence[str], gold: Sequence[set[str]]
) -> dict[str, float]:
    """How often a scan would attach a fact-check (score ≥ the configured threshold): to the split's
    posts (and the right one), and to the curated held-out posts, which are not about Snopes' topics
    in the main (an upper bound of noise: Snopes checked some migration rumours too)."""
    threshold = app.settings.fact_check_threshold
    top = search.search(texts, top=1, min_score=threshold)
    heldout = [
        json.loads(line)["text"]
        for path in sorted(HELDOUT.glob("heldout_*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    heldout_top = search.search(heldout, top=1, min_score=threshold)
    return {
        "threshold": threshold,
        "dev_attached": round(sum(bool(m) for m in top) / len(texts), 4),
        "dev_attached_correct": round(
            sum(bool(m) and m[0].fact_check.external_id in g for m, g in zip(top, gold, strict=True))
            / len(texts),
            4,
        ),
        "heldout_posts": len(heldout),
        "heldout_attached": round(sum(bool(m) for m in heldout_top) / len(heldout), 4),
    }


def print_attachment(attached: dict[str, float], split: str) -> None:
    share, right = attached["dev_attached"], attached["dev_attached_correct"]
    print(
        f"at the threshold {attached['threshold']}: {share:.1%} of the {split} posts get a fact-check "
        f"attached, {right:.1%} the right one; of the {attached['heldout_posts']} curated held-out posts "
        f"(migration myths, debunks, other news) {attached['heldout_attached']:.1%} get one",
        flush=True,
    )


def report(name: str, figures: dict[str, float], steps: dict[str, dict[str, float]]) -> None:
    steps[name] = figures
    print(
        f"{name:44} MAP@1 {figures['map_at_1']:.3f}  MAP@3 {figures['map_at_3']:.3f}  "
        f"MAP@5 {figures['map_at_5']:.3f}  MRR {figures['mrr']:.3f}  R@10 {figures['recall_at_10']:.3f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", required=True)
    parser.add_argument("--train-split", default="train")
    parser.add_argument("--no-tune", action="store_true")
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    if not args.no_tune and args.train_split == args.split:
        sys.exit("the evaluated split must not be the one tuned on (use another --train-split or --no-tune)")
    with tempfile.TemporaryDirectory() as scratch:
        app = Factsandwich.open(Settings(data_dir=args.data_dir or Path(scratch)))
        texts, gold = read_split(args.data, args.split)
        curated_before = curated_match_seconds(app, texts)
        started = time.perf_counter()
        read, _, _ = app.import_fact_checks(args.data / "vclaims.jsonl", COLLECTION, language="en")
        import_s = time.perf_counter() - started
        print(f"import: {len(read.fact_checks)} fact-checks searchable in {import_s:.1f} s", flush=True)
        curated_after = curated_match_seconds(app, texts)
        print(
            f"curated matching of the {len(texts)} posts of {args.split}: {curated_before * 1000:.0f} ms "
            f"before the import, {curated_after * 1000:.0f} ms after",
            flush=True,
        )
        steps: dict[str, dict[str, float]] = {}
        search = app.fact_check_search
        assert search is not None
        report("packaged MiniLM, dense alone", metrics(signal_rankings(search, texts, "dense"), gold), steps)
        report("BM25 alone", metrics(signal_rankings(search, texts, "bm25"), gold), steps)
        report("packaged: dense + BM25, rank fusion", metrics(product_rankings(search, texts), gold), steps)
        untuned = attachment(app, search, texts, gold)
        print_attachment(untuned, args.split)
        final, tune_s = steps["packaged: dense + BM25, rank fusion"], 0.0
        if not args.no_tune:
            pairs = read_checkthat_pairs(
                args.data / args.train_split / "queries.tsv",
                args.data / args.train_split / "qrels.tsv",
                COLLECTION,
            )
            started = time.perf_counter()
            app.tune_fact_checks(pairs, log=lambda message: print(f"  tune: {message}", flush=True))
            tune_s = time.perf_counter() - started
            print(f"tune: {len(pairs)} pairs of {args.train_split} in {tune_s:.0f} s", flush=True)
            search = app.fact_check_search
            assert search is not None
            report("tuned MiniLM, dense alone", metrics(signal_rankings(search, texts, "dense"), gold), steps)
            report(
                "tuned: dense + BM25, rank fusion",
                metrics(signal_rankings(search, texts, "rrf"), gold),
                steps,
            )
            product = metrics(product_rankings(search, texts), gold)
            reranker = search.reranker
            search.use_dates = False
            search.reranker = fit_reranker(search, split_pairs(pairs)[1], [e.text for e in app.examples])
            report("tuned + re-ranker without dates", metrics(product_rankings(search, texts), gold), steps)
            search.use_dates, search.reranker = True, reranker
            report("tuned + re-ranker with dates (the product)", product, steps)
            final = product
            attached = attachment(app, search, texts, gold)
            print_attachment(attached, args.split)
        print(
            json.dumps(
                {
                    "split": args.split,
                    "n_queries": len(texts),
                    **final,
                    "import_s": round(import_s, 1),
                    "attachment_untuned": untuned,
                    "attachment": attached if not args.no_tune else None,
                    "curated_match_ms": [round(curated_before * 1000), round(curated_after * 1000)],
                    "tune_s": round(tune_s, 1),
                    "steps": steps,
                }
            )
        )


if __name__ == "__main__":
    main()
