"""The one store (SQLAlchemy; SQLite by default, PostgreSQL to scale out).

Each scanned item is written whole in one transaction together with its matches and draft, so a
crash leaves either the complete item or nothing, and a rerun skips what is already stored.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.dml import Insert, Update

from factsandwich.dates import utcnow
from factsandwich.embed import Vectors
from factsandwich.errors import ConfigError
from factsandwich.factchecks import FactCheck


class Base(DeclarativeBase):
    pass


class ItemRow(Base):
    __tablename__ = "items"
    # The triage queue's filters and order, so that every page of it is an index scan (bench/webui.py:
    # page 100 of 50,000 items went from 170 ms to about 5 ms).
    __table_args__ = (
        Index("ix_items_queue", "flagged", "status", "priority", "published", "id"),
        Index("ix_items_queue_all", "flagged", "priority", "published", "id"),
        Index("ix_items_flagged_source", "flagged", "source"),
        Index("ix_items_flagged_claim", "flagged", "top_claim", "language", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(2048), index=True)
    guid: Mapped[str | None] = mapped_column(String(2048), index=True)
    link: Mapped[str | None] = mapped_column(String(2048), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    published: Mapped[str | None] = mapped_column(String(40))
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    myth_probability: Mapped[float] = mapped_column(Float, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    top_claim: Mapped[str | None] = mapped_column(String(200), index=True)
    # Triage order: 0.6 x myth probability + 0.4 x best match score (newer first on ties).
    priority: Mapped[float] = mapped_column(Float, index=True, default=0.0)
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The external fact-checks the item matched (collection, external_id, claim, title, rating,
    # publisher, published, url, score), best first; shown as links, never drafted from.
    fact_checks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    # The publication moment parsed from `published` (naive UTC; None when it is not a date): the
    # queue's date filter and the dashboard's weeks count from it, else from fetched_at.
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    # A kept triage label (misinformation, disinformation): later decisions change the status, not it.
    label: Mapped[str | None] = mapped_column(String(32), nullable=True)
    dismiss_reason: Mapped[str | None] = mapped_column(String(32))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(512))
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated, see accounts.ROLES
    language: Mapped[str] = mapped_column(String(8), default="de")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WebSessionRow(Base):
    """A logged-in browser session: the cookie carries only its random id, so a logout (the row is
    deleted) ends it on every worker, even for someone who kept a copy of the cookie."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginAttemptRow(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    remote: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean)


