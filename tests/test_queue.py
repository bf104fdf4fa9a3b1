"""The triage queue (issue 13): full-text search on SQLite (FTS5) and PostgreSQL (tsvector + GIN),
hostile search input, the order a town would choose (local places and recency), assignment and
"my queue", notes on items and in-app notifications. Storage-level: no models are needed, so the
`settings` fixture here is conftest's without the fake models."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from conftest import BOTH_DATABASES, DEMO, _empty_postgres
from sqlalchemy import event, insert, select, update

from factsandwich import notifications, triage
from factsandwich.config import Settings
from factsandwich.dates import utcnow
from factsandwich.errors import NotFound, ReviewError
from factsandwich.storage import MIGRATIONS, Store
from factsandwich.storage.queue import RECENCY_DAYS, queue_rank
from factsandwich.storage.tables import AuditRow, ItemRow, ResponseRow, UserRow
from factsandwich.storage.values import Item, User

NOW = dt.datetime(2026, 11, 28, 12, 0)
_serial = itertools.count()


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    kind = getattr(request, "param", "sqlite")
    url = _empty_postgres() if kind == "postgresql" else f"sqlite:///{tmp_path / 'test.db'}"
    return Settings(data_dir=tmp_path / "data", database_url=url)


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store(settings.effective_database_url)


def item_row(
    text: str, *, title: str = "", priority: float = 0.5, age_days: float = 1.0, **extra: Any
) -> dict[str, Any]:
    """A flagged item's row as the pipeline writes it, published `age_days` before NOW and first seen
    at NOW (unless `extra` says otherwise)."""
    n = next(_serial)
    published = NOW - dt.timedelta(days=age_days)
    row: dict[str, Any] = {
        "source": "https://feeds.example/queue.xml",
        "guid": f"q-{n}",
        "link": None,
        "title": title,
        "text": text,
        "content_hash": hashlib.sha256(f"queue {n} {text}".encode()).hexdigest(),
        "language": "de",
        "published": published.isoformat() + "Z",
        "published_at": published,
        "fetched_at": NOW,
        "myth_probability": 0.9,
        "flagged": True,
        "matches": [],
        "draft": None,
        "top_claim": None,
        "priority": priority,
    }
    row.update(extra)
    return row


def add(store: Store, text: str, **fields: Any) -> int:
    row = item_row(text, **fields)
    store.add_items([row])
    with store.session() as session:
        return int(session.scalar(select(ItemRow.id).where(ItemRow.guid == row["guid"])) or 0)


def stored_as_before_0009(store: Store, row: dict[str, Any]) -> int:
    """The item inserted as the revisions before 0009 stored it: without a queue_rank."""
    with store.engine.begin() as connection:
        return int(connection.execute(insert(ItemRow).values(**row).returning(ItemRow.id)).scalar_one())


def migrate_to(store: Store, step: Callable[[Config, str], None], revision: str) -> None:
    """`step` (alembic.command.upgrade or downgrade) to `revision`, on the store's database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def queue_ids(store: Store, **filters: Any) -> list[int]:
    items, total = triage.triage_queue(store, triage.QueueFilter(**filters), per_page=100)
    assert total == len(items)
    return [item.id for item in items]


def found(store: Store, q: str, **filters: Any) -> set[int]:
    return set(queue_ids(store, q=q, **filters))


def person(store: Store, name: str, roles: str, disabled: bool = False) -> User:
    with store.session() as session:
        row = UserRow(name=name, password_hash="x", roles=roles, language="de")
        row.disabled_at = NOW if disabled else None
        session.add(row)
        session.flush()
        return User(row.id, name, frozenset(roles.split(",")), "de")


def response(store: Store, item_id: int, text: str, status: str) -> int:
    with store.session() as session:
        row = ResponseRow(
            item_id=item_id, claim_id="c", language="de", channel="short", tone="factual", parts={}, text=text
        )
        row.status = status
        session.add(row)
        session.flush()
        return row.id


# -- full-text search ---------------------------------------------------------------------------


