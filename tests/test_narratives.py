"""Narratives and emerging myths over the store (issue 14): the incremental update, answer once, split,
merge, bulk dismiss, repeat and the export, on SQLite and PostgreSQL. The encoder is the fake
bag-of-words one (these tests are about storage and the update's rules, not about embeddings; the
end-to-end tests in test_narratives_cli.py use the real encoder)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeEncoder, _empty_postgres
from sqlalchemy import select

from factsandwich import narratives
from factsandwich.embed import CachedEncoder, MemoryCache
from factsandwich.errors import EditConflict, NotFound, ReviewError
from factsandwich.storage import Store
from factsandwich.storage import narratives as stored
from factsandwich.storage.tables import ItemRow, NarrativeItemRow, ResponseRow

NOW = dt.datetime(2026, 12, 1, 12, 0)
JOBS = [
    {"claim_id": "jobs-taken", "score": 0.9, "confidence": 0.9, "matched_text": "jobs", "confident": True}
]
UNSURE = [
    {"claim_id": "jobs-taken", "score": 0.4, "confidence": 0.2, "matched_text": "jobs", "confident": False}
]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = _empty_postgres() if request.param == "postgresql" else f"sqlite:///{tmp_path / 'n.db'}"
    db = Store(url)
    yield db
    db.engine.dispose()


@pytest.fixture
def encoder() -> CachedEncoder:
    return CachedEncoder(FakeEncoder(), MemoryCache())


_counter = iter(range(1, 10**6))


def add(
    store: Store,
    text: str,
    matches: list[dict[str, Any]] | None = None,
    *,
    hours: float = 0,
    source: str = "https://feeds.example/a.xml",
    language: str = "en",
    flagged: bool = True,
) -> int:
    n = next(_counter)
    guid = f"guid-{n}"
    store.store_items(
        [
            {
                "source": source,
                "guid": guid,
                "link": f"https://posts.example/{n}",
                "title": "",
                "text": text,
                "content_hash": hashlib.sha256(f"{n}\n{text}".encode()).hexdigest(),
                "language": language,
                "published": None,
                "published_at": NOW - dt.timedelta(hours=hours),
                "myth_probability": 0.95,
                "flagged": flagged,
                "matches": matches or [],
                "draft": None,
                "top_claim": (matches or [{}])[0].get("claim_id"),
                "priority": 0.9,
            }
        ]
    )
    with store.session() as session:
        return int(session.scalar(select(ItemRow.id).where(ItemRow.guid == guid)) or 0)


def status_of(store: Store, item_id: int) -> str:
    item = store.get_item(item_id)
    assert item is not None
    return item.status


def approved_response(
    store: Store, item_id: int, text: str = "The fact. A myth follows. The fact again."
) -> int:
    with store.session() as session:
        row = ResponseRow(
            item_id=item_id,
            claim_id="jobs-taken",
            language="en",
            channel="short",
            tone="factual",
            status="approved",
            parts={"fact": text},
            text=text,
            version=1,
            approved_by="spokesperson",
            approved_at=NOW,
        )
        session.add(row)
        session.flush()
        return int(row.id)


COPY = "They take our jobs and the council does nothing about it, share this before it is deleted"
OTHER = "Migrants working in the hospital are taking away places from local nurses in our town"
RUMOUR = "The new allowance for refugees pays for driving lessons while pensioners get nothing at all"


def test_flagged_items_join_narratives_incrementally_and_once(store: Store, encoder: CachedEncoder) -> None:
    first = add(store, COPY, JOBS, hours=30)
    copy = add(store, "RT @someone: " + COPY + " #truth https://t.co/x", JOBS, hours=5)
    other = add(store, OTHER, JOBS, hours=4)
    add(store, "Not flagged at all", JOBS, flagged=False)
    summary = narratives.update_narratives(store, encoder, now=NOW)
    assert (summary.taken, summary.opened, summary.joined) == (3, 2, 1)
    views = narratives.list_narratives(store, today=NOW.date())
    assert [v.info.size for v in views] == [2, 1]
    assert set(views[0].info.item_ids) == {first, copy} and views[1].info.item_ids == (other,)
    assert views[0].info.claim_id == "jobs-taken" and sum(views[0].series) == 2
    assert views[0].to_dict()["guids"] and views[0].to_dict()["count"] == 2
    # nothing new: nothing done; a new copy joins the stored narrative without a rebuild
    assert narratives.update_narratives(store, encoder, now=NOW).taken == 0
    late = add(store, COPY + " !!!", JOBS, hours=1)
    summary = narratives.update_narratives(store, encoder, now=NOW)
    assert (summary.taken, summary.joined, summary.opened) == (1, 1, 0)
    assert stored.narrative_of_item(store, late) == views[0].info.id
    assert narratives.list_narratives(store, language="de") == []
    assert len(narratives.list_narratives(store, since=(NOW - dt.timedelta(hours=2)).date())) == 2


def test_unconfident_items_form_emerging_myths_with_keywords(store: Store, encoder: CachedEncoder) -> None:
    ids = [add(store, f"{RUMOUR} {tail}", UNSURE if i % 2 else [], hours=i) for i, tail in enumerate("abcd")]
    add(store, "Something entirely different about the weather and football", [], hours=2)
    summary = narratives.update_narratives(store, encoder, now=NOW)
    assert summary.emerging == 5 and summary.rebuilt and summary.opened == 0
    clusters = narratives.emerging(store)
    assert len(clusters) == 1 and set(clusters[0].info.item_ids) == set(ids)
    assert clusters[0].info.typical and "allowance" in clusters[0].info.keywords
    draft = narratives.pair_draft(clusters[0])
    assert RUMOUR in draft["myths_en"] and draft["myths_de"] == "" and "fact_en" not in draft
    # a new post of the same rumour joins the cluster, without a rebuild
    late = add(store, RUMOUR + " e", [], hours=0)
    summary = narratives.update_narratives(store, encoder, now=NOW)
    assert summary.clustered == 1 and not summary.rebuilt
    assert late in narratives.emerging(store)[0].info.item_ids


def test_a_large_window_is_rebuilt_at_most_every_quarter_hour(
    store: Store, encoder: CachedEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above SMALL_WINDOW window items a rebuild waits REBUILD_EVERY after the last one (here the
    small window is 2 items, so the first rebuild's 5 items count as large; below it, three waiting
    posts are enough, as in the test above)."""
    monkeypatch.setattr(narratives, "SMALL_WINDOW", 2)
    for i, tail in enumerate("abcd"):
        add(store, f"{RUMOUR} {tail}", [], hours=i)
    add(store, "Something entirely different about the weather and football", [], hours=2)
    assert narratives.update_narratives(store, encoder, now=NOW).rebuilt
    other = "The new bridge toll is charged twice to every driver from the east side"
    waiting = [add(store, f"{other} {tail}", [], hours=0) for tail in ("x", "y", "z")]
    soon = narratives.update_narratives(store, encoder, now=NOW + dt.timedelta(minutes=5))
    assert soon.emerging == 3 and not soon.rebuilt
    assert not any(set(waiting) <= set(c.info.item_ids) for c in narratives.emerging(store))
    # nothing new, but the quarter hour is over: the waiting posts get their cluster
    later = narratives.update_narratives(store, encoder, now=NOW + dt.timedelta(minutes=16))
    assert later.taken == 0 and later.rebuilt
    assert any(set(waiting) <= set(c.info.item_ids) for c in narratives.emerging(store))


