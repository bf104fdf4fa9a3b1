"""People and roles. Passwords are hashed (scrypt, werkzeug); failed logins are throttled per name and
per address, in the database, so the limit holds across worker processes. Admins add people, change
their roles, disable them and reset their passwords; everyone changes their own password. The last
enabled admin cannot be disabled or demoted (nobody could manage the accounts any more)."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from factsandwich.dates import utcnow
from factsandwich.errors import AccountRefused, LoginThrottled
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


def check_name(name: str) -> str:
    """The name as stored (outer spaces removed); AccountRefused for an empty, overlong or unprintable
    one (a line break or control character in a name would forge lines in the audit log)."""
    name = name.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise AccountRefused("a user name must have 1 to 200 printable characters", "user_name_invalid")
    return name


def check_roles(roles: list[str] | frozenset[str]) -> frozenset[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if not roles or unknown:
        raise AccountRefused(
            f"unknown role {', '.join(unknown) or '(none)'}; choose from {', '.join(ROLES)}",
            "user_roles_invalid",
        )
    return frozenset(roles)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountRefused(
            f"the password must have at least {MIN_PASSWORD} characters", "password_too_short", n=MIN_PASSWORD
        )
    return password


def check_language(language: str) -> str:
    if language not in UI_LANGUAGES:
        raise AccountRefused(f"language must be one of {', '.join(UI_LANGUAGES)}", "user_language_invalid")
    return language


def add_user(
    store: Store,
    name: str,
    roles: list[str],
    password: str,
    language: str = "de",
    actor: str = "cli",
    *,
    handed_over: bool = False,
) -> User:
    """A new account. `handed_over`: someone else chose the password (an admin, to hand it over), so
    the person must change it at their first login; one typed by the person themselves (the first
    admin at the server's CLI) stands."""
    name, checked = check_name(name), check_roles(roles)
    password, language = check_password(password), check_language(language)
    return stored.insert_user(
        store, name, generate_password_hash(password), sorted(checked), language, actor, handed_over
    )


def set_language(store: Store, user: User, language: str) -> None:
    stored.set_user_language(store, user.id, check_language(language))


def generate_password() -> str:
    """A random password to hand over (16 characters, about 96 bits)."""
    return secrets.token_urlsafe(12)


def _keep_an_admin(remaining: int) -> None:
    if remaining < 1:
        raise AccountRefused("the last enabled admin cannot be disabled or lose the admin role", "last_admin")


def set_roles(
    store: Store, user_id: int, roles: list[str], actor: str, form_token: str | None
) -> User | None:
    """Replace a person's roles; None for a form sent twice."""
    return stored.update_user(
        store, form_token, user_id, actor, "user.roles", roles=check_roles(roles), admins_left=_keep_an_admin
    )


def set_disabled(
    store: Store, user_id: int, disabled: bool, actor: str, form_token: str | None
) -> User | None:
    """Disable an account (it cannot log in; its open sessions end on their next request) or enable it
    again; None for a form sent twice."""
    action = "user.disable" if disabled else "user.enable"
    return stored.update_user(
        store, form_token, user_id, actor, action, disabled=disabled, admins_left=_keep_an_admin
    )


def reset_password(
    store: Store, user_id: int, password: str | None, actor: str, form_token: str | None
) -> str | None:
    """An admin sets a new password for someone (a generated one when `password` is empty): returned
    to be shown once and handed over, never stored in clear or audited; the person must change it at
    their next login. Their open sessions end. None for a form sent twice (the first submission's
    password stands)."""
    password = check_password(password) if password else generate_password()
    changed = stored.update_user(
        store,
        form_token,
        user_id,
        actor,
        "user.reset_password",
        password_hash=generate_password_hash(password),
        password_change_required=True,
    )
    return password if changed is not None else None


def change_own_password(
    store: Store, user: User, current: str, new: str, session_id: str | None, form_token: str | None
) -> bool:
    """A person changes their own password, giving the current one; their other sessions end (a
    stolen cookie stops working), this one stays, free of a required change. False for a form sent
    twice."""
    if new == current:
        raise AccountRefused("the new password is the current one", "password_unchanged")

    def current_password(password_hash: str) -> None:
        if not check_password_hash(password_hash, current):
            raise AccountRefused("the current password is wrong", "current_password_wrong")

    changed = stored.update_user(
        store,
        form_token,
        user.id,
        user.name,
        "user.change_password",
        password_hash=generate_password_hash(check_password(new)),
        password_change_required=False,
        keep_session=session_id,
        check_hash=current_password,
    )
    return changed is not None


def list_users(store: Store) -> list[User]:
    return stored.list_users(store)


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
