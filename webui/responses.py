"""Responses (spokespeople): edit the drafted sandwich (checked as it is typed) or draft it again in
another channel or tone, submit, approve or reject with a reason, reopen, record where it was posted,
copy, export as ClaimReview; and the comms officers' "my sent items"."""

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

from factsandwich import responses, triage
from factsandwich.errors import (
    ChecksFailed,
    EditConflict,
    LifecycleInputError,
    PartTooLong,
    ResponseExists,
    ResponseStateError,
    ReviewError,
    SecondApproverNeeded,
    StateChanged,
)
from factsandwich.sandwich import CHANNEL_LIMITS, PARTS, TONES
from webui.context import core, store
from webui.i18n import translate
from webui.security import actor, requires

blueprint = Blueprint("responses", __name__)


@blueprint.route("/responses")
@requires("spokesperson")
def index() -> Any:
    """The responses, by status; with `mine=1` only those assigned to the person."""
    status = request.args.get("status") or None
    status = status if status in responses.RESPONSE_STATUSES else None
    mine = request.args.get("mine") == "1"
    listed = responses.list_responses(store(), status, assigned_to=actor() if mine else None)
    postings = responses.postings_of(store(), [r.id for r in listed])
    states = {r.id: responses.state_of(r, postings[r.id]) for r in listed}
    return render_template(
        "responses.html",
        responses=listed,
        states=states,
        status=status,
        statuses=responses.RESPONSE_STATUSES,
        mine=mine,
    )


@blueprint.route("/sent")
@requires("comms")
def sent() -> Any:
    """ "My sent items": what happened to the items this comms officer sent to response."""
    return render_template("sent.html", sent=responses.sent_items(store(), actor()))


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
    postings = responses.postings_of(store(), [response_id])[response_id]
    return render_template(
        "response.html",
        response=response,
        state=responses.state_of(response, postings),
        postings=postings,
        editable=response.status in responses.EDITABLE_STATUSES,
        item=item,
        claim=claim,
        parts=PARTS,
        shown_parts=parts if parts is not None else response.parts,
        edit_error=error,
        max_part=responses.MAX_PART_CHARS,
        max_reason=responses.MAX_REASON_CHARS,
        problems=problems,
        limit=CHANNEL_LIMITS[response.channel],
        channels=list(CHANNEL_LIMITS),
        tones=TONES,
        diffs=responses.version_diffs(responses.response_versions(store(), response_id)),
        people=triage.assignable_people(store(), "response"),
        two_person=core().settings.two_person_approval,
        hours=round(duration.total_seconds() / 3600, 1) if duration else None,
        publisher=_publisher(),
    ), status


def _parts_of_form() -> dict[str, str]:
    # Browsers send line breaks as CRLF; the live counter and the checker count LF.
    return {name: request.form.get(name, "").replace("\r\n", "\n").strip() for name in PARTS}


def _version() -> int:
    return request.form.get("version", 0, type=int) or 0


def _back(response_id: int) -> Any:
    return redirect(url_for("responses.show", response_id=response_id), code=303)


def _refused(response_id: int, error: ReviewError | EditConflict) -> Any:
    """A lifecycle step the response's state, the version or the rules refused: said in the person's
    language on the response's page."""
    language = g.language
    if isinstance(error, EditConflict):
        message = translate("decide_conflict", language)
    elif isinstance(error, ChecksFailed):
        message = translate("approve_refused_checks", language)
    elif isinstance(error, SecondApproverNeeded):
        message = translate("second_approver_needed", language)
    elif isinstance(error, ResponseStateError):
        message = translate("response_state_refused", language).format(
            state=translate("response_status_" + error.status, language),
            step=translate("step_" + error.step, language),
        )
    elif isinstance(error, LifecycleInputError):
        message = translate("lifecycle_input_" + error.field, language)
    elif isinstance(error, ResponseExists):
        message = translate("reopen_response_exists", language)
    elif isinstance(error, StateChanged):
        message = translate("reopen_item_dismissed", language)
    else:
        raise error
    flash(message, "error")
    return _back(response_id)


@blueprint.route("/responses/<int:response_id>/edit", methods=["POST"])
@requires("spokesperson")
def edit(response_id: int) -> Any:
    response, _item, claim = _load(response_id)
    parts = _parts_of_form()
    try:
        responses.edit_response(
            store(),
            response_id,
            parts,
            _version(),
            actor(),
            request.form.get("form_token", ""),
            claim.canonical_myth(response.language),
        )
    except PartTooLong as error:
        message = translate("part_too_long", g.language).format(
            part=translate("part_" + error.part, g.language), n=error.length, max=responses.MAX_PART_CHARS
        )
        return _page(response_id, parts, message, 422)
    except ResponseStateError as error:
        return _refused(response_id, error)
    flash(translate("saved", g.language), "ok")
    return _back(response_id)


