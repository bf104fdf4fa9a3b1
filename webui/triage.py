"""Triage (comms officers): the queue of flagged items, the item page and its decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from factsandwich import review
from factsandwich.sandwich import CHANNEL_LIMITS, TONES
from webui import core
from webui.security import actor, requires

blueprint = Blueprint("triage", __name__)
PER_PAGE = 25
MAX_PAGE = 1_000_000  # pages beyond it are empty anyway; far beyond it overflows the OFFSET


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _store() -> Any:
    store = core().store
    if store is None:
        abort(500)
    return store


@blueprint.route("/triage")
@requires("comms")
def queue() -> Any:
    args = request.args
    status = args.get("status", "new")
    filters = review.QueueFilter(
        status=status if status in review.ITEM_STATUSES else None,
        claim=args.get("claim") or None,
        language=args.get("language") if args.get("language") in ("de", "en") else None,
        source=args.get("source") or None,
        since=_date(args.get("since")),
        until=_date(args.get("until")),
    )
    page = min(max(args.get("page", 1, type=int) or 1, 1), MAX_PAGE)  # a huge number is the last page
    items, total = review.triage_queue(_store(), filters, page, PER_PAGE)
    return render_template(
        "triage.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        statuses=review.ITEM_STATUSES,
        claims=core().claims,
        sources=review.queue_sources(_store()),
        reasons=review.DISMISS_REASONS,
    )


@blueprint.route("/items/<int:item_id>")
@requires("comms", "spokesperson")
def item(item_id: int) -> Any:
    row = review.get_item(_store(), item_id)
    if row is None:
        abort(404)
    classifier = core().classifier
    threshold = core().settings.flag_threshold or classifier.threshold
    return render_template(
        "item.html",
        item=row,
        threshold=threshold,
        claims=core().claims,
        reasons=review.DISMISS_REASONS,
        marks=review.MARKS,
        channels=list(CHANNEL_LIMITS),
        tones=TONES,
    )


@blueprint.route("/items/<int:item_id>/dismiss", methods=["POST"])
@requires("comms")
def dismiss(item_id: int) -> Any:
    review.dismiss(
        _store(), [item_id], request.form.get("reason", ""), actor(), request.form.get("form_token", "")
    )
    return redirect(url_for("triage.queue"))


@blueprint.route("/triage/dismiss", methods=["POST"])
@requires("comms")
def bulk_dismiss() -> Any:
    ids = [int(i) for i in request.form.getlist("item_id") if i.isdigit()]
    review.dismiss(_store(), ids, request.form.get("reason", ""), actor(), request.form.get("form_token", ""))
    return redirect(url_for("triage.queue"))


@blueprint.route("/items/<int:item_id>/mark", methods=["POST"])
@requires("comms")
def mark(item_id: int) -> Any:
    review.mark(_store(), item_id, request.form.get("kind", ""), actor(), request.form.get("form_token", ""))
    return redirect(url_for("triage.item", item_id=item_id))


@blueprint.route("/items/<int:item_id>/respond", methods=["POST"])
@requires("comms")
def respond(item_id: int) -> Any:
    claim = core().claims.get(request.form.get("claim_id", ""))
    if claim is None:
        abort(400)
    channel = request.form.get("channel", "short")
    tone = request.form.get("tone", "factual")
    if channel not in CHANNEL_LIMITS or tone not in TONES:
        abort(400)
    response_id = review.send_to_response(
        _store(), item_id, claim, core().drafts, actor(), request.form.get("form_token", ""), channel, tone
    )
    if response_id is None:
        return redirect(url_for("triage.queue"))
    if g.user.has("spokesperson"):
        return redirect(url_for("responses.show", response_id=response_id))
    return redirect(url_for("triage.queue"))