def test_answer_once_answers_every_open_post_and_the_new_ones(store: Store, encoder: CachedEncoder) -> None:
    a = add(store, COPY, JOBS, hours=3)
    b = add(store, COPY + " now", JOBS, hours=2)
    narratives.update_narratives(store, encoder, now=NOW)
    narrative = narratives.list_narratives(store)[0].info
    response = approved_response(store, a)
    with store.session() as session:  # the first post was answered by hand
        item = session.get(ItemRow, a)
        assert item is not None
        item.status = "handled"
    assert narratives.answer_once(store, narrative.id, response, "comms", "t1") == 1
    assert narratives.answer_once(store, narrative.id, response, "comms", "t1") is None  # double click
    assert status_of(store, b) == "handled"
    c = add(store, COPY + " again", JOBS, hours=1)
    assert narratives.update_narratives(store, encoder, now=NOW).answered == 1
    assert status_of(store, c) == "handled"
    entries, best = narratives.repeat(store, "jobs-taken")
    assert best is not None and best.posted == 3 and len(entries) == 1
    with pytest.raises(ReviewError):
        narratives.answer_once(store, narrative.id, 999_999, "comms", "t2")
    record = narratives.export_record(
        narratives.get_narrative(store, narrative.id), store_response(store, response)
    )
    assert record["approved_response"]["text"].startswith("The fact")
    csv_text = narratives.export_csv([record])
    assert csv_text.splitlines()[0].startswith("id,claim_id,myth,count")


