"""People, login attempts and web sessions as stored. The rules (roles, password hashing, the login
throttle, session lifetime) are in factsandwich/accounts.py; this module only reads and writes rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, func, select, update

from factsandwich.errors import AccountError
from factsandwich.storage.database import Database
from factsandwich.storage.tables import LoginAttemptRow, UserRow, WebSessionRow
from factsandwich.storage.values import User


def _user(row: UserRow) -> User:
    return User(row.id, row.name, frozenset(r for r in row.roles.split(",") if r), row.language)


def insert_user(
    store: Database, name: str, password_hash: str, roles: list[str], language: str, actor: str
) -> User:
    """A new user with its audit record; AccountError when the name is taken."""
    with store.session() as session:
        if session.scalar(select(UserRow).where(UserRow.name == name)) is not None:
            raise AccountError(f"a user named {name!r} exists already")
        row = UserRow(
            name=name, password_hash=password_hash, roles=",".join(sorted(set(roles))), language=language
        )
        session.add(row)
        session.flush()
        store.audit(session, actor, "user.add", "user", row.id, None, {"name": name, "roles": sorted(roles)})
        return _user(row)


def set_user_language(store: Database, user_id: int, language: str) -> None:
    with store.session() as session:
        row = session.get(UserRow, user_id)
        if row is not None:
            row.language = language


def add_failed_login(store: Database, name: str, remote: str, at: dt.datetime) -> int:
    """Record (and commit) a login attempt as a failure; returns its id."""
    with store.session() as session:
        attempt = LoginAttemptRow(name=name, remote=remote, at=at, success=False)
        session.add(attempt)
        session.flush()
        return attempt.id


def settle_login(
    store: Database,
    attempt_id: int,
    name: str,
    remote: str,
    since: dt.datetime,
    max_failures: int,
    verify: Callable[[str | None], bool],
) -> tuple[bool, User | None]:
    """In one transaction: count the failed attempts for the name or the address since `since`; with
    more than `max_failures` the attempt is withdrawn and (True, None) returned (throttled). Else
    `verify` gets the user's password hash (None for an unknown name); when it passes, the attempt
    becomes a success and (False, the user) is returned, otherwise (False, None)."""
    with store.session() as session:
        failures = (
            session.scalar(
                select(func.count(LoginAttemptRow.id)).where(
                    LoginAttemptRow.at >= since,
                    LoginAttemptRow.success.is_(False),
                    (LoginAttemptRow.name == name) | (LoginAttemptRow.remote == remote),
                )
            )
            or 0
        )
        if failures > max_failures:
            session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.id == attempt_id))
            return True, None
        row = session.scalar(select(UserRow).where(UserRow.name == name))
        if not verify(row.password_hash if row else None) or row is None:
            return False, None
        session.execute(update(LoginAttemptRow).where(LoginAttemptRow.id == attempt_id).values(success=True))
        return False, _user(row)


def insert_web_session(
    store: Database, session_id: str, user_id: int, now: dt.datetime, expired_before: dt.datetime
) -> None:
    """Store a web session; sessions created before `expired_before` are removed in passing."""
    with store.session() as session:
        session.add(WebSessionRow(id=session_id, user_id=user_id, created_at=now))
        session.execute(delete(WebSessionRow).where(WebSessionRow.created_at < expired_before))


def web_session_user(store: Database, session_id: str) -> tuple[User, dt.datetime] | None:
    """The user of a stored web session and when the session was created; None for an unknown id."""
    with store.session() as session:
        row = session.execute(
            select(UserRow, WebSessionRow.created_at)
            .join(WebSessionRow, WebSessionRow.user_id == UserRow.id)
            .where(WebSessionRow.id == session_id)
        ).first()
        return (_user(row[0]), row.created_at) if row is not None else None


def delete_web_session(store: Database, session_id: str) -> None:
    with store.session() as session:
        session.execute(delete(WebSessionRow).where(WebSessionRow.id == session_id))