class AuditRow(Base):
    """Every decision: who, what, when, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(200), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ResponseRow(Base):
    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    claim_id: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(32))
    tone: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="draft", index=True)
    parts: Mapped[dict[str, str]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ResponseVersionRow(Base):
    __tablename__ = "response_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    parts: Mapped[dict[str, str]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    editor: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ClaimRow(Base):
    """The live copy of a myth/fact pair (claims_db/ layout as JSON), versioned for safe editing."""

    __tablename__ = "claims"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    source_hash: Mapped[str | None] = mapped_column(String(64))  # of the claims_db/ file last imported
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ClaimVersionRow(Base):
    __tablename__ = "claim_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    editor: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FormTokenRow(Base):
    """One-time tokens of submitted forms: a double click or a resubmission is recognised, not repeated."""

    __tablename__ = "form_tokens"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SubscriptionRow(Base):
    """A feed the monitor polls: how often, and when next (fetch state is in FeedStateRow)."""

    __tablename__ = "subscriptions"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(8))
    interval_s: Mapped[int] = mapped_column(Integer, default=900)
    next_poll: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FeedStateRow(Base):
    """What was learned from fetching a feed URL: validators for conditional GET, the last error."""

    __tablename__ = "feed_states"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    last_success: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)


class EmbeddingRow(Base):
    __tablename__ = "embeddings"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    text_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class FactCheckRow(Base):
    """A published fact-check of an external collection (factchecks.FactCheck)."""

    __tablename__ = "fact_checks"

    collection: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    claim: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    rating: Mapped[str] = mapped_column(String(200))
    publisher: Mapped[str] = mapped_column(String(300))
    published: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2048))
    language: Mapped[str] = mapped_column(String(8))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FactCheckRevisionRow(Base):
    """One row counting the changes to fact_checks: an exact version for the search index that timestamps
    cannot give (two writes in one clock tick, or a slow import that commits after a later one). Writers
    increment it first, so its row lock also serialises concurrent imports."""

    __tablename__ = "fact_check_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)


FACT_CHECK_FIELDS = tuple(field.name for field in fields(FactCheck))


@dataclass(frozen=True)
class FeedState:
    url: str
    etag: str | None
    last_modified: str | None


class Store:
    """Typed, verb-first access to the database; sessions never leak to callers."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except Exception:
            raise ConfigError(f"FACTSANDWICH_DATABASE_URL {url!r} is not a database URL") from None
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
            _create_private_file(Path(parsed.database))
        try:
            self.engine: Engine = create_engine(url)
        except (ImportError, NoSuchModuleError) as exc:
            extra = (
                " (pip install 'factsandwich[postgresql]')"
                if parsed.drivername.startswith("postgres")
                else ""
            )
            raise ConfigError(
                f"FACTSANDWICH_DATABASE_URL needs the database driver {parsed.drivername!r}, which is not "
                f"installed{extra}: {str(exc).splitlines()[0]}"
            ) from None
        if parsed.drivername.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        try:
            migrate(self.engine)
        except SQLAlchemyError as exc:
            problem = str(exc).splitlines()[0]
            raise ConfigError(f"cannot open the database {parsed.render_as_string()}: {problem}") from None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    # -- items ---------------------------------------------------------------------------------

    def find_known(self, keys: Sequence[tuple[str, str | None, str | None, str]]) -> set[int]:
        """Indexes of `keys` (source, guid, link, content_hash) whose item is already stored."""
        known: set[int] = set()
        with self.session() as session:
            for i, (source, guid, link, chash) in enumerate(keys):
                conditions = [ItemRow.content_hash == chash]
                if guid:
                    conditions.append((ItemRow.source == source) & (ItemRow.guid == guid))
                if link:
                    conditions.append(ItemRow.link == link)
                if session.scalar(select(ItemRow.id).where(or_(*conditions)).limit(1)) is not None:
                    known.add(i)
        return known

    def add_items(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert complete items in one transaction; returns how many were new."""
        return sum(self.store_items(rows))

    def store_items(self, rows: Sequence[Mapping[str, Any]]) -> list[bool]:
        """Insert complete items in one transaction; for each row, whether this call stored it. An
        item that another process (a second scan, a monitor, the web UI) stored meanwhile (same text)
        is skipped by the database itself (ON CONFLICT DO NOTHING), never an error."""
        stored: list[bool] = []
        with self.session() as session:
            statement = insert_ignoring_conflicts(session, ItemRow).returning(ItemRow.id)
            for row in rows:
                # RETURNING gives a row only for an insert that happened (rowcount is -1 on psycopg).
                stored.append(session.execute(statement.values(**row)).first() is not None)
        return stored

    def count_items(self) -> int:
        with self.session() as session:
            return int(session.scalar(select(func.count(ItemRow.id))) or 0)

    def list_items(self, *, flagged: bool | None = None) -> list[ItemRow]:
        with self.session() as session:
            query = select(ItemRow).order_by(ItemRow.id)
            if flagged is not None:
                query = query.where(ItemRow.flagged == flagged)
            return list(session.scalars(query).all())

    # -- feeds ---------------------------------------------------------------------------------

    def get_feed_state(self, url: str) -> FeedState | None:
        with self.session() as session:
            row = session.get(FeedStateRow, url)
            return FeedState(row.url, row.etag, row.last_modified) if row else None

    def record_feed_success(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self.session() as session:
            row = session.get(FeedStateRow, url) or FeedStateRow(url=url, error_count=0)
            row.etag, row.last_modified = etag or row.etag, last_modified or row.last_modified
            row.last_success, row.last_error, row.error_count = utcnow(), None, 0
            session.add(row)

    def record_feed_error(self, url: str, message: str) -> None:
        with self.session() as session:
            row = session.get(FeedStateRow, url) or FeedStateRow(url=url, error_count=0)
            row.last_error, row.error_count = message, (row.error_count or 0) + 1
            session.add(row)

    # -- audit ---------------------------------------------------------------------------------

    @staticmethod
    def audit(
        session: Session,
        actor: str,
        action: str,
        object_type: str,
        object_id: str | int,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Record a decision in the caller's transaction, so the change and its record commit together."""
        session.add(
            AuditRow(
                actor=actor,
                action=action,
                object_type=object_type,
                object_id=str(object_id),
                before=before,
                after=after,
            )
        )

    @staticmethod
    def use_form_token(session: Session, token: str) -> bool:
        """True the first time `token` is seen; False for a double submission (nothing must happen),
        also when the two submissions arrive at once (the database decides: ON CONFLICT DO NOTHING)."""
        if not token or len(token) > 64:
            return False
        statement = insert_ignoring_conflicts(session, FormTokenRow).values(token=token, used_at=utcnow())
        return session.execute(statement.returning(FormTokenRow.token)).first() is not None

    def list_audit(
        self, *, object_type: str | None = None, object_id: str | None = None, limit: int = 200
    ) -> list[AuditRow]:
        with self.session() as session:
            query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            if object_type:
                query = query.where(AuditRow.object_type == object_type)
            if object_id:
                query = query.where(AuditRow.object_id == object_id)
            return list(session.scalars(query).all())

    # -- external fact-checks -----------------------------------------------------------------------

    def upsert_fact_checks(self, fact_checks: Sequence[FactCheck]) -> tuple[int, int]:
        """Insert new fact-checks and update changed ones in one transaction (never deletes); returns
        (added, updated). A record given twice is stored once, as its last copy."""
        wanted = {
            (f.collection, f.external_id): {name: getattr(f, name) for name in FACT_CHECK_FIELDS}
            for f in fact_checks
        }
        with self._sessions() as session:
            session.execute(_next_revision())  # first: the write lock, so no other import interleaves
            columns = [getattr(FactCheckRow, name) for name in FACT_CHECK_FIELDS]
            stored = {
                (row.collection, row.external_id): row._asdict()
                for row in session.execute(
                    select(*columns).where(FactCheckRow.collection.in_(sorted({key[0] for key in wanted})))
                )
            }
            now = utcnow()
            new = [{**row, "imported_at": now} for key, row in wanted.items() if key not in stored]
            changed = [
                {**row, "imported_at": now}
                for key, row in wanted.items()
                if key in stored and stored[key] != row
            ]
            if not new and not changed:
                return 0, 0  # leaving without commit rolls the revision back: nothing changed
            if new:
                session.execute(insert(FactCheckRow), new)
            if changed:
                session.execute(update(FactCheckRow), changed)
            session.commit()
        return len(new), len(changed)

    def load_fact_checks(self) -> list[FactCheck]:
        columns = [getattr(FactCheckRow, name) for name in FACT_CHECK_FIELDS]
        with self.session() as session:
            rows = session.execute(
                select(*columns).order_by(FactCheckRow.collection, FactCheckRow.external_id)
            )
            return [FactCheck(*row) for row in rows]

    def fact_checks_version(self) -> str:
        """Changes whenever a fact-check is added, changed or removed (cheap: one row)."""
        with self.session() as session:
            return str(session.execute(select(FactCheckRevisionRow.revision)).scalar_one())

    def fact_check_collections(self) -> list[tuple[str, int]]:
        """(name, number of fact-checks) of each collection, by name."""
        with self.session() as session:
            rows = session.execute(
                select(FactCheckRow.collection, func.count())
                .group_by(FactCheckRow.collection)
                .order_by(FactCheckRow.collection)
            )
            return [(name, int(count)) for name, count in rows]

    def remove_fact_check_collection(self, collection: str) -> int:
        """Delete a collection's fact-checks; returns how many there were."""
        with self._sessions() as session:
            session.execute(_next_revision())
            result = session.execute(delete(FactCheckRow).where(FactCheckRow.collection == collection))
            removed = int(cast(CursorResult[Any], result).rowcount)
            if removed:
                session.commit()
        return removed

    # -- embedding cache (implements embed.EmbeddingCache) ----------------------------------------

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        with self.session() as session:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                rows = session.execute(
                    select(EmbeddingRow.text_key, EmbeddingRow.vector).where(
                        EmbeddingRow.model == model, EmbeddingRow.text_key.in_(chunk)
                    )
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, vectors: Mapping[str, Vectors]) -> None:
        """Add vectors to the cache; one that another process added meanwhile is kept as it is (the
        same model and text give the same vector), never an error."""
        rows = [
            {"model": model, "text_key": key, "vector": np.asarray(vec, dtype=np.float32).tobytes()}
            for key, vec in vectors.items()
        ]
        if not rows:
            return
        with self.session() as session:
            # executemany: 14,000 vectors in a second
            session.execute(insert_ignoring_conflicts(session, EmbeddingRow), rows)


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# created by revisions after 0001, not by adoption
LATER_TABLES = {"fact_checks", "fact_check_revision", "web_sessions"}


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision with Alembic (SQLite and PostgreSQL alike).

    A database made by a development version before migrations existed (tables, no version) gets the
    missing tables of the first revision and the indexes, is stamped as that revision, then upgraded.
    A database at the newest revision already (every start but the first after an update) is left as
    it is without loading Alembic: one query instead of about 0.3 s of every command's start-up."""
    if _at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "items" in tables and "alembic_version" not in tables:
            first = [table for name, table in Base.metadata.tables.items() if name not in LATER_TABLES]
            Base.metadata.create_all(connection, tables=first)
            present = {column["name"] for column in inspect(connection).get_columns("items")}
            for index in Base.metadata.tables["items"].indexes:
                if all(column.name in present for column in index.columns):  # later columns: later revisions
                    index.create(connection, checkfirst=True)
            command.stamp(config, "0001")
        command.upgrade(config, "head")


_REVISION = re.compile(r"^revision: str = \"(\w+)\"$", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision: [^=]+= \"(\w+)\"$", re.MULTILINE)


def head_revision() -> str | None:
    """The newest revision of factsandwich/migrations/versions/ (read from the files, without
    Alembic); None unless there is exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(source))
        parents.update(_DOWN_REVISION.findall(source))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _at_head(engine: Engine) -> bool:
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            if "alembic_version" not in inspect(connection).get_table_names():
                return False
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:
        return False
    return list(versions) == [head]


def _create_private_file(path: Path) -> None:
    """The SQLite file (password hashes, the audit log) is created readable by its owner only (0600,
    like secret_key; SQLite gives its -wal and -shm files the same mode). An existing file is left as
    it is. A directory that cannot be created or written is a one-line error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError as exc:
        raise ConfigError(
            f"cannot create the database {path} ({exc.strerror or exc}); set FACTSANDWICH_DATA_DIR "
            "(or FACTSANDWICH_DATABASE_URL) to a place this user may write"
        ) from None


def insert_ignoring_conflicts(session: Session, model: type[Base]) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL: a row that a concurrent writer
    stored first (same primary or unique key) is skipped by the database, inside its lock."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing()
    raise ConfigError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


def _next_revision() -> Update:
    return update(FactCheckRevisionRow).values(revision=FactCheckRevisionRow.revision + 1)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
