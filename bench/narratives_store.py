"""Narratives on the real store: the incremental update per new item and the full build, at 10k, 50k
and 200k stored flagged items, on SQLite and PostgreSQL (issue 14, "Performance and scale").

The population is real text with real vectors. The pool is every myth text of corpus/*.jsonl (kind
"myth" or "myth-other", one per content hash), analysed once by the real pipeline (the configured
encoder, claim matcher and myth classifier, trained into --data-dir or a temporary directory): its
matches, confidence, myth probability and draft are the product's. Item k of the population is pool
text k mod P; from the second round through the pool on, one or two real hashtags of the corpus are
appended (chosen at random; every text unique as the store's content hash sees it), as retweets and
copy-paste posts vary a myth. A variant keeps its base text's real vector and analysis (re-encoding
200,000 texts is hours on two cores; really encoding a sample of variants gives a mean cosine to
their base of about 0.91, printed as `variant_cosine`, so the population's near-copies are a little
closer than real ones); every item is stored flagged. Items are dated uniformly over --days before
the population's end (365: a store that kept a year of flagged posts), in id order, as a monitor
stores them.

Filling (not timed): the items by one direct executemany INSERT per 5,000 rows (the bench only; the
product stores a scan batch through `ScanStore.store_items`), their vectors through the embedding
cache's bulk `put_many`, as a scan leaves them. Then, timed, per backend and size:
  - full build: `update_narratives` until no flagged item is left (the product's path over a backlog
    of the whole store, `limit` 5,000 a call), then one `rebuild_emerging` (the update rebuilds at
    most every REBUILD_EVERY), with the share spent in `rebuild_emerging`;
  - incremental: a scan batch of --batch new variants dated at the end, stored through
    `ScanStore.store_items` with their vectors cached, then one `update_narratives`: ms per item;
  - ingest to queue: --probes times, one new post (a variant not in the cache) in a posts file, read,
    encoded, matched, classified, stored and put into its narrative or emerging cluster by
    `Factsandwich.scan`: the seconds from the scan's start to the item being in the queue with its
    narrative (the issue's budget: under 2 s at 50,000 stored items).
Each size starts from an empty database (SQLite: a new file; PostgreSQL: the schema dropped and
created again, so use a database of its own, e.g. factsandwich_bench). Last line: JSON.

    python bench/narratives_store.py [--sizes 10000,50000,200000] [--backends sqlite,postgresql]
        [--postgres-url URL | FACTSANDWICH_BENCH_POSTGRES_URL] [--data-dir DIR] [--days 365]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, func, insert, select, text

from factsandwich import narratives
from factsandwich.config import Settings
from factsandwich.corpus import load_corpus
from factsandwich.embed import MAX_EMBED_CHARS, CachedEncoder, Encoder, FusionEncoder, text_key
from factsandwich.feeds import FeedItem
from factsandwich.pipeline import (
    Analysis,
    Factsandwich,
    ScanRecord,
    ScanSummary,
    _item_row,
    make_factsandwich,
)
from factsandwich.social import for_models
from factsandwich.storage import Store
from factsandwich.storage.tables import EmergingItemRow, ItemRow, NarrativeItemRow
from factsandwich.text import content_hash

END = dt.datetime(2026, 12, 1, 12, 0)
CHUNK = 5000
HASHTAG = re.compile(r"#\w{3,40}")


@dataclass(frozen=True)
class Base:
    """A pool text with its real analysis and its encoder parts' real vectors."""

    text: str
    analysis: Analysis
    parts: dict[str, np.ndarray[Any, Any]]


def cached_parts(encoder: Encoder) -> list[CachedEncoder]:
    parts = [enc for enc, _ in encoder.parts] if isinstance(encoder, FusionEncoder) else [encoder]
    return [p for p in parts if isinstance(p, CachedEncoder)]


