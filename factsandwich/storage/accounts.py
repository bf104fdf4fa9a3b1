"""People, login attempts and web sessions as stored. The rules (roles, password hashing, the login
throttle, session lifetime) are in factsandwich/accounts.py; this module only reads and writes rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, func, select, update

from factsandwich.dates import utcnow
from factsandwich.errors import AccountRefused, NotFound
from factsandwich.storage.database import Database
from factsandwich.storage.tables import LoginAttemptRow, UserRow, WebSessionRow
from factsandwich.storage.values import User


def _roles(row: UserRow) -> frozenset[str]:
    return frozenset(r for r in row.roles.split(",") if r)


def _user(row: UserRow) -> User:
    return User(row.id, row.name, _roles(row), row.language, row.disabled_at, row.password_change_required)


def insert_user(
    store: Database,
    name: str,
    password_hash: str,
    roles: list[str],
    language: str,
    actor: str,
    password_change_required: bool = False,
) -> User:
    """A new user with its audit record (never the hash); AccountRefused when the name is taken, also
    in other letter case ("Anna" and "anna" would be two people nobody can tell apart)."""
    with store.session() as session:
        if session.scalar(select(UserRow).where(func.lower(UserRow.name) == name.lower())) is not None:
            raise AccountRefused(f"a user named {name!r} exists already", "user_exists", name=name)
        row = UserRow(
            name=name,
            password_hash=password_hash,
            roles=",".join(sorted(set(roles))),
            language=language,
            password_change_required=password_change_required,
        )
        session.add(row)
        session.flush()
        after: dict[str, object] = {"name": name, "roles": sorted(set(roles)), "language": language}
        if password_change_required:
            after["password_change_required"] = True
        store.audit(session, actor, "user.add", "user", row.id, None, after)
        return _user(row)


def _audited(row: UserRow) -> dict[str, object]:
    """The fields of an account whose changes the audit log shows."""
    return {
        "roles": sorted(_roles(row)),
        "disabled": row.disabled_at is not None,
        "password_change_required": row.password_change_required,
    }


def list_users(store: Database) -> list[User]:
    """Every account, disabled ones too, by name."""
    with store.session() as session:
        return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.name))]


def update_user(
    store: Database,
    form_token: str | None,
    user_id: int,
    actor: str,
    action: str,
    *,
    roles: frozenset[str] | None = None,
    disabled: bool | None = None,
    password_hash: str | None = None,
    password_change_required: bool | None = None,
    keep_session: str | None = None,
    admins_left: Callable[[int], None] | None = None,
    check_hash: Callable[[str], None] | None = None,
) -> User | None:
    """One change to an account (its roles, disabled or not, its password) with its audit record, in
    one transaction; None for a form token seen before. With `admins_left` the enabled admins are
    locked first (then the account: one order, no deadlock), so two admins demoting each other at
    once cannot leave none; it gets how many would remain and raises to refuse. `check_hash` gets
    the stored password hash and raises to refuse (the person's current password, checked after
    the form token: a form sent twice is not a wrong password). Disabling and a new password end
    the account's web sessions at once (except `keep_session`); `password_change_required` says
    whether the person must choose a new one. The audit records which fields changed, never a
    password or its hash."""
    with store.act(
        form_token, UserRow, user_id, actor=actor, missing=lambda: NotFound(f"no user {user_id}")
    ) as act:
        if act is None:
            return None
        session = act.session
        admins: set[int] = set()
        if admins_left is not None:
            enabled_admins = (UserRow.roles.like("%admin%"), UserRow.disabled_at.is_(None))
            # A no-op write, not SELECT ... FOR UPDATE: it row-locks the enabled admins on PostgreSQL
            # (a waiting writer re-reads who is still one) and takes SQLite's write lock, which its
            # driver's reads would not.
            session.execute(update(UserRow).where(*enabled_admins).values(roles=UserRow.roles))
            admins = set(session.scalars(select(UserRow.id).where(*enabled_admins)))
        row = session.get(UserRow, user_id, with_for_update=True, populate_existing=True)
        assert row is not None  # act found it, and accounts are never deleted
        if check_hash is not None:
            check_hash(row.password_hash)
        before = _audited(row)
        if roles is not None:
            row.roles = ",".join(sorted(roles))
        if disabled is not None:
            row.disabled_at = (row.disabled_at or utcnow()) if disabled else None
        if password_hash is not None:
            row.password_hash = password_hash
        if password_change_required is not None:
            row.password_change_required = password_change_required
        if admins_left is not None:
            still_admin = "admin" in _roles(row) and row.disabled_at is None
            admins_left(len((admins - {row.id}) | ({row.id} if still_admin else set())))
        if row.disabled_at is not None or password_hash is not None:
            session.execute(
                delete(WebSessionRow).where(
                    WebSessionRow.user_id == row.id, WebSessionRow.id != (keep_session or "")
                )
            )
        after = _audited(row)
        changed = [key for key in before if before[key] != after[key]]
        act.audit(
            action,
            "user",
            row.id,
            {"name": row.name, **{key: before[key] for key in changed}},
            {"name": row.name, **{key: after[key] for key in changed}}
            | ({"password": "changed"} if password_hash is not None else {}),
        )
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
    more than `max_failures` (True, None) is returned (throttled), and the attempt is withdrawn when
    more than `max_failures` older failures stand without it. Else `verify` gets the user's password
    hash (None for an unknown name); when it passes, the attempt becomes a success and (False, the
    user) is returned, otherwise (False, None).

    Only an attempt with enough older failures is withdrawn: attempts that arrive at once all count
    each other, and if each withdrew itself, a burst would leave no trace and the next login would
    not be throttled. The oldest failures of the window are never withdrawn."""
    failed = (
        LoginAttemptRow.at >= since,
        LoginAttemptRow.success.is_(False),
        (LoginAttemptRow.name == name) | (LoginAttemptRow.remote == remote),
    )
    with store.session() as session:
        failures = session.scalar(select(func.count(LoginAttemptRow.id)).where(*failed)) or 0
        if failures > max_failures:
            older = (
                session.scalar(
                    select(func.count(LoginAttemptRow.id)).where(*failed, LoginAttemptRow.id < attempt_id)
                )
                or 0
            )
            if older > max_failures:
                session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.id == attempt_id))
            return True, None
        row = session.scalar(select(UserRow).where(UserRow.name == name))
        # A disabled account is refused like a wrong password, after the same hash check.
        if not verify(row.password_hash if row else None) or row is None or row.disabled_at is not None:
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
    """The user of a stored web session and when the session was created; None for an unknown id or a
    disabled account (its sessions are deleted when it is disabled; this holds even for a race)."""
    with store.session() as session:
        row = session.execute(
            select(UserRow, WebSessionRow.created_at)
            .join(WebSessionRow, WebSessionRow.user_id == UserRow.id)
            .where(WebSessionRow.id == session_id, UserRow.disabled_at.is_(None))
        ).first()
        return (_user(row[0]), row.created_at) if row is not None else None


def delete_web_session(store: Database, session_id: str) -> None:
    with store.session() as session:
        session.execute(delete(WebSessionRow).where(WebSessionRow.id == session_id))
