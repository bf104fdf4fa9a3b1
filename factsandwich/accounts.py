"""People and roles. Passwords are hashed (scrypt, werkzeug); failed logins are throttled per name and
per address, in the database, so the limit holds across worker processes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from factsandwich.errors import FactsandwichError
from factsandwich.store import LoginAttemptRow, Store, UserRow, utcnow

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
UI_LANGUAGES = ("de", "en")


class AccountError(FactsandwichError):
    """A user name, role or password that cannot be used."""


class LoginThrottled(FactsandwichError):
    """Too many failed logins for this name or address."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    roles: frozenset[str]
    language: str

    def has(self, *roles: str) -> bool:
        """True when the user holds one of `roles` (admins hold all)."""
        return "admin" in self.roles or any(r in self.roles for r in roles)


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
    with store.session() as session:
        since = now - FAILURE_WINDOW
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
        if failures >= MAX_FAILURES:
            raise LoginThrottled("too many failed logins; try again in 15 minutes")
        row = session.scalar(select(UserRow).where(UserRow.name == name))
        ok = row is not None and check_password_hash(row.password_hash, password)
        session.add(LoginAttemptRow(name=name[:200], remote=remote[:100], at=now, success=ok))
        return _user(row) if ok and row is not None else None