def make_pool(app: Factsandwich, datasets: Path | None) -> tuple[list[Base], list[str], float]:
    """The corpus's myth texts analysed by the real pipeline, the corpus's hashtags, and the mean
    cosine of really encoded hashtag variants to their base vectors."""
    corpus = load_corpus(app.settings.corpus_dir, datasets)
    by_hash = {content_hash(t.text): t.text for t in corpus.texts if t.is_myth and t.text.strip()}
    texts = sorted(by_hash.values())
    tags = sorted({tag for t in corpus.texts for tag in HASHTAG.findall(t.text)})
    analyses = app.analyse(texts)
    parts = {p.name: p.encode([for_models(t) for t in texts]) for p in cached_parts(app.encoder)}
    pool = [
        Base(t, a, {name: vectors[n] for name, vectors in parts.items()})
        for n, (t, a) in enumerate(zip(texts, analyses, strict=True))
    ]
    rng = random.Random(7)
    sample = rng.sample(range(len(texts)), min(100, len(texts)))
    variants = [f"{texts[n]} {' '.join(rng.sample(tags, 2))}" for n in sample]
    fused = app.encoder.encode([for_models(t) for t in variants])
    originals = app.encoder.encode([for_models(texts[n]) for n in sample])
    cosine = float(np.mean(np.sum(fused * originals, axis=1)))
    return pool, tags, cosine


class Population:
    """Item k: pool text k mod P, from the second round on with one or two hashtags appended."""

    def __init__(self, pool: list[Base], tags: list[str], seed: int = 11) -> None:
        self.pool, self.tags = pool, tags
        self.rng = random.Random(seed)
        self.seen: set[str] = set()
        self.count = 0

    def next(self) -> tuple[str, Base]:
        base = self.pool[self.count % len(self.pool)]
        first_round = self.count < len(self.pool)
        self.count += 1
        text = base.text
        while content_hash(text) in self.seen or (not first_round and text == base.text):
            text = f"{base.text} {' '.join(self.rng.sample(self.tags, self.rng.choice((1, 2))))}"
        self.seen.add(content_hash(text))
        return text, base


def item_row(text: str, base: Base, number: int, moment: dt.datetime, source: str) -> dict[str, Any]:
    feed_item = FeedItem(
        source, f"bench-{number}", "", f"https://posts.example/{number}", moment.isoformat() + "Z", text
    )
    return {**_item_row(ScanRecord(feed_item, base.analysis), ()), "flagged": True}


def cache_vectors(store: Store, entries: list[tuple[str, Base]]) -> None:
    """The vectors a scan leaves in the embedding cache, per encoder part (the base's real ones)."""
    for name in entries[0][1].parts if entries else ():
        store.put_many(
            name,
            {text_key(for_models(t)[:MAX_EMBED_CHARS]): base.parts[name] for t, base in entries},
        )


def fill(store: Store, population: Population, size: int, days: int) -> None:
    start = END - dt.timedelta(days=days)
    step = dt.timedelta(days=days) / size
    sources = [f"https://feed{n:02d}.example/rss" for n in range(40)]
    for offset in range(0, size, CHUNK):
        entries = [population.next() for _ in range(min(CHUNK, size - offset))]
        rows = [
            item_row(t, b, offset + n, start + step * (offset + n), sources[(offset + n) % len(sources)])
            for n, (t, b) in enumerate(entries)
        ]
        with store.session() as session:
            session.execute(insert(ItemRow), rows)
        cache_vectors(store, entries)


@contextmanager
def timing_rebuilds(seconds: list[float]) -> Iterator[None]:
    """Count the time spent in `rebuild_emerging` (update_narratives calls it by its module name)."""
    inner: Callable[..., int] = narratives.rebuild_emerging

    def timed(*args: Any, **kwargs: Any) -> int:
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    narratives.rebuild_emerging = timed
    try:
        yield
    finally:
        narratives.rebuild_emerging = inner


def counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {
            "narrative_members": int(session.scalar(select(func.count()).select_from(NarrativeItemRow)) or 0),
            "emerging_items": int(session.scalar(select(func.count()).select_from(EmergingItemRow)) or 0),
            "narratives": int(session.scalar(text("SELECT count(*) FROM narratives")) or 0),
            "emerging_clusters": int(session.scalar(text("SELECT count(*) FROM emerging_clusters")) or 0),
        }


