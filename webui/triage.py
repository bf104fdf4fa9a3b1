"""Triage (comms officers): the queue of flagged items, the item page and its decisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from factsandwich import triage
from factsandwich.dates import form_date
from factsandwich.sandwich import CHANNEL_LIMITS, TONES
from webui import workflow
from webui.context import core, store
from webui.security import requires

blueprint = Blueprint("triage", __name__)
PER_PAGE = 25
MAX_PAGE = 1_000_000  # pages beyond it are empty anyway; far beyond it overflows the OFFSET


@blueprint.route("/triage")
@requires("comms")
def queue() -> Any:
    args = request.args
    status = args.get("status", "new")
    filters = triage.QueueFilter(
        status=status if status in triage.ITEM_STATUSES else None,
        claim=args.get("claim") or None,
        language=args.get("language") if args.get("language") in ("de", "en") else None,
        source=args.get("source") or None,
        since=form_date(args.get("since")),
        until=form_date(args.get("until")),
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
    )


@blueprint.route("/items/<int:item_id>")
@requires("comms", "spokesperson")
def item(item_id: int) -> Any:
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