@blueprint.route("/responses/<int:response_id>/check", methods=["POST"])
@requires("spokesperson")
def check(response_id: int) -> Any:
    """The editor's live checks (app.js, debounced): the text as typed, checked by the same rule as
    the approval; nothing is saved. Login and CSRF (the X-CSRFToken header) as for every POST."""
    response, _item, claim = _load(response_id)
    result = responses.live_check(_parts_of_form(), response, claim, core().settings.office_country)
    return jsonify(
        problems=result.problems,
        length=result.length,
        limit=result.limit,
        too_long=[
            translate("part_too_long", g.language).format(
                part=translate("part_" + name, g.language), n=length, max=responses.MAX_PART_CHARS
            )
            for name, length in result.too_long
        ],
        ok=not result.problems and not result.too_long,
    )


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
            expected_version=_version(),
            claim=claim,
            office_country=core().settings.office_country,
            override=override,
            reason=request.form.get("reason", ""),
            two_person=core().settings.two_person_approval,
        )
    except (ReviewError, EditConflict) as error:
        return _refused(response_id, error)
    flash(translate("approved" if approve else "rejected", g.language), "ok")
    return _back(response_id)


@blueprint.route("/responses/<int:response_id>/approve", methods=["POST"])
@requires("spokesperson")
def approve(response_id: int) -> Any:
    return _decide(response_id, True)


@blueprint.route("/responses/<int:response_id>/reject", methods=["POST"])
@requires("spokesperson")
def reject(response_id: int) -> Any:
    return _decide(response_id, False)


@blueprint.route("/responses/<int:response_id>/submit", methods=["POST"])
@requires("spokesperson")
def submit(response_id: int) -> Any:
    _load(response_id)
    try:
        responses.submit_response(
            store(), response_id, _version(), actor(), request.form.get("form_token", "")
        )
    except (ReviewError, EditConflict) as error:
        return _refused(response_id, error)
    flash(translate("submitted", g.language), "ok")
    return _back(response_id)


@blueprint.route("/responses/<int:response_id>/reopen", methods=["POST"])
@requires("spokesperson")
def reopen(response_id: int) -> Any:
    _load(response_id)
    try:
        responses.reopen_response(
            store(), response_id, _version(), actor(), request.form.get("form_token", "")
        )
    except (ReviewError, EditConflict) as error:
        return _refused(response_id, error)
    flash(translate("reopened", g.language), "ok")
    return _back(response_id)


@blueprint.route("/responses/<int:response_id>/regenerate", methods=["POST"])
@requires("spokesperson")
def regenerate(response_id: int) -> Any:
    _response, _item, claim = _load(response_id)
    channel, tone = request.form.get("channel", ""), request.form.get("tone", "")
    if channel not in CHANNEL_LIMITS or tone not in TONES:
        abort(400)
    try:
        responses.regenerate_response(
            store(),
            response_id,
            claim,
            core().drafts,
            channel,
            tone,
            _version(),
            actor(),
            request.form.get("form_token", ""),
        )
    except (ReviewError, EditConflict) as error:
        return _refused(response_id, error)
    flash(translate("regenerated", g.language), "ok")
    return _back(response_id)


@blueprint.route("/responses/<int:response_id>/post", methods=["POST"])
@requires("spokesperson")
def post(response_id: int) -> Any:
    """Record a posting of the approved text: platform, the post's address, by whom, now."""
    _load(response_id)
    try:
        responses.add_posting(
            store(),
            response_id,
            request.form.get("platform", ""),
            request.form.get("url", ""),
            actor(),
            request.form.get("form_token", ""),
        )
    except (ReviewError, EditConflict) as error:
        return _refused(response_id, error)
    flash(translate("posting_recorded", g.language), "ok")
    return _back(response_id)


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


@blueprint.app_context_processor
def response_helpers() -> dict[str, Any]:
    """For the item page: the item's responses as its comms officer follows them (state, rejection
    reason, postings)."""

    def responses_of_item(item_id: int) -> list[responses.SentResponse]:
        found = responses.item_responses(store(), item_id)
        postings = responses.postings_of(store(), [r.id for r in found])
        return [
            responses.SentResponse(r, None, responses.state_of(r, postings[r.id]), postings[r.id])
            for r in found
        ]

    return {"responses_of_item": responses_of_item}