def in_queue(store: Store, guid: str) -> bool:
    """Whether the item is stored and in a narrative or the emerging clustering (a flagged item is;
    one that the real classifier does not flag is in neither)."""
    with store.session() as session:
        item_id = session.scalar(select(ItemRow.id).where(ItemRow.guid == guid))
        if item_id is None:
            return False
        placed = session.scalar(select(NarrativeItemRow.item_id).where(NarrativeItemRow.item_id == item_id))
        waiting = session.scalar(select(EmergingItemRow.item_id).where(EmergingItemRow.item_id == item_id))
        return placed is not None or waiting is not None


def full_build(app: Factsandwich, store: Store) -> dict[str, Any]:
    rebuilds: list[float] = []
    calls = taken = 0
    started = time.perf_counter()
    with timing_rebuilds(rebuilds):
        while True:
            summary = narratives.update_narratives(store, app.encoder, now=END)
            calls += 1
            taken += summary.taken
            if not summary.taken:
                break
        # the clusters of the whole backlog: update_narratives rebuilds at most every REBUILD_EVERY
        narratives.rebuild_emerging(store, app.encoder, now=END)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "items": taken,
        "ms_per_item": round(1000 * seconds / max(taken, 1), 3),
        "update_calls": calls,
        "emerging_rebuilds": len(rebuilds),
        "emerging_rebuild_s": round(sum(rebuilds), 2),
        **counts(store),
    }


def incremental(app: Factsandwich, store: Store, population: Population, batch: int) -> dict[str, Any]:
    entries = [population.next() for _ in range(batch)]
    number = population.count + 10_000_000
    rows = [
        item_row(t, b, number + n, END + dt.timedelta(seconds=n), "https://new.example/rss")
        for n, (t, b) in enumerate(entries)
    ]
    store.store_items(rows)
    cache_vectors(store, entries)
    rebuilds: list[float] = []
    with timing_rebuilds(rebuilds):
        summary = narratives.update_narratives(store, app.encoder, now=END + dt.timedelta(hours=1))
    return {
        "items": summary.taken,
        "seconds": round(summary.seconds, 3),
        "ms_per_item": round(1000 * summary.seconds / max(summary.taken, 1), 2),
        "joined": summary.joined,
        "opened": summary.opened,
        "emerging": summary.emerging,
        "emerging_rebuild_s": round(sum(rebuilds), 3),
    }