@BOTH_DATABASES
def test_search_finds_items_holding_every_word(store: Store) -> None:
    gym = add(store, "Die Turnhalle in der Lindenstraße wird für Geflüchtete gesperrt!", title="Forum")
    hotel = add(store, "80 Männer ziehen ins alte Hotel, sagt man.", title="Turnhalle bleibt offen")
    other = add(store, "Wochenmarkt am Samstag wie immer.")
    assert found(store, "turnhalle") == {gym, hotel}  # title and text, any case
    assert found(store, "Turnhalle gesperrt") == {gym}  # every word
    assert found(store, "Geflüchtete") == {gym}  # umlauts
    assert found(store, "Schwimmbad") == set()
    assert other in found(store, "")  # no search: the whole queue
    assert found(store, "turnhalle", status="dismissed") == set()  # combined with the other filters


@BOTH_DATABASES
def test_hostile_search_input_never_breaks_the_query(store: Store) -> None:
    gym = add(store, 'Die "Turnhalle" NEAR dem Bahnhof - gesperrt* (sagt man)')
    for query in (
        '"',
        "*",
        "NEAR(",
        "-",
        "(",
        ")",
        "'",
        "\\",
        "%",
        "_",
        ":",
        "^",
        "AND",
        "OR NOT",
        "a:b",
        "{}",
    ):
        found(store, query)  # no error, whatever it finds
    assert found(store, '"Turnhalle') == {gym}
    assert found(store, "NEAR(Turnhalle") == {gym}
    assert found(store, "-gesperrt") == {gym}  # not a NOT
    assert found(store, "gesperrt*") == {gym}
    assert found(store, "Turnhalle OR Schwimmbad") == set()  # OR is a word here, not an operator
    assert found(store, "Turnhalle' ; DROP TABLE items; --") == set()
    assert found(store, "Turnhalle") == {gym}  # the table is still there
    assert found(store, " ".join(["Turnhalle"] * 45)) == {gym}  # many words: the first 32 count
    with pytest.raises(ReviewError, match="longer than 500"):
        found(store, "x" * 501)
    assert triage.search_words('"*NEAR(-') == ["NEAR"]
    assert triage.search_words("-") == []


@BOTH_DATABASES
def test_search_follows_edits_and_deletions(store: Store) -> None:
    item_id = add(store, "Gerücht über die Turnhalle")
    with store.session() as session:
        session.execute(update(ItemRow).where(ItemRow.id == item_id).values(text="Gerücht über das Freibad"))
    assert found(store, "Freibad") == {item_id}
    assert found(store, "Turnhalle") == set()
    with store.session() as session:
        session.delete(session.get(ItemRow, item_id))
    assert found(store, "Freibad") == set()


@BOTH_DATABASES
def test_migration_0007_indexes_existing_items_and_downgrades(store: Store) -> None:
    migrate_to(store, command.downgrade, "0006")
    old = stored_as_before_0009(store, item_row("Ein Beitrag von vor der Suche über die Turnhalle"))
    migrate_to(store, command.upgrade, "head")
    assert found(store, "Turnhalle") == {old}


# -- the order a town would choose ---------------------------------------------------------------


def test_priority_counts_local_places() -> None:
    assert triage.priority(0.9, 0.8) == pytest.approx(0.86)
    assert triage.priority(0.9, 0.8, local=True) == pytest.approx(1.36)
    assert triage.priority(0.7, 0.5, local=True) > triage.priority(1.0, 1.0)
    places = ("Musterstadt", "Lindenstraße", "Wharf Street")
    assert triage.places_in("Heute in #Musterstadt: die LINDENSTRASSE gesperrt", places) == ["Musterstadt"]
    assert triage.places_in("Alarm in der Lindenstraße!", places) == ["Lindenstraße"]
    assert triage.places_in("#WharfStreet mosque", places) == ["Wharf Street"]  # a hashtag of two words
    assert triage.places_in("Musterstädter Anzeiger, Musterstadtring", places) == []  # whole words only
    assert triage.places_in("nothing local", ()) == []


@BOTH_DATABASES
def test_queue_orders_by_priority_decayed_with_age(store: Store) -> None:
    old_national = [
        add(store, f"Tweet von 2016 Nr. {i}", priority=0.95, age_days=3650 + i) for i in range(30)
    ]
    week_old = add(store, "Eine Woche alt, sehr sicher", priority=0.98, age_days=7)
    fresh_local = add(
        store, "Gerücht in Musterstadt", priority=triage.priority(0.7, 0.4, local=True), age_days=0.2
    )
    fresh = add(store, "Heute, national", priority=triage.priority(0.7, 0.4), age_days=0.2)
    future = add(store, "Falsches Datum in der Zukunft", priority=0.3, age_days=-5)  # counts as first seen
    items, total = triage.triage_queue(store, triage.QueueFilter(), per_page=25)
    order = [item.id for item in items]
    assert total == 34
    assert order[:3] == [fresh_local, fresh, future]
    assert order.index(week_old) < min(order.index(i) for i in old_national if i in order)
    assert old_national[0] in order  # the newest of the old ones on page 1, the oldest not
    assert old_national[-1] not in order


