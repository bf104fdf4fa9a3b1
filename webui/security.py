"""Who is logged in, and what their roles allow: enforced on the server for every route."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, make_response, redirect, request, session, url_for
from flask_babel import refresh

from factsandwich.accounts import session_user
from factsandwich.storage.values import User
from webui.context import core

F = TypeVar("F", bound=Callable[..., Any])
# Where a person whose password an admin chose may go before choosing their own (logout needs no
# login, static files no route of ours): the account page, and the language switch to read it.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"admin.account", "auth.language"})


def load_user() -> User | None:
    """The user of the request's server-side session (checked on every request: a logout anywhere
    ends it here too)."""
    session_id = session.get("sid")
    store = core().store
    user = session_user(store, str(session_id)) if session_id and store is not None else None
    if user is None and session:
        session.clear()  # an ended or expired session, or a cookie from before server-side sessions
    g.user = user
    g.language = user.language if user else (request.accept_languages.best_match(["de", "en"]) or "de")
    refresh()  # Flask-Babel's locale selector reads g.language; a locale it cached before is stale
    return user


def requires(*roles: str) -> Callable[[F], F]:
    """Any logged-in user when no role is named; else one of `roles` (admins pass every check). A
    person who must change the password an admin gave them is sent to their account page first."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = load_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.path))
            if user.password_change_required and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
                return redirect(url_for("admin.account"))
            if roles and not user.has(*roles):
                abort(403)
            response = make_response(view(*args, **kwargs))
            response.headers["Cache-Control"] = "no-store"  # nothing of a logged-in page is kept
            return response

        return wrapped  # type: ignore[return-value]

    return decorate


def actor() -> str:
    user: User = g.user
    return user.name
