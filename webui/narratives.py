"""Narratives (comms officers), emerging myths (editors), alert settings (everyone) and exports for
allies: the web face of factsandwich.narratives and factsandwich.alerting (issue 14)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from factsandwich import alerting, alerts, narratives, triage
from factsandwich.dates import form_date
from factsandwich.errors import ConfigError, EditConflict, NotFound, ReviewError
from factsandwich.storage import narratives as stored
from factsandwich.storage.office import get_response
from webui.claims_editor import _editor
from webui.context import core, store
from webui.i18n import translate
from webui.security import actor, requires
from webui.workflow import go_back

blueprint = Blueprint("narratives", __name__)
PER_PAGE = 30


def _say(key: str, **values: Any) -> str:
    text = translate(key, g.language)
    return text.format(**values) if values else text


def _token() -> str:
    token = request.form.get("form_token", "")
    if not token:
        abort(400)
    return token


@blueprint.route("/narratives")
@requires("comms", "spokesperson")
def index() -> Any:
    args = request.args
    language = args.get("language") if args.get("language") in ("de", "en") else None
    since = form_date(args.get("since"))
    claim = args.get("claim") or None
    views = narratives.list_narratives(
        store(), core().claims, since=since, language=language, claim_id=claim, limit=PER_PAGE
    )
    suggestions = {}
    for claim_id in {v.info.claim_id for v in views if v.info.claim_id}:
        entries, best = narratives.repeat(store(), claim_id)
        suggestions[claim_id] = (entries, best)
    return render_template(
        "narratives.html",
        views=views,
        suggestions=suggestions,
        reasons=triage.DISMISS_REASONS,
        filters={"language": language, "since": since, "claim": claim},
        claims=core().claims,
    )


@blueprint.route("/narratives/<narrative_id>")
@requires("comms", "spokesperson")
def detail(narrative_id: str) -> Any:
    try:
        view = narratives.get_narrative(store(), narrative_id, core().claims)
    except NotFound:
        abort(404)
    entries, best = narratives.repeat(store(), view.info.claim_id) if view.info.claim_id else ([], None)
    others = [
        v
        for v in narratives.list_narratives(store(), core().claims, claim_id=view.info.claim_id, examples=0)
        if v.info.id != narrative_id
    ]
    return render_template(
        "narratives_detail.html",
        view=view,
        entries=entries,
        best=best,
        others=others,
        reasons=triage.DISMISS_REASONS,
    )


@blueprint.route("/narratives/<narrative_id>/answer", methods=["POST"])
@requires("comms")
def answer(narrative_id: str) -> Any:
    response_id = request.form.get("response_id", type=int)
    if response_id is None:
        abort(400)
    try:
        answered = narratives.answer_once(store(), narrative_id, response_id, actor(), _token())
    except NotFound:
        abort(404)
    if answered is not None:
        flash(_say("answered_once", n=answered), "ok")
    return go_back(url_for("narratives.index"))


@blueprint.route("/narratives/<narrative_id>/dismiss", methods=["POST"])
@requires("comms")
def dismiss(narrative_id: str) -> Any:
    reason = request.form.get("reason", "")
    try:
        changed = narratives.dismiss(store(), narrative_id, reason, actor(), _token())
    except NotFound:
        abort(404)
    flash(_say("narrative_dismissed", n=changed), "ok")
    return go_back(url_for("narratives.index"))


@blueprint.route("/narratives/<narrative_id>/split", methods=["POST"])
@requires("comms")
def split(narrative_id: str) -> Any:
    move = [int(i) for i in request.form.getlist("item_id") if i.isdigit()]
    version = request.form.get("version", type=int)
    try:
        new_id = narratives.split(
            store(), core().encoder, narrative_id, move, actor(), _token(), expected_version=version
        )
    except NotFound:
        abort(404)
    except (ReviewError, EditConflict) as error:
        flash(_say("split_refused") + f" ({error})", "error")
        return redirect(url_for("narratives.detail", narrative_id=narrative_id), code=303)
    flash(_say("narrative_split"), "ok")
    return redirect(url_for("narratives.detail", narrative_id=new_id or narrative_id), code=303)


@blueprint.route("/narratives/<narrative_id>/merge", methods=["POST"])
@requires("comms")
def merge(narrative_id: str) -> Any:
    other = request.form.get("other", "")
    version = request.form.get("version", type=int)
    try:
        narratives.merge(
            store(), core().encoder, narrative_id, other, actor(), _token(), expected_version=version
        )
    except NotFound:
        abort(404)
    except (ReviewError, EditConflict) as error:
        flash(_say("merge_refused") + f" ({error})", "error")
        return redirect(url_for("narratives.detail", narrative_id=narrative_id), code=303)
    flash(_say("narrative_merged"), "ok")
    return redirect(url_for("narratives.detail", narrative_id=narrative_id), code=303)


def _export_records(narrative_id: str) -> list[dict[str, Any]]:
    try:
        view = narratives.get_narrative(store(), narrative_id, core().claims)
    except NotFound:
        abort(404)
    response = get_response(store(), view.info.response_id) if view.info.response_id else None
    return [narratives.export_record(view, response)]


@blueprint.route("/narratives/<narrative_id>/export.json")
@requires("comms", "spokesperson")
def export_json(narrative_id: str) -> Any:
    body = json.dumps(_export_records(narrative_id)[0], ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="narrative-{narrative_id}.json"'},
    )


@blueprint.route("/narratives/<narrative_id>/export.csv")
@requires("comms", "spokesperson")
def export_csv(narrative_id: str) -> Any:
    return Response(
        narratives.export_csv(_export_records(narrative_id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="narrative-{narrative_id}.csv"'},
    )


@blueprint.route("/emerging")
@requires("editor")
def emerging() -> Any:
    language = request.args.get("language") if request.args.get("language") in ("de", "en") else None
    return render_template("emerging.html", views=narratives.emerging(store(), language=language))


@blueprint.route("/emerging/<cluster_id>/pair")
@requires("editor")
def pair_from(cluster_id: str) -> Any:
    """The claim editor, pre-filled with the cluster's posts as the myth's wordings."""
    try:
        view = narratives.get_emerging(store(), cluster_id)
    except NotFound:
        abort(404)
    return _editor(narratives.pair_draft(view), new=True)


@blueprint.route("/alerts", methods=["GET", "POST"])
@requires()
def settings() -> Any:
    user = g.user
    if request.method == "POST":
        channel = request.form.get("channel", "")
        target = request.form.get("target", "").strip()
        kinds = [k for k in request.form.getlist("kind") if k in alerts.KINDS]
        language = request.form.get("language", "de")
        language = language if language in ("de", "en") else "de"
        try:
            alerting.add_subscription(
                store(),
                person=user.name,
                email=target if channel == "email" else None,
                webhook=target if channel == "webhook" else None,
                kinds=kinds,
                language=language,
                actor=user.name,
            )
        except ConfigError as error:
            flash(str(error), "error")
            return redirect(url_for("narratives.settings"), code=303)
        flash(_say("alert_saved"), "ok")
        return redirect(url_for("narratives.settings"), code=303)
    log = stored.alert_log(store(), 100) if user.has("admin") else []
    return render_template(
        "alerts.html",
        targets=stored.alert_targets(store(), user.name),
        kinds=alerts.KINDS,
        log=log,
    )


@blueprint.route("/alerts/<int:target_id>/remove", methods=["POST"])
@requires()
def remove_target(target_id: int) -> Any:
    if not stored.remove_alert_target(store(), target_id, g.user.name, g.user.name):
        abort(404)
    flash(_say("alert_removed"), "ok")
    return redirect(url_for("narratives.settings"), code=303)
