"""The database: one engine, one way to a transaction, the schema brought up to date on opening.

`Database.session()` is the only way to a transaction, and only the storage package uses it: views,
the CLI and the office-work modules call repository functions that return frozen values. Every office
action (a triage decision, a response edit, a pair saved in the editor) goes through `Database.act`:
the form's one-time token, the row fetched (and locked), a missing row and a stale version refused,
and the audit record written in the same transaction as the change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Insert

from factsandwich.dates import utcnow
from factsandwich.errors import ConfigError, EditConflict
from factsandwich.storage.tables import AuditRow, Base, FormTokenRow

R = TypeVar("R", bound=Base)


@dataclass
class Action(Generic[R]):
    """An office action inside its transaction: the row it acts on and the audit record it writes."""

    session: Session
    row: R
    actor: str

    def audit(
        self,
        action: str,
        object_type: str,
        object_id: str | int,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        Database.audit(self.session, self.actor, action, object_type, object_id, before, after)


class Database:
    """The engine and the transactions; the repositories (storage/*.py) are built on it."""

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

    def ping(self) -> None:
        """One round trip to the database (the health check); raises when it cannot be reached."""
        with self.session() as session:
            session.execute(text("SELECT 1"))

    @contextmanager
    def act(
        self,
        form_token: str | None,
        table: type[R],
        key: Any,
        *,
        actor: str,
        lock: bool = False,
        missing: Callable[[], Exception] | None = None,
        check: Callable[[R], None] | None = None,
        expected_version: int | None = None,
        conflict: Callable[[R], Exception] | None = None,
    ) -> Iterator[Action[R] | None]:
        """One office action in one transaction: None for a form token seen before (a double click:
        nothing must happen); else the row of `table` with `key` (locked with `lock`), after
        `missing()` is raised for an absent row, `check(row)` has run and the row's version is still
        `expected_version` (else `conflict(row)` is raised). A `missing` of None lets the action see
        an absent row (`action.row` None: a pair created under a new id)."""
        with self.session() as session:
            if form_token is not None and not self.use_form_token(session, form_token):
                yield None
                return
            row = session.get(table, key, with_for_update=lock)
            if row is None and missing is not None:
                raise missing()
            if row is not None:
                if check is not None:
                    check(row)
                if expected_version is not None and row.version != expected_version:  # type: ignore[attr-defined]
                    raise conflict(row) if conflict else EditConflict("changed meanwhile; reload it")
            yield Action(session, row, actor)  # type: ignore[arg-type]

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


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# created by revisions after 0001, not by adoption
LATER_TABLES = {
    "fact_checks",
    "fact_check_revision",
    "web_sessions",
    *("narratives", "narrative_items", "emerging_clusters", "emerging_items", "narrative_state"),
    *("alert_subscriptions", "alerts_sent", "api_tokens"),
    *("response_postings", "item_notes"),
}


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
