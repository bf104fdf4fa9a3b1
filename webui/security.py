"""Who is logged in, and what their roles allow: enforced on the server for every route."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from factsandwich.accounts import User, get_user
from webui import core

F = TypeVar("F", bound=Callable[..., Any])


def load_user() -> User | None:
    user_id = session.get("user_id")
    store = core().store
    user = get_user(store, int(user_id)) if user_id is not None and store is not None else None
    g.user = user
    g.language = user.language if user else (request.accept_languages.best_match(["de", "en"]) or "de")
    return user


def requires(*roles: str) -> Callable[[F], F]:
    """Any logged-in user when no role is named; else one of `roles` (admins pass every check)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = load_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.path))
            if roles and not user.has(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def actor() -> str:
    user: User = g.user
    return user.name
