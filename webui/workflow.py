"""What the review pages share: asking before acting on an item that changed, and going back to where
the person was (the queue with its filters and page) with a message about what happened."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from factsandwich import triage
from factsandwich.errors import NotFound, ResponseExists, StateChanged
from factsandwich.sandwich import CHANNEL_LIMITS, TONES
from webui.context import core, store
from webui.i18n import translate
from webui.security import requires

blueprint = Blueprint("workflow", __name__)


def back_target(default: str) -> str:
    """The page to return to after an action: the form's `next` (a same-site path only), else `default`."""
    target = request.form.get("next", "")
    if not target or len(target) > 2000 or any(c.isspace() or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def go_back(default: str) -> Any:
    return redirect(back_target(default), code=303)


def remember_queue() -> None:
    """The queue as the person last saw it (filters, page): where actions on its items return to."""
    session["queue_url"] = request.full_path.rstrip("?")


def queue_url() -> str:
    value = session.get("queue_url")
    return value if isinstance(value, str) and value.startswith("/triage") else url_for("triage.queue")


def confirm_state_change(error: StateChanged) -> Any:
    """The action, unchanged, on a page that says what happened to the item meanwhile: one click to
    do it anyway (confirmed), or back to the item."""
    fields = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", "form_token", "confirmed")
    ]
    message = translate("state_changed", g.language).format(
        seen=translate("status_" + error.seen, g.language),
        current=translate("status_" + error.current, g.language),
    )
    return (
        render_template(
            "confirm.html",
            message=message,
            action=request.path,
            fields=fields,
            item_url=url_for("triage.item", item_id=error.item_id),
        ),
        409,
    )


def _seen_status() -> str | None:
    value = request.form.get("seen_status") or None
    return value if value in triage.ITEM_STATUSES else None


def _confirmed() -> bool:
    return request.form.get("confirmed") == "1"


def respond(item_id: int) -> Any:
    """Send an item to response with the pair the person chose (never one chosen for them)."""
    from webui.security import actor

    claim = core().claims.get(request.form.get("claim_id", ""))
    if claim is None:
        flash(translate("choose_claim", g.language), "error")
        return redirect(url_for("triage.item", item_id=item_id), code=303)
    channel = request.form.get("channel", "short")
    tone = request.form.get("tone", "factual")
    if channel not in CHANNEL_LIMITS or tone not in TONES:
        abort(400)
    try:
        response_id = triage.send_to_response(
            store(),
            item_id,
            claim,
            core().drafts,
            actor(),
            request.form.get("form_token", ""),
            channel,
            tone,
            seen_status=_seen_status(),
            confirmed=_confirmed(),
        )
    except StateChanged as error:
        return confirm_state_change(error)
    except ResponseExists as error:
        flash(translate("response_exists", g.language), "error")
        if g.user.has("spokesperson"):
            return redirect(url_for("responses.show", response_id=error.response_id), code=303)
        return redirect(url_for("triage.item", item_id=item_id), code=303)
    if response_id is None:
        flash(translate("already_done", g.language), "ok")
        return go_back(queue_url())
    if g.user.has("spokesperson"):
        flash(translate("response_drafted", g.language), "ok")
        return redirect(url_for("responses.show", response_id=response_id), code=303)
    flash(translate("response_sent", g.language), "ok")
    return go_back(queue_url())


def dismiss(item_ids: list[int]) -> Any:
    from webui.security import actor

    try:
        changed = triage.dismiss(
            store(),
            item_ids,
            request.form.get("reason", ""),
            actor(),
            request.form.get("form_token", ""),
            seen_status=_seen_status(),
            confirmed=_confirmed(),
        )
    except StateChanged as error:
        return confirm_state_change(error)
    skipped = len(set(item_ids)) - changed
    message = translate("dismissed_n", g.language).format(n=changed)
    if skipped and len(item_ids) > 1:
        message += " " + translate("skipped_n", g.language).format(n=skipped)
    if changed:
        # The message carries the ids for its undo button (base.html); flash accepts any JSON value.
        flash({"text": message, "undo": sorted(set(item_ids))}, "undo")  # type: ignore[arg-type]
    else:
        flash(message, "ok")
    return go_back(queue_url())


@blueprint.route("/triage/undo", methods=["POST"])
@requires("comms")
def undo() -> Any:
    from webui.security import actor

    ids = [int(i) for i in request.form.getlist("item_id") if i.isdigit()]
    changed = triage.undo_dismiss(store(), ids, actor(), request.form.get("form_token", ""))
    flash(translate("undone_n", g.language).format(n=changed), "ok")
    return go_back(queue_url())


def mark(item_id: int) -> Any:
    from webui.security import actor

    kind = request.form.get("kind", "")
    try:
        triage.mark(
            store(),
            item_id,
            kind,
            actor(),
            request.form.get("form_token", ""),
            seen_status=_seen_status(),
            confirmed=_confirmed(),
        )
    except StateChanged as error:
        return confirm_state_change(error)
    flash(translate("marked_as", g.language).format(kind=translate(kind, g.language)), "ok")
    return go_back(url_for("triage.item", item_id=item_id))


@blueprint.route("/items/<int:item_id>/propose", methods=["POST"])
@requires("comms")
def propose(item_id: int) -> Any:
    from webui.security import actor

    triage.propose_pair(store(), item_id, actor(), request.form.get("form_token", ""))
    flash(translate("proposed", g.language), "ok")
    return redirect(url_for("triage.item", item_id=item_id), code=303)


@blueprint.app_errorhandler(NotFound)
def not_found(error: NotFound) -> Any:
    """An action on an item or a response that does not exist: the 404 page, as for an unknown address
    (the other refusals of the library are 400 or 409, in webui/__init__.py)."""
    return render_template("error.html", message=str(error)), 404


@blueprint.app_errorhandler(413)
def too_large(_error: Exception) -> Any:
    """A request over the upload limit (MAX_CONTENT_LENGTH): said in words, in the person's language."""
    from flask import current_app

    from webui.security import load_user

    load_user()
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    message = translate("request_too_large", g.language).format(mb=max(1, limit // (1024 * 1024)))
    return render_template("error.html", message=message), 413


@blueprint.app_context_processor
def queue_helpers() -> dict[str, Any]:
    """For the queue's rows: a readable source name and the item's age (from its publication, else
    from when it was first seen)."""

    def source_name(source: str) -> str:

        names = g.get("_source_names")
        if names is None:
            names = g._source_names = triage.source_names(store())
        return str(names.get(source, source))

    def item_age(item: Any) -> triage.Age | None:
        return triage.age(item.published_at or item.fetched_at)

    return {"source_name": source_name, "item_age": item_age}
