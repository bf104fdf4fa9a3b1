"""People and roles. Passwords are hashed (scrypt, werkzeug); failed logins are throttled per name and
per address, in the database, so the limit holds across worker processes."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import cache

from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from factsandwich.dates import utcnow
from factsandwich.errors import AccountError, LoginThrottled
from factsandwich.storage.values import User
from factsandwich.store import LoginAttemptRow, Store, UserRow, WebSessionRow

ROLES = ("admin", "editor", "comms", "spokesperson")
ROLE_NAMES = {
    "admin": "administrator",
    "editor": "editor (myth/fact pairs)",
    "comms": "comms officer (triage)",
    "spokesperson": "spokesperson (responses)",
}
MIN_PASSWORD = 10
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=8)
UI_LANGUAGES = ("de", "en")

__all__ = [
    "ROLES",
    "ROLE_NAMES",
    "UI_LANGUAGES",
    "User",
    "add_user",
    "authenticate",
    "end_session",
    "get_user",
    "session_user",
    "set_language",
    "start_session",
]


def _user(row: UserRow) -> User:
    return User(row.id, row.name, frozenset(r for r in row.roles.split(",") if r), row.language)


def add_user(
    store: Store, name: str, roles: list[str], password: str, language: str = "de", actor: str = "cli"
) -> User:
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountError("a user name must have 1 to 200 characters")
    unknown = sorted(set(roles) - set(ROLES))
    if not roles or unknown:
        raise AccountError(f"unknown role {', '.join(unknown) or '(none)'}; choose from {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if language not in UI_LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(UI_LANGUAGES)}")
    with store.session() as session:
        if session.scalar(select(UserRow).where(UserRow.name == name)) is not None:
            raise AccountError(f"a user named {name!r} exists already")
        row = UserRow(
            name=name,
            password_hash=generate_password_hash(password),
            roles=",".join(sorted(set(roles))),
            language=language,
        )
        session.add(row)
        session.flush()
        store.audit(session, actor, "user.add", "user", row.id, None, {"name": name, "roles": sorted(roles)})
        return _user(row)


def get_user(store: Store, user_id: int) -> User | None:
    with store.session() as session:
        row = session.get(UserRow, user_id)
        return _user(row) if row else None


def set_language(store: Store, user: User, language: str) -> None:
    if language not in UI_LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(UI_LANGUAGES)}")
    with store.session() as session:
        row = session.get(UserRow, user.id)
        if row is not None:
            row.language = language


def authenticate(
    store: Store, name: str, password: str, remote: str, now: dt.datetime | None = None
) -> User | None:
    """The user for a correct name and password; None otherwise. Raises LoginThrottled after
    MAX_FAILURES failures for the name or the address within FAILURE_WINDOW."""
    now = now or utcnow()
    name, remote = name[:200], remote[:100]
    # The attempt is recorded (as a failure) and committed before it is counted: of attempts that
    # arrive at once, the k-th to commit counts at least k, so at most MAX_FAILURES ever reach the
    # password check, however many run in parallel.
    with store.session() as session:
        attempt = LoginAttemptRow(name=name, remote=remote, at=now, success=False)
        session.add(attempt)
    with store.session() as session:
        failures = (
            session.scalar(
                select(func.count(LoginAttemptRow.id)).where(
                    LoginAttemptRow.at >= now - FAILURE_WINDOW,
                    LoginAttemptRow.success.is_(False),
                    (LoginAttemptRow.name == name) | (LoginAttemptRow.remote == remote),
                )
            )
            or 0
        )
        if failures > MAX_FAILURES:
            session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.id == attempt.id))
            throttled = True
        else:
            throttled = False
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            # An unknown name costs a hash check too, so timing does not tell which names exist.
            ok = (
                check_password_hash(row.password_hash if row else _dummy_hash(), password) and row is not None
            )
            if ok:
                session.execute(
                    update(LoginAttemptRow).where(LoginAttemptRow.id == attempt.id).values(success=True)
                )
    if throttled:
        raise LoginThrottled("too many failed logins; try again in 15 minutes")
    return _user(row) if ok and row is not None else None


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


# -- web sessions -------------------------------------------------------------------------------


def start_session(store: Store, user: User) -> str:
    """A new server-side session for `user`; returns its random id (the only thing the cookie holds)."""
    session_id = secrets.token_urlsafe(32)
    with store.session() as session:
        session.add(WebSessionRow(id=session_id, user_id=user.id, created_at=utcnow()))
        # Sessions that ran out are removed when someone logs in: the table stays small.
        session.execute(delete(WebSessionRow).where(WebSessionRow.created_at < utcnow() - SESSION_LIFETIME))
    return session_id


def session_user(store: Store, session_id: str | None, now: dt.datetime | None = None) -> User | None:
    """The user of a live session; None for an unknown, ended or expired one (after SESSION_LIFETIME)."""
    if not session_id or len(session_id) > 64:
        return None
    with store.session() as session:
        row = session.execute(
            select(UserRow, WebSessionRow.created_at)
            .join(WebSessionRow, WebSessionRow.user_id == UserRow.id)
            .where(WebSessionRow.id == session_id)
        ).first()
        if row is None or row.created_at < (now or utcnow()) - SESSION_LIFETIME:
            return None
        return _user(row[0])


def end_session(store: Store, session_id: str | None) -> None:
    """Log out: the session id is no longer accepted, by any worker, whoever presents it."""
    if session_id:
        with store.session() as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.id == session_id))