def store_response(store: Store, response_id: int) -> Any:
    from factsandwich.storage.office import get_response

    return get_response(store, response_id)


def test_split_merge_and_bulk_dismiss(store: Store, encoder: CachedEncoder) -> None:
    ids = [add(store, COPY + f" {tail}", JOBS, hours=5 - i) for i, tail in enumerate(["x", "y", "z"])]
    narratives.update_narratives(store, encoder, now=NOW)
    info = narratives.list_narratives(store)[0].info
    assert info.size == 3
    new_id = narratives.split(store, encoder, info.id, [ids[2]], "comms", "s1", expected_version=info.version)
    assert new_id is not None
    sizes = sorted(v.info.size for v in narratives.list_narratives(store))
    assert sizes == [1, 2]
    with pytest.raises(EditConflict):
        narratives.split(store, encoder, info.id, [ids[1]], "comms", "s2", expected_version=info.version)
    with pytest.raises(ReviewError):
        narratives.split(store, encoder, info.id, list(ids[:2]), "comms", "s3")
    assert narratives.merge(store, encoder, info.id, new_id, "comms", "m1")
    merged = narratives.list_narratives(store)
    assert len(merged) == 1 and set(merged[0].info.item_ids) == set(ids)
    with pytest.raises(NotFound):
        narratives.merge(store, encoder, info.id, new_id, "comms", "m2")
    assert narratives.dismiss(store, info.id, "not_a_myth", "comms", "d1") == 3
    assert narratives.dismiss(store, info.id, "not_a_myth", "comms", "d1") == 0
    assert {status_of(store, i) for i in ids} == {"dismissed"}
    actions = [e.action for e in store.audit_entries()] if hasattr(store, "audit_entries") else []
    assert not actions or "narrative.split" in actions


def test_two_updates_at_once_put_each_item_in_one_narrative(store: Store) -> None:
    for i in range(40):
        add(store, f"{COPY} variant {i % 4}", JOBS, hours=i)
        add(store, f"{RUMOUR} {i}", [], hours=i)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            narratives.update_narratives(store, CachedEncoder(FakeEncoder(), MemoryCache()), now=NOW)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with store.session() as session:
        members = session.scalars(select(NarrativeItemRow.item_id)).all()
    assert len(members) == len(set(members)) == 40
    total = sum(v.info.size for v in narratives.list_narratives(store))
    assert total == 40


def test_alert_deliveries_and_api_tokens_are_taken_once(store: Store) -> None:
    first = stored.claim_delivery(store, "a-1", "surge", "jobs-taken", "Surge", "email", "x@example.org")
    assert first is not None
    assert (
        stored.claim_delivery(store, "a-1", "surge", "jobs-taken", "Surge", "email", "x@example.org") is None
    )
    stored.record_delivery(store, first, False, "", "connection refused")
    again = stored.claim_delivery(store, "a-1", "surge", "jobs-taken", "Surge", "email", "x@example.org")
    assert again == first  # a failed delivery is retried, once
    assert (
        stored.claim_delivery(store, "a-1", "surge", "jobs-taken", "Surge", "email", "x@example.org") is None
    )
    stored.record_delivery(store, first, True, "250", "")
    assert [e.ok for e in stored.alert_log(store)] == [True]
    assert stored.add_api_token(store, "partner", "h" * 64, "admin")
    assert not stored.add_api_token(store, "partner", "g" * 64, "admin")
    window = dt.timedelta(minutes=1)
    assert stored.use_api_token(store, "h" * 64, NOW, window, 2) == ("partner", 1)
    assert stored.use_api_token(store, "h" * 64, NOW, window, 2) == ("partner", 2)
    assert stored.use_api_token(store, "h" * 64, NOW + window, window, 2) == ("partner", 1)
    assert stored.revoke_api_token(store, "partner", "admin")
    assert stored.use_api_token(store, "h" * 64, NOW, window, 2) is None