def urgency(item: Item, now: dt.datetime) -> float:
    """The decayed urgency the queue's order stands for: priority x 2^(-age / RECENCY_DAYS), the age
    from the publication, never later than when the item was first seen."""
    moment = min(item.published_at, item.fetched_at) if item.published_at else item.fetched_at
    age_days = (now - moment).total_seconds() / 86400
    return item.priority * 2 ** (-age_days / RECENCY_DAYS)


@BOTH_DATABASES
def test_stored_order_is_the_decayed_urgency_order_at_any_moment(store: Store) -> None:
    rng = random.Random(13)
    for i in range(40):
        age = rng.uniform(-3, 30)  # some dated in the future
        seen = NOW - dt.timedelta(days=max(age, 0) - rng.uniform(0, 0.5))
        extra = {"published_at": None, "published": None} if i % 7 == 0 else {}
        add(store, f"Gerücht {i}", priority=rng.uniform(0.05, 1.5), age_days=age, fetched_at=seen, **extra)
    stored = queue_ids(store, status=None)
    items = {item.id: item for item in store.list_items(flagged=True)}
    for now in (NOW, NOW + dt.timedelta(days=20)):
        assert stored == sorted(items, key=lambda i: (-urgency(items[i], now), -i))


@BOTH_DATABASES
def test_a_future_dated_post_does_not_outrank_a_fresh_one_a_day_later(store: Store) -> None:
    future = add(store, "Datum in einem Monat", priority=0.6, age_days=-30, fetched_at=NOW)
    tomorrow = NOW + dt.timedelta(days=1)
    fresh = add(store, "Neu am nächsten Tag", priority=0.6, age_days=-1, fetched_at=tomorrow)
    assert queue_ids(store) == [fresh, future]
    assert queue_rank(0.6, NOW + dt.timedelta(days=30), NOW) == queue_rank(0.6, None, NOW)


@BOTH_DATABASES
def test_an_item_stored_without_fetched_at_is_first_seen_now(store: Store) -> None:
    before = utcnow()
    item_id = add(store, "Ohne Zeitpunkt", priority=0.7, age_days=-1, fetched_at=None)
    item = store.get_item(item_id)
    assert item is not None and before <= item.fetched_at <= utcnow()
    with store.session() as session:
        rank = session.scalar(select(ItemRow.queue_rank).where(ItemRow.id == item_id))
    assert rank == pytest.approx(queue_rank(0.7, item.published_at, item.fetched_at), abs=1e-9)