def ingest(app: Factsandwich, store: Store, population: Population, probes: int, tmp: Path) -> dict[str, Any]:
    """One new post at a time through the whole scan: read, encode (not cached), analyse, store,
    update_narratives."""
    totals: list[float] = []
    updates: list[float] = []
    placed = flagged = 0
    inner = app.update_narratives

    def timed_update() -> Any:
        started = time.perf_counter()
        try:
            return inner()
        finally:
            updates.append(time.perf_counter() - started)

    app.update_narratives = timed_update  # type: ignore[method-assign]
    for probe in range(probes):
        text_, _ = population.next()
        guid = f"probe-{population.count}"
        path = tmp / f"probe-{probe}.jsonl"
        moment = (END + dt.timedelta(hours=2, minutes=probe)).isoformat() + "Z"
        path.write_text(json.dumps({"id": guid, "text": text_, "published": moment}) + "\n")
        started = time.perf_counter()
        summary = ScanSummary()
        for _ in app.scan([str(path)], summary=summary):
            pass
        totals.append(time.perf_counter() - started)
        flagged += summary.flagged
        placed += in_queue(store, guid)
    app.update_narratives = inner  # type: ignore[method-assign]
    return {
        "probes": probes,
        "flagged": flagged,
        "placed": placed,
        "scan_s": [round(s, 3) for s in totals],
        "update_narratives_s": [round(s, 3) for s in updates],
        "median_s": round(statistics.median(totals), 3),
        "max_s": round(max(totals), 3),
    }


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run_one(
    settings: Settings,
    url: str,
    pool: list[Base],
    tags: list[str],
    size: int,
    args: argparse.Namespace,
    tmp: Path,
) -> dict[str, Any]:
    store = Store(url)
    app = make_factsandwich(replace(settings, database_url=url), store=store)
    app.load_models()
    population = Population(pool, tags)
    started = time.perf_counter()
    fill(store, population, size, args.days)
    fill_s = time.perf_counter() - started
    build = full_build(app, store)
    step = incremental(app, store, population, args.batch)
    probe = ingest(app, store, population, args.probes, tmp)
    store.engine.dispose()
    return {
        "size": size,
        "fill_s": round(fill_s, 1),
        "full_build": build,
        "incremental": step,
        "ingest": probe,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="10000,50000,200000", help="Stored flagged items (comma-separated)."
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite, postgresql or both.")
    parser.add_argument("--postgres-url", default=os.environ.get("FACTSANDWICH_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--data-dir", type=Path, help="Keep (and reuse) the trained models here.")
    parser.add_argument("--days", type=int, default=365, help="The population's dates span (days).")
    parser.add_argument("--batch", type=int, default=200, help="New items in the incremental scan batch.")
    parser.add_argument("--probes", type=int, default=5, help="Single new posts scanned end to end.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgresql" in backends and not args.postgres_url:
        parser.error("PostgreSQL needs --postgres-url or FACTSANDWICH_BENCH_POSTGRES_URL")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings.from_env(data_dir=args.data_dir or tmp / "data")
        started = time.perf_counter()
        models = make_factsandwich(replace(settings, database_url=f"sqlite:///{tmp}/models.db"))
        models.load_models()
        pool, tags, cosine = make_pool(models, settings.datasets_dir)
        prepare_s = time.perf_counter() - started
        confident = sum(bool(b.analysis.matches and b.analysis.matches[0].confident) for b in pool)
        print(
            f"pool: {len(pool)} myth texts ({confident} matched confidently), {len(tags)} hashtags; "
            f"variant cosine to base {cosine:.3f}; encoder {models.encoder.name}; ready in {prepare_s:.0f} s",
            file=sys.stderr,
        )
        results = []
        for backend in backends:
            for size in sizes:
                if backend == "sqlite":
                    url = f"sqlite:///{tmp}/store-{size}.db"
                else:
                    reset_postgres(args.postgres_url)
                    url = args.postgres_url
                result = {"backend": backend, **run_one(settings, url, pool, tags, size, args, tmp)}
                results.append(result)
                b, i, p = result["full_build"], result["incremental"], result["ingest"]
                print(
                    f"{backend:<10} {size:>7,} items (filled in {result['fill_s']:.0f} s): full build "
                    f"{b['seconds']:.1f} s ({b['ms_per_item']:.2f} ms/item; "
                    f"{b['emerging_rebuilds']} emerging rebuilds {b['emerging_rebuild_s']:.1f} s; "
                    f"{b['narratives']} narratives, "
                    f"{b['emerging_clusters']} clusters); incremental {i['items']} items "
                    f"{i['ms_per_item']:.1f} ms/item (rebuild {i['emerging_rebuild_s']:.2f} s); "
                    f"one new post scanned to the queue: median {p['median_s']:.2f} s, "
                    f"max {p['max_s']:.2f} s "
                    f"({p['flagged']} of {p['probes']} flagged, {p['placed']} placed)",
                    file=sys.stderr,
                )
                if url.startswith("sqlite"):
                    Path(url.removeprefix("sqlite:///")).unlink()
    print(
        json.dumps(
            {
                "encoder": models.encoder.name,
                "pool": len(pool),
                "pool_confident": confident,
                "hashtags": len(tags),
                "variant_cosine": round(cosine, 4),
                "days": args.days,
                "batch": args.batch,
                "prepare_s": round(prepare_s, 1),
                "runs": results,
            }
        )
    )


if __name__ == "__main__":
    main()
