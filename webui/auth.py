"""Login, logout and the per-user UI language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from factsandwich.accounts import authenticate, end_session, set_language, start_session
from factsandwich.errors import LoginThrottled
from webui.context import core
from webui.i18n import translate
from webui.security import load_user, requires

blueprint = Blueprint("auth", __name__)


def _home() -> str:
    user = g.user
    if user.has("comms"):
        return url_for("triage.queue")
    if user.has("spokesperson"):
        return url_for("responses.index")
    if user.has("editor"):
        return url_for("claims.index")
    return url_for("dashboard.index")


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: no open redirect through ?next=. Browsers drop tabs and line breaks from
    a Location and read a backslash as a slash (`/\t/evil.example` is `//evil.example`), so a target
    with any whitespace, control character or backslash is refused, then it must parse as a path."""
    if not target or len(target) > 2000:
        return None
    if any(ch.isspace() or not ch.isprintable() or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@blueprint.route("/")
@requires()
def index() -> Any:
    return redirect(_home())


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    load_user()
    error = None
    if request.method == "POST":
        store = core().store
        if store is None:
            abort(500)
        name = request.form.get("name", "")
        try:
            user = authenticate(store, name, request.form.get("password", ""), request.remote_addr or "-")
        except LoginThrottled:
            return render_template("login.html", error=translate("login_throttled", g.language)), 429
        if user is None:
            error = translate("login_failed", g.language)
        else:
            session.clear()
            session["sid"] = start_session(store, user)
            session.permanent = True
            load_user()
            if user.password_change_required:  # an admin chose the password: the person's own first
                return redirect(url_for("admin.account"))
            return redirect(_safe_next(request.args.get("next")) or _home())
    return render_template("login.html", error=error), (401 if error else 200)


@blueprint.route("/logout", methods=["POST"])
def logout() -> Any:
    store = core().store
    if store is not None:
        end_session(store, session.get("sid"))  # the cookie, or any copy of it, opens nothing now
    session.clear()
    return redirect(url_for("auth.login"))


@blueprint.route("/language", methods=["POST"])
@requires()
def language() -> Any:
    store = core().store
    assert store is not None
    set_language(store, g.user, request.form.get("language", "de"))
    return redirect(_safe_next(request.form.get("next")) or _home())
