"""Issue 10, storage under concurrency: two scans on one database, concurrent form submissions, the
database file's mode, configuration mistakes as one-line errors (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import BOTH_DATABASES, FakeEncoder

from factsandwich import triage
from factsandwich.claims import load_claims
from factsandwich.config import Settings
from factsandwich.embed import CachedEncoder
from factsandwich.pipeline import Factsandwich, ScanSummary
from factsandwich.storage import Store
from factsandwich.storage.tables import AuditRow, FormTokenRow, ItemRow


def _posts(path: Path, numbers: range) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"p{n}", "text": f"Post Nummer {n} über den Markt {n * 7}"}) + "\n"
            for n in numbers
        )
    )
    return path


def _app(settings: Settings) -> Factsandwich:
    store = Store(settings.effective_database_url)
    return Factsandwich(settings, store=store, encoder=CachedEncoder(FakeEncoder(), store))


@BOTH_DATABASES
def test_two_scans_racing_on_one_database_store_each_item_once_and_count_what_they_stored(
    settings: Settings, tmp_path: Path
) -> None:
    """Scan B has looked up the store and the embedding cache (nothing there) when scan A stores the
    same items and vectors: B must neither fail nor count or report A's items as its own."""
    posts = _posts(tmp_path / "posts.jsonl", range(40))
    first, second = _app(settings), _app(settings)
    assert second.store is not None
    summary_a = ScanSummary()
    lookups, known = second.store.get_many, second.store.find_known
    selected: list[bool] = []

    def find_known(keys: Any) -> Any:
        selected.append(True)
        return known(keys)

    def get_many_then_let_a_run(model: str, keys: Any) -> Any:
        found = lookups(model, keys)
        if selected and not summary_a.sources:  # B has selected its new items: A scans in between
            list(first.scan([str(posts)], summary=summary_a))
        return found

    second.store.find_known = find_known  # type: ignore[method-assign]
    second.store.get_many = get_many_then_let_a_run  # type: ignore[method-assign]
    summary_b = ScanSummary()
    report_b = list(second.scan([str(posts)], summary=summary_b))

    assert summary_a.processed == 40
    assert summary_b.processed == 0 and report_b == [] and summary_b.skipped_stored == 40
    assert second.store.count_items() == 40  # and B's vectors, which A had stored first, raised nothing


@BOTH_DATABASES
def test_concurrent_submissions_of_one_form_token_act_once(settings: Settings) -> None:
    app = Factsandwich(settings, store=Store(settings.effective_database_url), encoder=FakeEncoder())
    store = app.store
    assert store is not None
    row = {
        "source": "s", "guid": "g", "link": None, "title": "", "text": "t", "content_hash": "h" * 64,
        "language": "de", "published": None, "myth_probability": 0.9, "flagged": True, "matches": [],
        "draft": None, "fact_checks": None, "top_claim": None, "priority": 0.5,
    }  # fmt: skip
    store.add_items([row])
    item_id = store.list_items()[0].id
    barrier = threading.Barrier(12)
    errors: list[BaseException] = []

    def submit() -> None:
        barrier.wait()
        try:
            triage.dismiss(store, [item_id], "not_a_myth", "anna", "token-1")
        except BaseException as exc:  # what became a 500 in the web UI
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.session() as session:
        assert session.query(FormTokenRow).count() == 1
        assert session.query(AuditRow).filter(AuditRow.action.like("item.%")).count() == 1
        assert session.get(ItemRow, item_id).status == "dismissed"  # type: ignore[union-attr]


@BOTH_DATABASES
def test_processes_caching_the_same_vectors_at_once_raise_nothing(settings: Settings) -> None:
    """Each writer looks up, then inserts: without ON CONFLICT DO NOTHING the later ones failed with
    `UNIQUE constraint failed: embeddings.model, embeddings.text_key`."""
    url = settings.effective_database_url
    Store(url)  # migrated once, before the race
    vectors = {f"key-{n}": np.full(8, n, dtype=np.float32) for n in range(2000)}
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def cache_them(store: Store) -> None:
        barrier.wait()
        try:
            store.put_many("m", vectors)
        except BaseException as exc:
            errors.append(exc)

    stores = [Store(url) for _ in range(4)]
    threads = [threading.Thread(target=cache_them, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(stores[0].get_many("m", list(vectors))) == 2000


def test_a_database_at_the_newest_revision_opens_without_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up (issue 10, point 19): Alembic runs only when there is something to migrate."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from factsandwich.storage import MIGRATIONS, head_revision

    assert head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    Store(url)  # created and migrated

    def no_alembic(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Alembic ran for a database at the newest revision")

    monkeypatch.setattr(command, "upgrade", no_alembic)
    assert Store(url).count_items() == 0
    with pytest.raises(AssertionError, match="Alembic ran"):
        Store(f"sqlite:///{tmp_path / 'new.sqlite'}")  # a new database is still migrated


@BOTH_DATABASES
def test_two_processes_importing_the_claims_into_a_new_database_at_once(settings: Settings) -> None:
    """B has read the (empty) claims table and is adding the pairs when A imports and commits them."""
    from factsandwich.storage import claims as stored_claims

    url = settings.effective_database_url
    first, second = Store(url), Store(url)
    audit = second.audit
    raced: list[bool] = []

    def audit_after_a(*args: Any, **kwargs: Any) -> None:
        if not raced:
            raced.append(True)
            stored_claims.sync_from_directory(first, settings.claims_dir)
        audit(*args, **kwargs)

    second.audit = audit_after_a  # type: ignore[method-assign]
    assert stored_claims.sync_from_directory(second, settings.claims_dir) == []
    stored, _versions = stored_claims.claims_fingerprint(second)
    assert raced and stored == len(load_claims(settings.claims_dir))
