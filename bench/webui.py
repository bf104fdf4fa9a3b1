"""Server time of the triage pages with a large store: the queue and the item page, target < 100 ms median.

A fresh SQLite store in a temporary data directory is filled with synthetic but realistic item rows
(default 50,000), inserted directly with `Store.add_items` in chunks, as the pipeline writes them: ~50
feeds, German and English, ~30 % flagged, the triage statuses, matches against the real claims (with
their real wordings as matched text), drafts rendered by the real templates for flagged items, dates
spread over 8 weeks, unique content hashes. No text is encoded for the rows; the core uses the real
default encoder, and its classifier (which the item page needs) is loaded or trained before timing.

A comms officer logs in with Flask's test client; after warm-up requests (excluded), each page type
is requested N times, interleaved: the queue's first page, the queue filtered by a claim and a
language, a deep page (page 100 of status=all) and the page of a random flagged item. Server time is
the wall time of `client.get` in-process (routing, session, SQL, templates; no network, no WSGI
server). Summary (median, p90) on stderr; last line: JSON.

    python bench/webui.py [--items N] [--requests N] [--seed N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from factsandwich.accounts import add_user
from factsandwich.claims import Claim
from factsandwich.config import Settings
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from factsandwich.storage.tables import ItemRow
from factsandwich.triage import priority

TARGET_MS = 100.0
CHUNK = 2_000
PASSWORD = "bench password 123"
DEEP_PAGE = 100
PER_PAGE = 25  # webui.triage.PER_PAGE
STATUSES = (  # of flagged items, with weights
    ("new", 55),
    ("dismissed", 18),
    ("misinformation", 5),
    ("disinformation", 3),
    ("responding", 7),
    ("handled", 12),
)

TOWNS = (
    "Musterstadt", "Neustadt", "Altdorf", "Bergheim", "Talhausen", "Seeburg", "Waldkirch", "Rheinau",
    "Lindenau", "Hochfeld",
)  # fmt: skip
FILLER = {
    "de": (
        "Der Gemeinderat hat am Dienstag über den Haushalt beraten.",
        "Viele Bürgerinnen und Bürger kamen zur Versammlung in die Stadthalle.",
        "Die Verwaltung verweist auf die aktuellen Zahlen des Landesamts.",
        "In den Kommentaren unter dem Beitrag wurde heftig diskutiert.",
        "Die Integrationsbeauftragte kündigte eine Sprechstunde im Rathaus an.",
        "Der Sportverein sucht ehrenamtliche Trainer für die Jugendmannschaft.",
        "Die Straßensanierung in der Innenstadt soll bis zum Herbst dauern.",
        "Ein Sprecher der Polizei wollte sich zu den Gerüchten nicht äußern.",
        "Auf dem Wochenmarkt wurden Unterschriften gesammelt.",
        "Die Kita-Plätze im Stadtteil bleiben knapp, sagt das Jugendamt.",
    ),
    "en": (
        "The town council discussed the budget on Tuesday evening.",
        "Many residents attended the meeting at the community hall.",
        "The administration points to the latest figures from the statistics office.",
        "The comments under the post quickly turned heated.",
        "The integration officer announced office hours at the town hall.",
        "The local football club is looking for volunteer coaches.",
        "Road works in the town centre are expected to last until autumn.",
        "A police spokesperson declined to comment on the rumours.",
        "Volunteers collected signatures at the farmers' market.",
        "Childcare places in the district remain scarce, the youth office says.",
    ),
}


def make_sources(rng: random.Random) -> list[tuple[str, str]]:
    """~50 feeds (URL or posts file, main language): local papers, the town, groups, exports."""
    sources: list[tuple[str, str]] = []
    for town in TOWNS:
        slug = town.lower()
        sources += [
            (f"https://www.{slug}-zeitung.de/feed/rss", "de"),
            (f"https://www.{slug}.de/aktuelles/rss.xml", "de"),
            (f"https://forum.{slug}-online.de/atom.xml", "de"),
            (f"exports/facebook-{slug}.jsonl", "de"),
        ]
    sources += [(f"https://news.example-{i}.com/rss", "en") for i in range(6)]
    sources += [(f"exports/telegram-{i}.jsonl", rng.choice(["de", "en"])) for i in range(4)]
    return sources


def synthetic_rows(core: Factsandwich, n: int, threshold: float, rng: random.Random) -> list[dict[str, Any]]:
    """`n` item rows shaped as pipeline._item_row writes them."""
    claims = [c for c in core.claims if c.myths.get("de") and c.myths.get("en")]
    drafts: dict[tuple[str, str], dict[str, Any]] = {}

    def draft(claim: Claim, language: str) -> dict[str, Any]:
        key = (claim.id, language)
        if key not in drafts:
            drafts[key] = core.drafts.render(claim, language, "short", "factual").to_dict()
        return drafts[key]

    sources = make_sources(rng)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    statuses, weights = zip(*STATUSES, strict=True)
    rows = []
    for i in range(n):
        source, main_language = rng.choice(sources)
        language = main_language if rng.random() < 0.85 else ("en" if main_language == "de" else "de")
        flagged = rng.random() < 0.3
        probability = rng.uniform(threshold, 0.99) if flagged else rng.uniform(0.01, threshold - 0.01)
        related = rng.sample(claims, rng.randint(1, 3)) if (flagged or rng.random() < 0.35) else []
        scores = sorted((rng.uniform(0.35, 0.92) for _ in related), reverse=True)
        matches = [
            {
                "claim_id": c.id,
                "score": round(s, 4),
                "matched_text": rng.choice(c.myths[language]),
                "confident": s >= core.settings.confident_threshold,
            }
            for c, s in zip(related, scores, strict=True)
        ]
        sentences = rng.sample(FILLER[language], rng.randint(2, 5))
        if related:
            sentences.insert(rng.randint(0, len(sentences)), rng.choice(related[0].myths[language]))
        text = f"{' '.join(sentences)} (#{i})"
        title = f"{rng.choice(TOWNS)}: {sentences[0][:70]}" if source.startswith("http") else ""
        published = now - dt.timedelta(seconds=rng.randint(0, 8 * 7 * 24 * 3600))
        status = rng.choices(statuses, weights)[0] if flagged else "new"
        decided = status != "new"
        guid = f"{source}#{i}" if source.startswith("http") else f"post-{i}"
        rows.append(
            {
                "source": source,
                "guid": guid,
                "link": f"{source.rsplit('/', 1)[0]}/artikel/{i}" if source.startswith("http") else None,
                "title": title,
                "text": text,
                "content_hash": hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
                "language": language,
                "published": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "fetched_at": published + dt.timedelta(minutes=rng.randint(2, 180)),
                "myth_probability": round(probability, 4),
                "flagged": flagged,
                "matches": matches,
                "draft": draft(related[0], language) if flagged and related else None,
                "top_claim": matches[0]["claim_id"] if matches else None,
                "priority": priority(probability, scores[0] if scores else None),
                "status": status,
                "dismiss_reason": rng.choice(("not_a_myth", "not_relevant", "duplicate"))
                if status == "dismissed"
                else None,
                "decided_by": "comms" if decided else None,
                "decided_at": published + dt.timedelta(hours=rng.randint(1, 48)) if decided else None,
            }
        )
    return rows


def import_create_app() -> Callable[..., Any]:
    """The web UI's app factory. This file is itself named webui.py, and its folder (sys.path[0] when
    run as a script) would shadow the webui package: drop that folder from the path first."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    create_app: Callable[..., Any] = importlib.import_module("webui").create_app
    return create_app


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=50_000, help="Stored items (default 50000).")
    parser.add_argument("--requests", type=int, default=50, help="Timed requests per page type.")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/bench.db")
        store = Store(settings.effective_database_url)
        core = Factsandwich(settings, store=store)

        start = time.perf_counter()
        _ = core.classifier  # loads the encoder; trains once in this fresh data dir
        threshold = core.flag_threshold
        model_seconds = time.perf_counter() - start

        start = time.perf_counter()
        rows = synthetic_rows(core, args.items, threshold, rng)
        for offset in range(0, len(rows), CHUNK):
            store.add_items(rows[offset : offset + CHUNK])
        insert_seconds = time.perf_counter() - start
        with store.session() as session:
            flagged_ids = list(session.scalars(select(ItemRow.id).where(ItemRow.flagged.is_(True))))
        flagged = len(flagged_ids)
        assert store.count_items() == args.items
        claim_ids = [c.id for c in core.claims]
        del rows

        add_user(store, "comms", ["comms"], PASSWORD, "en")
        app = import_create_app()(
            {"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}, core=core
        )
        client = app.test_client()
        login = client.post("/login", data={"name": "comms", "password": PASSWORD})
        if login.status_code != 302:
            raise SystemExit(f"login failed: {login.status_code}")

        queue_pages = max(1, -(-flagged // PER_PAGE))
        deep_page = min(DEEP_PAGE, queue_pages)  # the last page when there are fewer
        pages: dict[str, Callable[[], str]] = {
            "triage": lambda: "/triage",
            "triage_filtered": lambda: (
                f"/triage?status=&claim={rng.choice(claim_ids)}&language={rng.choice(('de', 'en'))}"
            ),
            "triage_deep": lambda: f"/triage?status=&page={deep_page}",
            "item": lambda: f"/items/{rng.choice(flagged_ids)}",
        }

        def timed_get(url: str) -> float:
            begin = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - begin) * 1000
            if response.status_code != 200:
                raise SystemExit(f"GET {url}: {response.status_code}")
            if url.startswith("/triage") and b"item-link" not in response.data:
                raise SystemExit(f"GET {url}: no items on the page")
            return elapsed

        start = time.perf_counter()
        for _ in range(3):  # warm-up: first requests load templates, claims and the classifier
            for page in pages.values():
                timed_get(page())
        warmup_seconds = time.perf_counter() - start

        times: dict[str, list[float]] = {name: [] for name in pages}
        for _ in range(args.requests):
            for name, page in pages.items():  # interleaved, so no page type gets a warmer cache
                times[name].append(timed_get(page()))
        db_mb = (Path(tmp) / "bench.db").stat().st_size / 1e6

    print(
        f"{args.items} items ({flagged} flagged, {queue_pages} queue pages of status=all), "
        f"SQLite {db_mb:.0f} MB; setup: models {model_seconds:.1f} s, insert {insert_seconds:.1f} s, "
        f"warm-up {warmup_seconds:.1f} s (excluded)",
        file=sys.stderr,
    )
    print(
        f"server time = wall time of client.get in-process (Flask test client, no network), "
        f"{args.requests} requests per page, interleaved; target: median < {TARGET_MS:.0f} ms",
        file=sys.stderr,
    )
    labels = {
        "triage": "triage queue, first page",
        "triage_filtered": "triage queue, claim + language filter",
        "triage_deep": f"triage queue, page {deep_page} of status=all",
        "item": "item page (random flagged item)",
    }
    result: dict[str, Any] = {
        "items": args.items,
        "flagged": flagged,
        "requests": args.requests,
        "deep_page": deep_page,
    }
    for name, values in times.items():
        median, p90 = statistics.median(values), percentile(values, 0.9)
        verdict = "under" if median < TARGET_MS else "OVER"
        print(
            f"  {labels[name]:<40} median {median:7.1f} ms  p90 {p90:7.1f} ms  "
            f"({verdict} {TARGET_MS:.0f} ms)",
            file=sys.stderr,
        )
        result[f"{name}_median_ms"] = round(median, 1)
        result[f"{name}_p90_ms"] = round(p90, 1)
    result["target_met"] = all(statistics.median(v) < TARGET_MS for v in times.values())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
