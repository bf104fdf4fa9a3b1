"""Scan throughput (whole pipeline) against the encoders' raw encode rate, same texts, same run.

Sources: the real-world feeds in ../shared/datasets/realworld_feeds_fastfeedparser/ when present
(else the demo feeds), scanned into a fresh SQLite store. The raw rate encodes exactly the texts the
scan embeds, with the same encoders and no cache. Models, the claim index and the classifier are
loaded (or trained) before timing. With --fact-checks FILE that collection is imported first (not
timed), so the scan also searches it, and the raw rate includes its retriever's encoding of the
same texts. Last line: JSON with items_per_s, raw_encode_per_s and ratio.

    python bench/throughput.py [--encoder fusion|use|minilm] [--limit N] [--fact-checks FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from factsandwich.config import PROJECT_ROOT, Settings
from factsandwich.embed import CachedEncoder, Encoder, FusionEncoder
from factsandwich.pipeline import Factsandwich, ScanSummary, embed_text
from factsandwich.social import for_models
from factsandwich.storage import Store

REALWORLD = PROJECT_ROOT.parent / "shared" / "datasets" / "realworld_feeds_fastfeedparser" / "benchmark_data"


def raw_components(encoder: Encoder) -> list[Encoder]:
    """The uncached model encoders behind the configured encoder."""
    parts = [enc for enc, _ in encoder.parts] if isinstance(encoder, FusionEncoder) else [encoder]
    return [p.inner if isinstance(p, CachedEncoder) else p for p in parts]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--encoder", default="fusion", choices=["fusion", "use", "minilm"])
    parser.add_argument("--limit", type=int, default=0, help="Use only the first N feed files.")
    parser.add_argument("--fact-checks", type=Path, help="Import this fact-check collection first.")
    args = parser.parse_args()
    if REALWORLD.is_dir():
        files = sorted(str(p) for p in REALWORLD.iterdir() if p.is_file())
        corpus = "realworld_feeds_fastfeedparser"
    else:
        print(f"note: {REALWORLD} is absent; measuring on the demo feeds instead", file=sys.stderr)
        files = sorted(str(p) for p in (PROJECT_ROOT / "demo" / "feeds").iterdir())
        corpus = "demo"
    files = files[: args.limit] if args.limit else files

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            data_dir=Path(tmp), encoder=args.encoder, database_url=f"sqlite:///{tmp}/bench.db"
        )
        warm = Factsandwich(settings)  # memory cache: builds index and classifier, loads the models
        _ = warm.matcher, warm.classifier
        summary = ScanSummary()
        items = warm.select_new(warm.read(files, summary)[0], summary)
        texts = [for_models(embed_text(i)) for i in items]  # what the scan embeds

        app = Factsandwich(settings, store=Store(settings.effective_database_url))
        components = raw_components(warm.encoder)
        if args.fact_checks:
            read, _, _ = app.import_fact_checks(args.fact_checks, "bench")
            search = app.fact_check_search
            assert search is not None
            components += raw_components(search.encoder)
            print(f"imported {len(read.fact_checks)} fact-checks", file=sys.stderr)

        raw_seconds = 0.0
        for component in components:
            component.encode(texts[:8])  # warm-up
            start = time.perf_counter()
            component.encode(texts)
            raw_seconds += time.perf_counter() - start
        raw_rate = len(texts) / raw_seconds

        start = time.perf_counter()
        scan_summary = ScanSummary()
        processed = sum(1 for _ in app.scan(files, summary=scan_summary))
        scan_seconds = time.perf_counter() - start

    rate = processed / scan_seconds
    print(
        f"{corpus}: {len(files)} feeds ({len(scan_summary.failed)} failed), {processed} items; "
        f"scan {scan_seconds:.1f} s = {rate:.1f} items/s; raw encode of the same "
        f"{len(texts)} texts {raw_seconds:.1f} s = {raw_rate:.1f} texts/s; ratio {rate / raw_rate:.2f}",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "encoder": app.encoder.name,
                "fact_checks": app.fact_check_search.size if app.fact_check_search else 0,
                "corpus": corpus,
                "items": processed,
                "items_per_s": round(rate, 2),
                "raw_encode_per_s": round(raw_rate, 2),
                "ratio": round(rate / raw_rate, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
