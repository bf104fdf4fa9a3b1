"""Responses (spokespeople): edit the drafted sandwich, approve or reject, copy, export as ClaimReview."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for

from factsandwich import review
from factsandwich.sandwich import CHANNEL_LIMITS, PARTS, check_parts
from webui import core
from webui.security import actor, requires
from webui.triage import _store

blueprint = Blueprint("responses", __name__)


@blueprint.route("/responses")
@requires("spokesperson")
def index() -> Any:
    status = request.args.get("status") or None
    return render_template("responses.html", responses=review.list_responses(_store(), status), status=status)


def _load(response_id: int) -> tuple[Any, Any, Any]:
    response = review.get_response(_store(), response_id)
    if response is None:
        abort(404)
    item = review.get_item(_store(), response.item_id)
    claim = core().claims.get(response.claim_id)
    if item is None or claim is None:
        abort(404)
    return response, item, claim


@blueprint.route("/responses/<int:response_id>")
@requires("spokesperson")
def show(response_id: int) -> Any:
    response, item, claim = _load(response_id)
    problems = check_parts(
        response.parts, response.channel, claim.canonical_myth(response.language), claim.status
    )
    duration = review.time_to_approval(item, response)
    return render_template(
        "response.html",
        response=response,
        item=item,
        claim=claim,
        parts=PARTS,
        problems=problems,
        limit=CHANNEL_LIMITS[response.channel],
        versions=review.response_versions(_store(), response_id),
        hours=round(duration.total_seconds() / 3600, 1) if duration else None,
    )


@blueprint.route("/responses/<int:response_id>/edit", methods=["POST"])
@requires("spokesperson")
def edit(response_id: int) -> Any:
    response, _item, claim = _load(response_id)
    # Browsers send line breaks as CRLF; the live counter and the checker count LF.
    parts = {name: request.form.get(name, "").replace("\r\n", "\n").strip() for name in PARTS}
    review.edit_response(
        _store(),
        response_id,
        parts,
        request.form.get("version", 0, type=int) or 0,
        actor(),
        request.form.get("form_token", ""),
        claim.canonical_myth(response.language),
    )
    return redirect(url_for("responses.show", response_id=response_id))


@blueprint.route("/responses/<int:response_id>/approve", methods=["POST"])
@requires("spokesperson")
def approve(response_id: int) -> Any:
    review.decide_response(_store(), response_id, True, actor(), request.form.get("form_token", ""))
    return redirect(url_for("responses.show", response_id=response_id))


@blueprint.route("/responses/<int:response_id>/reject", methods=["POST"])
@requires("spokesperson")
def reject(response_id: int) -> Any:
    review.decide_response(_store(), response_id, False, actor(), request.form.get("form_token", ""))
    return redirect(url_for("responses.show", response_id=response_id))


@blueprint.route("/responses/<int:response_id>/claimreview.json")
@requires("spokesperson")
def claimreview(response_id: int) -> Any:
    response, item, claim = _load(response_id)
    if response.status != "approved":
        abort(404)
    return jsonify(review.claim_review(response, item, claim, current_app.config["ORGANISATION"]))
