"""Triage (comms officers): the queue of flagged items, the item page and its decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, render_template, request

from factsandwich import review
from factsandwich.sandwich import CHANNEL_LIMITS, TONES
from webui import core, workflow
from webui.security import requires

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
    workflow.remember_queue()
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
