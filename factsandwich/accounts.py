"""People and roles. Passwords are hashed (scrypt, werkzeug); failed logins are throttled per name and
per address, in the database, so the limit holds across worker processes."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from factsandwich.dates import utcnow
from factsandwich.errors import AccountError, LoginThrottled
from factsandwich.storage import Store
from factsandwich.storage import accounts as stored
from factsandwich.storage.values import User

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
    return stored.insert_user(store, name, generate_password_hash(password), roles, language, actor)


def set_language(store: Store, user: User, language: str) -> None:
    if language not in UI_LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(UI_LANGUAGES)}")
    stored.set_user_language(store, user.id, language)


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
    attempt = stored.add_failed_login(store, name, remote, now)
    throttled, user = stored.settle_login(
        store,
        attempt,
        name,
        remote,
        now - FAILURE_WINDOW,
        MAX_FAILURES,
        # An unknown name costs a hash check too, so timing does not tell which names exist.
        lambda password_hash: check_password_hash(password_hash or _dummy_hash(), password),
    )
    if throttled:
        raise LoginThrottled("too many failed logins; try again in 15 minutes")
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


# -- web sessions -------------------------------------------------------------------------------


def start_session(store: Store, user: User) -> str:
    """A new server-side session for `user`; returns its random id (the only thing the cookie holds)."""
    session_id = secrets.token_urlsafe(32)
    # Sessions that ran out are removed when someone logs in: the table stays small.
    now = utcnow()
    stored.insert_web_session(store, session_id, user.id, now, now - SESSION_LIFETIME)
    return session_id


def session_user(store: Store, session_id: str | None, now: dt.datetime | None = None) -> User | None:
    """The user of a live session; None for an unknown, ended or expired one (after SESSION_LIFETIME)."""
    if not session_id or len(session_id) > 64:
        return None
    found = stored.web_session_user(store, session_id)
    if found is None or found[1] < (now or utcnow()) - SESSION_LIFETIME:
        return None
    return found[0]


def end_session(store: Store, session_id: str | None) -> None:
    """Log out: the session id is no longer accepted, by any worker, whoever presents it."""
    if session_id:
        stored.delete_web_session(store, session_id)
