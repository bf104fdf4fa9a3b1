"""Triage (comms officers): the queue of flagged items, the item page and its decisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from factsandwich import notifications, triage
from factsandwich.dates import form_date
from factsandwich.errors import ReviewError
from factsandwich.sandwich import CHANNEL_LIMITS, TONES
from webui import workflow
from webui.context import core, store
from webui.i18n import translate
from webui.security import actor, requires

blueprint = Blueprint("triage", __name__)
PER_PAGE = 25
MAX_PAGE = 1_000_000  # pages beyond it are empty anyway; far beyond it overflows the OFFSET


@blueprint.route("/triage")
@requires("comms")
def queue() -> Any:
    args = request.args
    status = args.get("status", "new")
    q = args.get("q", "").strip()
    if len(q) > triage.MAX_SEARCH_CHARS:
        flash(translate("search_too_long", g.language).format(n=triage.MAX_SEARCH_CHARS), "error")
        q = ""
    elif q and not triage.search_words(q):
        flash(translate("search_no_words", g.language), "error")
    filters = triage.QueueFilter(
        status=status if status in triage.ITEM_STATUSES else None,
        claim=args.get("claim") or None,
        language=args.get("language") if args.get("language") in ("de", "en") else None,
        source=args.get("source") or None,
        since=form_date(args.get("since")),
        until=form_date(args.get("until")),
        q=q or None,
        assigned_to=actor() if args.get("mine") == "1" else None,
    )
    page = min(max(args.get("page", 1, type=int) or 1, 1), MAX_PAGE)  # a huge number is the last page
    items, total = triage.triage_queue(store(), filters, page, PER_PAGE)
    workflow.remember_queue()
    return render_template(
        "triage.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        statuses=triage.ITEM_STATUSES,
        claims=core().claims,
        sources=triage.queue_sources(store()),
        reasons=triage.DISMISS_REASONS,
        notes=triage.note_counts(store(), [item.id for item in items]),
        mine=args.get("mine") == "1",
        other_args={k: v for k, v in args.items() if k not in ("page", "mine")},
    )


@blueprint.route("/items/<int:item_id>")
@requires("comms", "spokesperson")
def item(item_id: int, note_text: str = "") -> Any:
    row = triage.get_item(store(), item_id)
    if row is None:
        abort(404)
    threshold = core().flag_threshold
    return render_template(
        "item.html",
        item=row,
        threshold=threshold,
        claims=core().claims,
        reasons=triage.DISMISS_REASONS,
        marks=triage.MARKS,
        channels=list(CHANNEL_LIMITS),
        tones=TONES,
        notes=triage.item_notes(store(), item_id),
        people=triage.assignable_people(store(), "item"),
        note_text=note_text,
    )


@blueprint.route("/items/<int:item_id>/dismiss", methods=["POST"])
@requires("comms")
def dismiss(item_id: int) -> Any:
    return workflow.dismiss([item_id])


@blueprint.route("/triage/dismiss", methods=["POST"])
@requires("comms")
def bulk_dismiss() -> Any:
    ids = [int(i) for i in request.form.getlist("item_id") if i.isdigit()]
    return workflow.dismiss(ids)


@blueprint.route("/items/<int:item_id>/mark", methods=["POST"])
@requires("comms")
def mark(item_id: int) -> Any:
    return workflow.mark(item_id)


@blueprint.route("/items/<int:item_id>/respond", methods=["POST"])
@requires("comms")
def respond(item_id: int) -> Any:
    return workflow.respond(item_id)


@blueprint.route("/items/<int:item_id>/assign", methods=["POST"])
@requires("comms")
def assign(item_id: int) -> Any:
    """Give the item to a person of the office ("me" is the person's own name), or to nobody."""
    person = request.form.get("person") or None
    try:
        triage.assign_item(store(), item_id, person, actor(), request.form.get("form_token", ""))
    except ReviewError:
        flash(translate("assign_refused", g.language), "error")
        return redirect(url_for("triage.item", item_id=item_id), code=303)
    message = translate("assigned_to", g.language).format(person=person) if person else None
    flash(message or translate("unassigned", g.language), "ok")
    return workflow.go_back(url_for("triage.item", item_id=item_id))


@blueprint.route("/responses/<int:response_id>/assign", methods=["POST"])
@requires("spokesperson")
def assign_response(response_id: int) -> Any:
    person = request.form.get("person") or None
    try:
        triage.assign_response(store(), response_id, person, actor(), request.form.get("form_token", ""))
    except ReviewError:
        flash(translate("assign_refused", g.language), "error")
    else:
        flash(translate("assigned_to", g.language).format(person=person or "–"), "ok")
    return workflow.go_back(url_for("responses.show", response_id=response_id))


@blueprint.route("/items/<int:item_id>/notes", methods=["POST"])
@requires("comms", "spokesperson")
def add_note(item_id: int) -> Any:
    """A comment on the item; an empty or overlong one is refused with its text kept in the form."""
    text = request.form.get("text", "")
    try:
        triage.add_note(store(), item_id, text, actor(), request.form.get("form_token", ""))
    except ReviewError:
        flash(translate("note_refused", g.language).format(n=triage.MAX_NOTE_CHARS), "error")
        return item(item_id, note_text=text)
    flash(translate("note_added", g.language), "ok")
    return redirect(url_for("triage.item", item_id=item_id) + "#notes", code=303)


@blueprint.route("/notifications")
@requires()
def notifications_page() -> Any:
    """The person's unread notifications; opening the page does not mark them read (a button does)."""
    return render_template("notifications.html", unread=notifications.notifications_for(store(), g.user))


@blueprint.route("/notifications/read", methods=["POST"])
@requires()
def notifications_read() -> Any:
    notifications.mark_read(store(), g.user)
    flash(translate("notifications_read", g.language), "ok")
    return workflow.go_back(url_for("triage.notifications_page"))


@blueprint.app_context_processor
def notification_helpers() -> dict[str, Any]:
    """The header's count of unread notifications, queried only when a page shows it."""

    def notification_count() -> int:
        if g.get("user") is None:
            return 0
        if "_notification_count" not in g:
            g._notification_count = notifications.notifications_for(store(), g.user).count
        return int(g._notification_count)

    return {"notification_count": notification_count}
