"""Narratives and emerging myths: do clusters of unmatched flagged posts recover myths nobody has a pair
for, and how fast are assignment and rebuild?

Quality, on real labelled text (corpus/README.md): some pairs (`--hold-out`, claim ids) are removed
from a copy of claims_db/, and the real pipeline (the configured encoder, the claim matcher and the
myth classifier, trained fresh on that reduced database in a temporary data directory unless
--data-dir is given) analyses every corpus text. The emerging-myth pool is what the product would
cluster: flagged texts whose best candidate is not confident. Two pools are clustered per split:
  - `pipeline`: exactly that pool (held-out myth posts reach it only when flagged and not matched
    confidently to a remaining pair);
  - `all-posts`: that pool plus every post of a held-out myth (as if the classifier flagged them all):
    the clustering's own quality, apart from the classifier's recall.
Parameters (distance threshold, minimum size) are tuned on the training sources only (GermEval
2018 and the training web publishers, corpus.trains_on_publisher) on the `all-posts` pool; the
held-out sources (GermEval 2021, DEbateNet, CheckThat!, the other web publishers, and IWG, which is
evaluation only) are then clustered with the chosen parameters and reported, IWG apart. The corpus
has no usable dates, so no time window is applied.

Metrics: purity (in the clusters whose most frequent label is a held-out myth, the share of posts
of that myth), recall of each held-out myth (the share of its pooled posts in its best cluster),
splits (how many clusters hold at least two of its posts), noise (the share of the pool in no
cluster, and of each myth's posts).

Scale, on synthetic sets sampled around real encoded posts: each synthetic item is a flagged corpus
post's real vector plus Gaussian noise (cosine about 0.9 to it, renormalised) and the post's text
with one word dropped, with that post's confident claim (or none). Reported: the full rebuild
(`group_narratives`, and `find_emerging` over the unmatched part) and the time per incremental
assignment of a new item (`assign` against the narratives of its claim, `assign_emerging` against
the clusters) at each size. Last line: JSON.

    python bench/clustering.py [--hold-out a,b,...] [--data-dir DIR] [--sizes 10000,50000,200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import pickle
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from factsandwich.clustering import (
    ClusterItem,
    EmergingParams,
    assign,
    assign_emerging,
    find_emerging,
    group_narratives,
    jaccard_estimates,
    minhash,
)
from factsandwich.config import Settings
from factsandwich.corpus import LabelledText, load_corpus
from factsandwich.embed import Vectors
from factsandwich.pipeline import Factsandwich
from factsandwich.social import for_models

DEFAULT_HOLD_OUT = (
    "great-replacement",
    "migration-only-costs",
    "refugees-paid-more-than-pensioners",
    "terror",
    "housing-shortage",
    "disease",
)
DISTANCES = (0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80)
ASSIGN_COSINES = (0.3, 0.4, 0.5, 0.6, 0.7)
MIN_SIZES = (3, 5)
NOW = dt.datetime(2026, 12, 1)


@dataclass(frozen=True)
class Post:
    text: LabelledText
    vector: Vectors
    flagged: bool
    confident_claim: str | None  # the top candidate when it is confident
    myth: str | None  # the held-out myth it repeats, if any


def analyse(app: Factsandwich, texts: list[LabelledText], held: set[str]) -> list[Post]:
    """Flag and match as a scan does (pipeline.analyse without the drafts)."""
    model_texts = [for_models(t.text) for t in texts]
    vectors = app.encoder.encode(model_texts)
    ranked = app.matcher.match(model_texts, vectors, top=3, confident=app.settings.confident_threshold)
    classifier = app.classifier
    probabilities = classifier.predict_proba(model_texts, vectors)
    threshold = (
        app.settings.flag_threshold if app.settings.flag_threshold is not None else classifier.threshold
    )
    posts = []
    for t, matches, p, v in zip(texts, ranked, probabilities, vectors, strict=True):
        confident = matches[0].claim_id if matches and matches[0].confident else None
        myth = next((c for c in t.claim_ids if c in held), None) if t.kind == "myth" else None
        posts.append(Post(t, v, bool(p >= threshold), confident, myth))
    return posts


def pools(posts: list[Post]) -> dict[str, list[Post]]:
    pipeline = [p for p in posts if p.flagged and p.confident_claim is None]
    extra = [p for p in posts if p.myth is not None and p not in pipeline]
    return {"pipeline": pipeline, "all-posts": pipeline + extra}


def evaluate(pool: list[Post], params: EmergingParams) -> dict[str, object]:
    items = [ClusterItem(f"p{n}", p.text.text, p.vector, None, p.text.source) for n, p in enumerate(pool)]
    result = find_emerging(items, now=NOW, params=params)
    label = {f"p{n}": p.myth for n, p in enumerate(pool)}
    totals = Counter(p.myth for p in pool if p.myth)
    in_clusters = [Counter(label[i] for i in c.item_ids) for c in result.clusters]
    led = [(c.most_common(1)[0], sum(c.values())) for c in in_clusters]
    myth_led = [(count, size) for (name, count), size in led if name is not None]
    purity = sum(c for c, _ in myth_led) / sum(s for _, s in myth_led) if myth_led else None
    per_myth: dict[str, dict[str, object]] = {}
    for myth, total in sorted(totals.items()):
        best = max((c[myth] for c in in_clusters), default=0)
        f1, precision = max(
            (
                (2 * c[myth] / (sum(c.values()) + total), c[myth] / sum(c.values()))
                for c in in_clusters
                if c[myth]
            ),
            default=(0.0, 0.0),
        )
        per_myth[myth] = {
            "posts": total,
            "recall": round(best / total, 3),
            "best_f1": round(f1, 3),
            "best_f1_precision": round(precision, 3),
            "clusters_with_2_plus": sum(c[myth] >= 2 for c in in_clusters),
            "clusters_led": sum(1 for (name, _), _ in led if name == myth),
            "noise": round(sum(label[i] == myth for i in result.unclustered) / total, 3),
        }
    recalls = [float(m["recall"]) for m in per_myth.values()]  # type: ignore[arg-type]
    mean_recall = sum(recalls) / len(recalls) if recalls else None
    f1s = [float(m["best_f1"]) for m in per_myth.values()]  # type: ignore[arg-type]
    score = sum(f1s) / len(f1s) if f1s else 0.0
    return {
        "pool": len(pool),
        "held_out_posts": sum(totals.values()),
        "clusters": len(result.clusters),
        "myth_led_clusters": len(myth_led),
        "other_clusters": len(led) - len(myth_led),
        "purity": round(purity, 3) if purity is not None else None,
        "mean_recall": round(mean_recall, 3) if mean_recall is not None else None,
        "mean_splits": round(
            sum(int(m["clusters_with_2_plus"]) for m in per_myth.values()) / len(per_myth),
            2,  # type: ignore[call-overload]
        )
        if per_myth
        else None,
        "noise": round(len(result.unclustered) / len(pool), 3) if pool else None,
        "f": round(score, 3),
        "per_myth": per_myth,
        "examples": [
            {"size": c.size, "keywords": list(c.keywords[:6]), "typical": c.typical[0][:120], "led_by": name}
            for c, ((name, _), _) in list(zip(result.clusters, led, strict=True))[:8]
        ],
    }


def summary(name: str, r: dict[str, object]) -> str:
    return (
        f"{name:<34} pool {r['pool']:>4} held-out posts {r['held_out_posts']:>4} clusters {r['clusters']:>3} "
        f"(myth-led {r['myth_led_clusters']}, other {r['other_clusters']}) purity {r['purity']} "
        f"recall {r['mean_recall']} splits {r['mean_splits']} noise {r['noise']} best-match F1 {r['f']}"
    )


def incremental_agreement(pool: list[Post], params: EmergingParams, late_share: float = 0.2) -> float:
    """Cluster the first 80 % of the pool, assign the last 20 % one by one (`assign_emerging`), and
    compare with a rebuild over all of it: a late item agrees when the rebuild puts it with the early
    cluster the assignment chose (the rebuilt cluster holding most of that cluster's members), or both
    leave it out."""
    items = [ClusterItem(f"p{n}", p.text.text, p.vector, None, p.text.source) for n, p in enumerate(pool)]
    order = np.random.default_rng(11).permutation(len(items))
    items = [items[i] for i in order]
    cut = int(len(items) * (1 - late_share))
    early = find_emerging(items[:cut], now=NOW, params=params).clusters
    rebuilt = find_emerging(items, now=NOW, params=params).clusters
    home = {i: c_index for c_index, c in enumerate(rebuilt) for i in c.item_ids}
    agree = 0
    for item in items[cut:]:
        chosen = assign_emerging(item, early, params).cluster
        if chosen is None:
            agree += item.id not in home
            continue
        votes = Counter(home.get(i) for i in chosen.item_ids[:-1])
        agree += votes.most_common(1)[0][0] == home.get(item.id) is not None
    return agree / max(len(items) - cut, 1)


def tune(posts: list[Post]) -> tuple[EmergingParams, list[dict[str, object]]]:
    pool = pools(posts)["all-posts"]
    grid = []
    for min_size in MIN_SIZES:
        for distance in DISTANCES:
            params = EmergingParams(distance=distance, min_size=min_size, window=None)
            r = evaluate(pool, params)
            grid.append(
                {
                    "distance": distance,
                    "min_size": min_size,
                    **{k: r[k] for k in ("clusters", "purity", "mean_recall", "mean_splits", "noise", "f")},
                }
            )
            print(f"  tune distance {distance:.2f} min_size {min_size}: " + summary("", r), file=sys.stderr)
    best = max(grid, key=lambda g: (float(g["f"]), -float(g["distance"])))  # type: ignore[arg-type]
    chosen = EmergingParams(distance=float(best["distance"]), min_size=int(best["min_size"]), window=None)  # type: ignore[call-overload]
    agreement = {a: incremental_agreement(pool, replace(chosen, assign_cosine=a)) for a in ASSIGN_COSINES}
    for a, share in agreement.items():
        print(
            f"  tune assign_cosine {a}: incremental agrees with the rebuild on {share:.3f}", file=sys.stderr
        )
    grid.append({"assign_cosine_agreement": {str(a): round(v, 3) for a, v in agreement.items()}})
    best_cosine = max(agreement, key=lambda a: (agreement[a], a))
    return replace(chosen, assign_cosine=best_cosine), grid


def narratives_on_real(posts: list[Post]) -> dict[str, object]:
    """Narratives of the confidently matched flagged posts (all sources), and copy detection: each
    real post is retweeted ("RT @user: ... link") and cut to its first 80 % of words; does the copy
    land in the original's narrative? And how often are two different real posts taken for copies?"""
    matched = [p for p in posts if p.flagged and p.confident_claim]
    items = [
        ClusterItem(f"m{n}", p.text.text, p.vector, p.confident_claim, p.text.source)
        for n, p in enumerate(matched)
    ]
    narratives = group_narratives(items)
    gold = {f"m{n}": set(p.text.claim_ids) for n, p in enumerate(matched)}
    right = sum(sum(n.claim_id in gold[i] for i in n.item_ids) for n in narratives)
    originals = [p for p in posts if len(p.text.text.split()) >= 8 and p.text.split != "train"]
    retweet_hits = cut_hits = 0
    for n, p in enumerate(originals):
        first = assign(ClusterItem(f"o{n}", p.text.text, p.vector, "c"), [])
        words = p.text.text.split()
        retweet = f"RT @someone: {p.text.text} https://t.co/abc{n}"
        cut = " ".join(words[: max(1, int(len(words) * 0.8))])
        for text, kind in ((retweet, "rt"), (cut, "cut")):
            # the copy's vector is that of another post: only the text can tell it is a copy
            other = originals[(n + 1) % len(originals)].vector
            got = assign(ClusterItem(f"c{n}{kind}", text, other, "c"), [first.narrative])
            if not got.created:
                retweet_hits += kind == "rt"
                cut_hits += kind == "cut"
    rng = np.random.default_rng(7)
    pairs = rng.integers(0, len(originals), (2000, 2))
    false_copies = 0
    counted = 0
    for a, b in pairs:
        if a == b or originals[a].text.text == originals[b].text.text:
            continue
        counted += 1
        sig = minhash(originals[a].text.text)
        false_copies += float(jaccard_estimates(sig, minhash(originals[b].text.text)[None, :])[0]) >= 0.5
    return {
        "matched_flagged_posts": len(matched),
        "narratives": len(narratives),
        "posts_in_multi_post_narratives": round(
            sum(n.size for n in narratives if n.size > 1) / max(len(items), 1), 3
        ),
        "largest": [n.size for n in narratives[:5]],
        "claim_right": round(right / max(len(items), 1), 3),
        "copy_recall_retweet": round(retweet_hits / max(len(originals), 1), 3),
        "copy_recall_cut_80": round(cut_hits / max(len(originals), 1), 3),
        "copy_pairs_tested": counted,
        "false_copy_rate": round(false_copies / max(counted, 1), 4),
    }


def synthetic(posts: list[Post], size: int, seed: int) -> list[ClusterItem]:
    """`size` items around the real flagged posts: vector + noise (cosine about 0.9), a word dropped."""
    rng = np.random.default_rng(seed)
    base = [p for p in posts if p.flagged] or posts
    dim = len(base[0].vector)
    sigma = float(np.sqrt((1 / 0.9**2 - 1) / dim))
    picks = rng.integers(0, len(base), size)
    noise = rng.normal(0, sigma, (size, dim)).astype(np.float32)
    items = []
    start = NOW - dt.timedelta(days=14)
    for n, (k, e) in enumerate(zip(picks, noise, strict=True)):
        post = base[int(k)]
        v = post.vector + e
        words = post.text.text.split()
        if len(words) > 3:
            del words[int(rng.integers(0, len(words)))]
        published = start + dt.timedelta(seconds=int(n * 14 * 86400 / size))
        items.append(
            ClusterItem(
                f"s{n}",
                " ".join(words),
                (v / np.linalg.norm(v)).astype(np.float32),
                post.confident_claim,
                post.text.source,
                published,
            )
        )
    return items


def scale(posts: list[Post], sizes: list[int], params: EmergingParams) -> dict[str, object]:
    out: dict[str, object] = {}
    for size in sizes:
        items = synthetic(posts, size + 200, seed=size)
        stored, new = items[:size], items[size:]
        t = time.perf_counter()
        narratives = group_narratives(stored)
        rebuild = time.perf_counter() - t
        by_claim: dict[str | None, list[object]] = {}
        for n in narratives:
            by_claim.setdefault(n.claim_id, []).append(n)
        t = time.perf_counter()
        for item in new:
            assign(item, by_claim.get(item.claim_id, []))  # type: ignore[arg-type]
        per_item = (time.perf_counter() - t) / len(new)
        unmatched = [i for i in stored if i.claim_id is None]
        window = replace(params, window=None)
        t = time.perf_counter()
        emerging = find_emerging(unmatched, now=NOW, params=window)
        emerging_rebuild = time.perf_counter() - t
        new_unmatched = [i for i in new if i.claim_id is None] or new
        t = time.perf_counter()
        for item in new_unmatched:
            assign_emerging(item, emerging.clusters, window)
        emerging_item = (time.perf_counter() - t) / len(new_unmatched)
        out[str(size)] = {
            "narratives": len(narratives),
            "largest_claim_narratives": max(len(v) for v in by_claim.values()),
            "narrative_rebuild_s": round(rebuild, 2),
            "narrative_assign_ms": round(per_item * 1000, 3),
            "unmatched": len(unmatched),
            "emerging_clusters": len(emerging.clusters),
            "emerging_rebuild_s": round(emerging_rebuild, 2),
            "emerging_assign_ms": round(emerging_item * 1000, 3),
        }
        print(f"scale {size:>7}: {out[str(size)]}", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--hold-out", default=",".join(DEFAULT_HOLD_OUT), help="Claim ids left out of the pairs."
    )
    parser.add_argument("--data-dir", type=Path, help="Use (and keep) this data directory for the models.")
    parser.add_argument("--sizes", default="10000,50000,200000", help="Synthetic set sizes ('' to skip).")
    parser.add_argument("--encoder", default="fusion", choices=["fusion", "use", "minilm"])
    args = parser.parse_args()
    held = {c.strip() for c in args.hold_out.split(",") if c.strip()}
    with tempfile.TemporaryDirectory() as tmp:
        claims_dir = Path(tmp) / "claims"
        shutil.copytree(Settings.from_env().claims_dir, claims_dir)
        for claim_id in held:
            (claims_dir / f"{claim_id}.yaml").unlink()
        settings = Settings.from_env(
            data_dir=args.data_dir or Path(tmp) / "data", claims_dir=claims_dir, encoder=args.encoder
        )
        corpus = load_corpus(settings.corpus_dir, settings.datasets_dir)
        app = Factsandwich(settings)
        key = hashlib.sha256(
            "|".join([args.encoder, *sorted(held), *(t.text for t in corpus.texts)]).encode()
        ).hexdigest()[:16]
        saved = args.data_dir / f"bench-clustering-{key}.pickle" if args.data_dir else None
        if saved is not None and saved.is_file():  # the same analysis, by an earlier run
            posts = pickle.loads(saved.read_bytes())
            print(f"analysis of {len(posts)} texts loaded from {saved}", file=sys.stderr)
        else:
            t = time.perf_counter()
            _ = app.classifier  # trained on the reduced pairs unless the data directory has it
            print(
                f"models ready in {time.perf_counter() - t:.0f} s; held out: {', '.join(sorted(held))}",
                file=sys.stderr,
            )
            t = time.perf_counter()
            posts = analyse(app, list(corpus.texts), held)
            print(f"analysed {len(posts)} texts in {time.perf_counter() - t:.0f} s", file=sys.stderr)
            if saved is not None:
                saved.write_bytes(pickle.dumps(posts))
        results: dict[str, object] = {
            "encoder": settings.encoder,
            "held_out": sorted(held),
            "unreadable": corpus.unreadable,
        }
        train = [p for p in posts if p.text.split == "train"]
        params, grid = tune(train)
        results["grid_train"] = grid
        results["chosen"] = {
            "distance": params.distance,
            "min_size": params.min_size,
            "assign_cosine": params.assign_cosine,
        }
        print(
            f"chosen on the training sources: distance {params.distance} min_size {params.min_size} "
            f"assign_cosine {params.assign_cosine}",
            file=sys.stderr,
        )
        groups = {
            "train (tuned on)": train,
            "held-out sources without IWG": [p for p in posts if p.text.split not in ("train", "iwg")],
            "IWG (evaluation only)": [p for p in posts if p.text.split == "iwg"],
            "all held-out sources": [p for p in posts if p.text.split != "train"],
        }
        for name, group in groups.items():
            for pool_name, pool in pools(group).items():
                r = evaluate(pool, params)
                r["incremental_agreement"] = round(incremental_agreement(pool, params), 3)
                results[f"{name}/{pool_name}"] = r
                print(
                    summary(f"{name}/{pool_name}", r)
                    + f" incremental agreement {r['incremental_agreement']}",
                    file=sys.stderr,
                )
                for myth, m in r["per_myth"].items():  # type: ignore[attr-defined]
                    print(f"    {myth:<36} {m}", file=sys.stderr)
        for e in results["all held-out sources/pipeline"]["examples"]:  # type: ignore[index]
            print(f"  cluster {e}", file=sys.stderr)
        results["narratives"] = narratives_on_real(posts)
        print(f"narratives on real posts: {results['narratives']}", file=sys.stderr)
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        if sizes:
            results["scale"] = scale(posts, sizes, params)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
