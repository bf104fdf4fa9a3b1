"""The scan pipeline and the store, with the fake encoder (the real one is in test_cli_e2e.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import BOTH_DATABASES, DEMO

import factsandwich.pipeline as pipeline
from factsandwich.pipeline import Factsandwich, ScanSummary
from factsandwich.storage import Store

RECORD_KEYS = {
    "source",
    "guid",
    "title",
    "link",
    "published",
    "language",
    "text",
    "myth_probability",
    "flagged",
    "matches",
    "draft",
    "fact_checks",
}


def _demo_sources() -> list[str]:
    return [str(DEMO / "feeds"), str(DEMO / "posts.jsonl")]


@BOTH_DATABASES
def test_scan_stores_each_item_once_and_rerun_skips_all(fake_app: Factsandwich) -> None:
    summary = ScanSummary()
    records = list(fake_app.scan(_demo_sources(), summary=summary))
    assert summary.processed == len(records) == summary.items_read - summary.skipped_duplicate
    assert summary.failed == [] and summary.sources == 5
    assert fake_app.store is not None and fake_app.store.count_items() == len(records)
    for record in records:
        data = record.to_dict()
        assert set(data) == RECORD_KEYS
        assert 0.0 <= data["myth_probability"] <= 1.0
        assert (data["draft"] is not None) <= data["flagged"]
        json.dumps(data)  # serialisable

    again = ScanSummary()
    assert list(fake_app.scan(_demo_sources(), summary=again)) == []
    assert again.skipped_stored == len(records)
    assert fake_app.store.count_items() == len(records)


@BOTH_DATABASES
def test_crash_mid_scan_leaves_whole_items_and_rerun_completes(
    fake_app: Factsandwich, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 10)
    real_analyse = fake_app.analyse
    calls = {"n": 0}

    def crashing(texts, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # like Ctrl-C or a kill between two batches
        return real_analyse(texts, **kwargs)

    monkeypatch.setattr(fake_app, "analyse", crashing)
    with pytest.raises(KeyboardInterrupt):
        list(fake_app.scan(_demo_sources()))
    assert fake_app.store is not None
    assert fake_app.store.count_items() == 20  # two complete batches, nothing of the third

    monkeypatch.setattr(fake_app, "analyse", real_analyse)
    summary = ScanSummary()
    list(fake_app.scan(_demo_sources(), summary=summary))
    assert summary.skipped_stored == 20
    rows = fake_app.store.list_items()
    assert len(rows) == 20 + summary.processed
    assert len({(r.source, r.guid) for r in rows}) == len(rows)  # no duplicates
    assert all(r.text and r.matches is not None for r in rows)


@BOTH_DATABASES
def test_empty_and_duplicate_items_are_skipped_and_counted(fake_app: Factsandwich, tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"id": "1", "text": "Die Feuerwehr übt am Samstag."}\n'
        '{"id": "2", "text": "   "}\n'
        '{"id": "3", "text": "die feuerwehr  übt am Samstag."}\n'
        '{"id": "4", "text": "Der Markt ist am Montag geschlossen."}\n',
        encoding="utf-8",
    )
    summary = ScanSummary()
    records = list(fake_app.scan([str(posts)], summary=summary))
    assert [r.item.guid for r in records] == ["1", "4"]
    assert (summary.skipped_empty, summary.skipped_duplicate) == (1, 1)


@BOTH_DATABASES
def test_broken_source_is_reported_and_the_rest_processed(fake_app: Factsandwich, tmp_path: Path) -> None:
    broken = tmp_path / "broken.rss"
    broken.write_text("<rss><channel><item><title>unterbrochen", encoding="utf-8")
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"\x00\xff\xfe not a feed at all")
    summary = ScanSummary()
    records = list(
        fake_app.scan([str(garbage), str(DEMO / "feeds" / "riverside-gazette.rss")], summary=summary)
    )
    assert len(records) == 10
    assert [s for s, _ in summary.failed] == [str(garbage)]


def test_no_store_run_writes_no_database(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conftest import FakeEncoder

    app = Factsandwich(settings, store=None, encoder=FakeEncoder())
    records = list(app.scan([str(DEMO / "posts.jsonl")]))
    assert len(records) == 12
    assert not (tmp_path / "test.db").exists()


@BOTH_DATABASES
def test_embedding_cache_in_store_means_rescan_encodes_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    from conftest import FakeEncoder

    from factsandwich.embed import CachedEncoder

    store = Store(settings.effective_database_url)
    counting = CachedEncoder(FakeEncoder(), store)
    app = Factsandwich(settings, store=store, encoder=counting)
    texts = ["Die Feuerwehr übt am Samstag.", "Refugees get more than pensioners."]
    app.analyse(texts)
    before = counting.encoded_count
    fresh = Factsandwich(settings, store=store, encoder=CachedEncoder(FakeEncoder(), store))
    fresh.analyse(texts)
    assert before > 0
    assert isinstance(fresh.encoder, CachedEncoder) and fresh.encoder.encoded_count == 0


@BOTH_DATABASES
def test_feed_state_records_validators_and_errors(settings) -> None:  # type: ignore[no-untyped-def]
    store = Store(settings.effective_database_url)
    store.record_feed_success("http://x/feed", '"e1"', "Mon, 23 Nov 2026 10:00:00 GMT")
    store.record_feed_error("http://x/feed", "HTTP 500")
    state = store.get_feed_state("http://x/feed")
    assert state is not None and state.etag == '"e1"'
    store.record_feed_success("http://x/feed", None, None)
    assert store.get_feed_state("http://x/feed") == state  # validators kept on a 304