def test_the_whole_queue_and_a_status_are_read_in_order_from_an_index(store: Store) -> None:
    """SQLite's plan of the page query: an index in queue_rank order, no sort of the matching rows."""
    for i in range(30):
        add(store, f"Gerücht {i}", priority=i / 30, status=("new", "dismissed")[i % 2])
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        for status in (None, "new"):
            queue_ids(store, status=status)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert len(statements) == 2
    with store.engine.connect() as connection:
        for statement, parameters in statements:
            plan = " | ".join(
                row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert "ix_items_queue_rank" in plan and "TEMP B-TREE" not in plan, plan


# -- assignment and notes ------------------------------------------------------------------------


@BOTH_DATABASES
def test_assign_an_item_and_my_queue(store: Store) -> None:
    person(store, "anna", "comms")
    person(store, "bert", "comms")
    person(store, "sina", "spokesperson")
    person(store, "gone", "comms", disabled=True)
    mine = add(store, "Gerücht A")
    add(store, "Gerücht B")
    assert triage.assignable_people(store, "item") == ["anna", "bert"]
    assert triage.assign_item(store, mine, "anna", "bert", "t1") is True
    assert triage.assign_item(store, mine, "bert", "bert", "t1") is False  # the same form twice
    assert triage.get_item(store, mine).assigned_to == "anna"  # type: ignore[union-attr]
    items, total = triage.triage_queue(store, triage.QueueFilter(assigned_to="anna"))
    assert (total, [i.id for i in items]) == (1, [mine])
    assert triage.triage_queue(store, triage.QueueFilter(assigned_to="bert"))[1] == 0
    for refused in ("sina", "gone", "nobody-of-the-office"):  # wrong role, disabled, unknown
        with pytest.raises(ReviewError):
            triage.assign_item(store, mine, refused, "bert", f"t-{refused}")
    assert triage.get_item(store, mine).assigned_to == "anna"  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        triage.assign_item(store, 999_999, "anna", "bert", "t2")
    assert triage.assign_item(store, mine, None, "anna", "t3")
    assert triage.get_item(store, mine).assigned_to is None  # type: ignore[union-attr]
    with store.session() as session:
        audit = session.scalars(
            select(AuditRow).where(AuditRow.action == "item.assigned").order_by(AuditRow.id)
        ).all()
        assert [(a.actor, a.before, a.after) for a in audit] == [
            ("bert", {"assigned_to": None}, {"assigned_to": "anna"}),
            ("anna", {"assigned_to": "anna"}, {"assigned_to": None}),
        ]


@BOTH_DATABASES
def test_assign_a_response_to_a_spokesperson(store: Store) -> None:
    person(store, "sina", "spokesperson")
    person(store, "anna", "comms")
    item_id = add(store, "Gerücht C")
    response_id = response(store, item_id, "t", "draft")
    assert triage.assign_response(store, response_id, "sina", "sina", "r1")
    with pytest.raises(ReviewError):
        triage.assign_response(store, response_id, "anna", "sina", "r2")  # not a spokesperson
    with store.session() as session:
        assert session.get(ResponseRow, response_id).assigned_to == "sina"  # type: ignore[union-attr]


@BOTH_DATABASES
def test_notes_on_an_item(store: Store) -> None:
    item_id = add(store, "Gerücht D")
    first = triage.add_note(store, item_id, "  Rufe die Polizei an  ", "anna", "n1")
    assert first is not None and first.text == "Rufe die Polizei an"
    assert triage.add_note(store, item_id, "doppelt", "anna", "n1") is None  # a double click
    triage.add_note(store, item_id, "Polizei sagt: stimmt nicht.", "bert", "n2")
    notes = triage.item_notes(store, item_id)
    assert [(n.author, n.text) for n in notes] == [
        ("anna", "Rufe die Polizei an"),
        ("bert", "Polizei sagt: stimmt nicht."),
    ]
    assert triage.note_counts(store, [item_id, 999]) == {item_id: 2}
    for bad in ("", "   ", "x" * (triage.MAX_NOTE_CHARS + 1)):
        with pytest.raises(ReviewError):
            triage.add_note(store, item_id, bad, "anna", f"bad-{len(bad)}")
    with pytest.raises(NotFound):
        triage.add_note(store, 999_999, "text", "anna", "n3")
    with store.session() as session:
        audit = session.scalars(select(AuditRow).where(AuditRow.action == "item.note")).all()
        assert [(a.actor, a.after["text"]) for a in audit] == [  # type: ignore[index]
            ("anna", "Rufe die Polizei an"),
            ("bert", "Polizei sagt: stimmt nicht."),
        ]


# -- notifications -------------------------------------------------------------------------------


@BOTH_DATABASES
def test_notifications_of_urgent_items_and_pending_approvals(store: Store) -> None:
    comms = person(store, "anna", "comms")
    speaker = person(store, "sina", "spokesperson")
    urgent = add(store, "Dringend, lokal", priority=1.2)
    add(store, "Nicht dringend", priority=0.3)
    add(store, "Dringend, aber schon erledigt", priority=1.2, status="dismissed")
    seen = notifications.notifications_for(store, comms, NOW)
    assert ([i.id for i in seen.items], seen.approvals, seen.count) == ([urgent], (), 1)
    assert notifications.notifications_for(store, speaker, NOW).count == 0  # items are the comms' business
    response(store, urgent, "t", "in_review")
    response(store, urgent, "d", "draft")
    assert [r.text for r in notifications.notifications_for(store, speaker, NOW).approvals] == ["t"]
    notifications.mark_read(store, comms, NOW)
    assert notifications.notifications_for(store, comms, NOW).count == 0
    assert notifications.notifications_for(store, speaker, NOW).count == 1  # each person's own mark
    later = add(store, "Noch ein dringender", priority=0.9, fetched_at=NOW + dt.timedelta(hours=1))
    assert [i.id for i in notifications.notifications_for(store, comms, NOW).items] == [later]


# -- the demo ------------------------------------------------------------------------------------

# The demo office's area: its towns and the streets and places its posts name (demo/run.sh).
DEMO_PLACES = ("Musterstadt", "Riverside")


@pytest.mark.models
def test_demo_local_rumour_is_on_page_one_before_old_national_tweets(
    real_data_dir: Path, tmp_path: Path
) -> None:
    """The demo scanned with the real models and the demo's places, behind 300 stored national
    tweets from 2016 of high priority: the most urgent local rumour (the newest flagged demo item that
    names a place) is on the queue's first page (it was on page 9)."""
    from factsandwich.pipeline import Factsandwich

    data_dir = tmp_path / "data"
    shutil.copytree(real_data_dir, data_dir)
    settings = Settings(
        data_dir=data_dir, database_url=f"sqlite:///{tmp_path / 'demo.db'}", places=DEMO_PLACES
    )
    core = Factsandwich(settings, store=Store(settings.effective_database_url))
    list(core.scan([str(DEMO / "feeds"), str(DEMO / "posts.jsonl")]))
    store = core.store
    assert isinstance(store, Store)
    for i in range(300):
        add(store, f"National tweet of 2016, number {i}", priority=0.95, age_days=3650 + i / 10)
    local = [
        item
        for item in store.list_items(flagged=True)
        if item.places and item.source != "https://feeds.example/queue.xml"
    ]
    assert local, "the demo scan found no flagged post that names the demo's places"
    rumour = max(local, key=lambda item: (item.published_at or item.fetched_at, item.priority))
    page, _ = triage.triage_queue(store, triage.QueueFilter(), page=1, per_page=25)
    assert rumour.id in [item.id for item in page]


# -- the pages -----------------------------------------------------------------------------------


def test_queue_pages_search_assign_note_and_notify(store: Store, settings: Settings) -> None:
    """Through the web UI (test client, CSRF off): a search with hostile input is a page with a message,
    never a 500; assign to me, my queue, a note (an empty one keeps nothing and says why), the header's
    count and marking it read."""
    from conftest import FakeEncoder

    from factsandwich.accounts import add_user
    from factsandwich.pipeline import Factsandwich
    from webui import create_app

    core = Factsandwich(settings, store=store, encoder=FakeEncoder())
    add_user(store, "anna", ["comms"], "correct horse battery", "en")
    seen = utcnow()  # the header counts the items first seen in the last week before now
    gym = add(store, "Die Turnhalle wird gesperrt", priority=1.2, age_days=0, fetched_at=seen)
    add(store, "Wochenmarkt", priority=0.3, fetched_at=seen)
    app = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}, core=core)
    client = app.test_client()
    assert (
        client.post("/login", data={"name": "anna", "password": "correct horse battery"}).status_code == 302
    )
    page = client.get("/triage?q=Turnhalle").get_data(as_text=True)
    assert "Die Turnhalle wird gesperrt" in page and "Wochenmarkt" not in page
    for hostile in ('"', "NEAR(", "*", "-", "x" * 5000):
        response = client.get("/triage", query_string={"q": hostile})
        assert response.status_code == 200
    assert "too long" in client.get("/triage", query_string={"q": "x" * 501}).get_data(as_text=True)
    assert "no word" in client.get("/triage", query_string={"q": '"*'}).get_data(as_text=True)
    header = client.get("/triage").get_data(as_text=True)
    assert 'class="notification-count">1<' in header
    client.post(f"/items/{gym}/assign", data={"person": "anna", "form_token": "a1"})
    mine = client.get("/triage?mine=1").get_data(as_text=True)
    assert "Die Turnhalle wird gesperrt" in mine and "Wochenmarkt" not in mine
    client.post(f"/items/{gym}/notes", data={"text": "Hausmeister fragen", "form_token": "n1"})
    refused = client.post(f"/items/{gym}/notes", data={"text": "   ", "form_token": "n2"})
    assert refused.status_code == 200 and "empty or too long" in refused.get_data(as_text=True)
    item_page = client.get(f"/items/{gym}").get_data(as_text=True)
    assert "Hausmeister fragen" in item_page and "Assigned to anna." in item_page
    notes_page = client.get("/notifications").get_data(as_text=True)
    assert "Die Turnhalle wird gesperrt" in notes_page, notes_page[notes_page.find("<main>") :]
    client.post("/notifications/read")
    assert 'class="notification-count">0<' in client.get("/triage").get_data(as_text=True)
