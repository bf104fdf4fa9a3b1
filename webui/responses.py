"""Responses (spokespeople): edit the drafted sandwich, approve or reject, copy, export as ClaimReview."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from factsandwich import responses
from factsandwich.errors import ChecksFailed, EditConflict, PartTooLong
from factsandwich.sandwich import CHANNEL_LIMITS, PARTS
from webui.context import core, store
from webui.i18n import translate
from webui.security import actor, requires

blueprint = Blueprint("responses", __name__)


@blueprint.route("/responses")
@requires("spokesperson")
def index() -> Any:
    status = request.args.get("status") or None
    listed = responses.list_responses(store(), status)
    return render_template("responses.html", responses=listed, status=status)


def _load(response_id: int) -> tuple[Any, Any, Any]:
    response = responses.get_response(store(), response_id)
    if response is None:
        abort(404)
    item = store().get_item(response.item_id)
    claim = core().claims.get(response.claim_id)
    if item is None or claim is None:
        abort(404)
    return response, item, claim


@blueprint.route("/responses/<int:response_id>")
@requires("spokesperson")
def show(response_id: int) -> Any:
    return _page(response_id)


def _page(
    response_id: int, parts: dict[str, str] | None = None, error: str | None = None, status: int = 200
) -> Any:
    """The response's page; `parts` (with `error`) shows a refused edit as it was typed, not lost."""
    response, item, claim = _load(response_id)
    problems = responses.response_problems(response, claim, core().settings.office_country)
    duration = responses.time_to_approval(item, response)
    return render_template(
        "response.html",
        response=response,
        item=item,
        claim=claim,
        parts=PARTS,
        shown_parts=parts if parts is not None else response.parts,
        edit_error=error,
        max_part=responses.MAX_PART_CHARS,
        problems=problems,
        limit=CHANNEL_LIMITS[response.channel],
        versions=responses.response_versions(store(), response_id),
        hours=round(duration.total_seconds() / 3600, 1) if duration else None,
        publisher=_publisher(),
    ), status


@blueprint.route("/responses/<int:response_id>/edit", methods=["POST"])
@requires("spokesperson")
def edit(response_id: int) -> Any:
    response, _item, claim = _load(response_id)
    # Browsers send line breaks as CRLF; the live counter and the checker count LF.
    parts = {name: request.form.get(name, "").replace("\r\n", "\n").strip() for name in PARTS}
    try:
        responses.edit_response(
            store(),
            response_id,
            parts,
            request.form.get("version", 0, type=int) or 0,
            actor(),
            request.form.get("form_token", ""),
            claim.canonical_myth(response.language),
        )
    except PartTooLong as error:
        message = translate("part_too_long", g.language).format(
            part=translate("part_" + error.part, g.language), n=error.length, max=responses.MAX_PART_CHARS
        )
        return _page(response_id, parts, message, 422)
    flash(translate("saved", g.language), "ok")
    return redirect(url_for("responses.show", response_id=response_id), code=303)


def _decide(response_id: int, approve: bool) -> Any:
    """Approve or reject the version the page showed; a refusal is said on the response's page."""
    _response, _item, claim = _load(response_id)
    override = approve and request.form.get("override") == "1"
    if override and "admin" not in g.user.roles:
        abort(403)  # only an admin may approve over the checks, and it is audited
    try:
        responses.decide_response(
            store(),
            response_id,
            approve,
            actor(),
            request.form.get("form_token", ""),
            expected_version=request.form.get("version", 0, type=int) or 0,
            claim=claim,
            office_country=core().settings.office_country,
            override=override,
        )
    except ChecksFailed:
        flash(translate("approve_refused_checks", g.language), "error")
        return redirect(url_for("responses.show", response_id=response_id), code=303)
    except EditConflict:
        flash(translate("decide_conflict", g.language), "error")
        return redirect(url_for("responses.show", response_id=response_id), code=303)
    flash(translate("approved" if approve else "rejected", g.language), "ok")
    return redirect(url_for("responses.show", response_id=response_id))


@blueprint.route("/responses/<int:response_id>/approve", methods=["POST"])
@requires("spokesperson")
def approve(response_id: int) -> Any:
    return _decide(response_id, True)


@blueprint.route("/responses/<int:response_id>/reject", methods=["POST"])
@requires("spokesperson")
def reject(response_id: int) -> Any:
    return _decide(response_id, False)


@blueprint.route("/responses/<int:response_id>/claimreview.json")
@requires("spokesperson")
def claimreview(response_id: int) -> Any:
    response, item, claim = _load(response_id)
    if response.status != "approved":
        abort(404)
    publisher = _publisher()
    if not publisher.organisation:
        message = translate("organisation_missing", g.language)
        return render_template("error.html", message=message), 409
    return jsonify(responses.claim_review(response, item, claim, publisher))


def _publisher() -> responses.Publisher:
    """Configuration: FACTSANDWICH_ORGANISATION, _ORGANISATION_URL, _RESPONSE_URL (or the app's
    ORGANISATION setting, for an embedding application)."""
    settings = core().settings
    name = str(current_app.config.get("ORGANISATION") or settings.organisation)
    return responses.Publisher(name, settings.organisation_url, settings.response_url)
