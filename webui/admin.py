"""Admins manage the accounts (/users) and read the audit log (/audit); everyone changes their own
password (/account). The rules are factsandwich.accounts'; a refused change says why in the user's
language and keeps what was typed (never a password)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict

from factsandwich import accounts
from factsandwich.audit_log import changes
from factsandwich.dates import form_date, local_days
from factsandwich.errors import AccountRefused
from factsandwich.storage.values import AuditFilter
from webui.context import core, store
from webui.i18n import known, translate
from webui.security import actor, requires

blueprint = Blueprint("admin", __name__)
AUDIT_PAGE = 50
FILTERS = ("actor", "action", "object_type", "object_id", "since", "until")
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}  # each in its own language, as in the header


def _label(prefix: str, key: str) -> str:
    """The words for an action, object type or field where the UI has them, else the stored key."""
    return translate(prefix + key, g.language) if known(prefix + key, g.language) else key


def _say(key: str, **params: Any) -> str:
    text = translate(key, g.language)
    return text.format(**params) if params else text


def _users_page(status: int = 200, **shown: Any) -> Any:
    page = render_template(
        "users.html",
        users=accounts.list_users(store()),
        roles=accounts.ROLES,
        languages=accounts.UI_LANGUAGES,
        language_names=LANGUAGE_NAMES,
        form=shown.pop("form", MultiDict()),
        **shown,
    )
    return page, status


def _refused(error: AccountRefused) -> str:
    return _say(error.key, **error.params)


def _done(key: str, changed: object, name: str) -> Any:
    flash(_say(key, name=name) if changed is not None else _say("already_done"), "ok")
    return redirect(url_for("admin.users"))


@blueprint.route("/users")
@requires("admin")
def users() -> Any:
    return _users_page()


@blueprint.route("/users/add", methods=["POST"])
@requires("admin")
def add() -> Any:
    """A new account; without a typed password one is generated. The password is shown once, on this
    response (not in a flash: the session cookie is signed, not encrypted)."""
    form = request.form
    password = form.get("password", "") or accounts.generate_password()
    try:
        user = accounts.add_user(
            store(),
            form.get("name", ""),
            form.getlist("roles"),
            password,
            form.get("language", "de"),
            actor(),
            handed_over=True,  # the admin hands the password over: the person changes it first
        )
    except AccountRefused as error:
        return _users_page(400, form=form, error=_refused(error))
    return _users_page(new_password=password, for_user=user.name, message=_say("user_added", name=user.name))


@blueprint.route("/users/<int:user_id>/roles", methods=["POST"])
@requires("admin")
def roles(user_id: int) -> Any:
    try:
        user = accounts.set_roles(
            store(), user_id, request.form.getlist("roles"), actor(), request.form.get("form_token")
        )
    except AccountRefused as error:
        return _users_page(400, error=_refused(error))
    return _done("roles_saved", user, user.name if user else "")


@blueprint.route("/users/<int:user_id>/<any(disable, enable):change>", methods=["POST"])
@requires("admin")
def disable(user_id: int, change: str) -> Any:
    """Disable (its sessions end now) or enable an account."""
    try:
        user = accounts.set_disabled(
            store(), user_id, change == "disable", actor(), request.form.get("form_token")
        )
    except AccountRefused as error:
        return _users_page(400, error=_refused(error))
    return _done(f"user_{change}d", user, user.name if user else "")


@blueprint.route("/users/<int:user_id>/password", methods=["POST"])
@requires("admin")
def reset_password(user_id: int) -> Any:
    """A new password for someone, typed or generated, shown once on this response."""
    try:
        password = accounts.reset_password(
            store(), user_id, request.form.get("password", ""), actor(), request.form.get("form_token")
        )
    except AccountRefused as error:
        return _users_page(400, error=_refused(error))
    if password is None:
        return _done("already_done", None, "")
    name = next(u.name for u in accounts.list_users(store()) if u.id == user_id)
    return _users_page(new_password=password, for_user=name, message=_say("password_reset", name=name))


def _account_page(error: str | None = None) -> Any:
    return render_template(
        "account.html", error=error, min_password=accounts.MIN_PASSWORD
    ), 400 if error else 200


@blueprint.route("/account", methods=["GET", "POST"])
@requires()
def account() -> Any:
    """A person changes their own password (the current one first); their other sessions end."""
    if request.method == "GET":
        return _account_page()
    form = request.form
    new = form.get("new_password", "")
    if new != form.get("repeat_password", ""):
        return _account_page(_say("passwords_differ"))
    try:
        accounts.change_own_password(
            store(), g.user, form.get("current_password", ""), new, session.get("sid"), form.get("form_token")
        )
    except AccountRefused as error:
        return _account_page(_refused(error))
    flash(_say("password_changed"), "ok")
    held_here = g.user.password_change_required  # as loaded before the change: on to their work now
    return redirect(url_for("auth.index") if held_here else url_for("admin.account"))


def _cursor(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None


@blueprint.route("/audit")
@requires("admin")
def audit() -> Any:
    """The audit log, newest first, filtered by actor, action, object and dates, a page at a time;
    each entry as the fields that changed."""
    args = request.args
    start, end = local_days(
        form_date(args.get("since")), form_date(args.get("until")), core().settings.tzinfo
    )
    where = AuditFilter(
        actor=args.get("actor") or None,
        action=args.get("action") or None,
        object_type=args.get("object_type") or None,
        object_id=args.get("object_id", "").strip() or None,
        start=start,
        end=end,
    )
    bad_dates = [name for name in ("since", "until") if args.get(name) and form_date(args.get(name)) is None]
    page = store().audit_page(
        where, older_than=_cursor("older"), newer_than=_cursor("newer"), limit=AUDIT_PAGE
    )
    filters = {k: args[k] for k in FILTERS if args.get(k)}
    return render_template(
        "audit.html",
        page=page,
        changes={entry.id: changes(entry) for entry in page.entries},
        choices=store().audit_choices(),
        where=where,
        filters=filters,
        error=_say("audit_date_invalid") if bad_dates else None,
        label=_label,
    )
