"""The read-only JSON API for partner organisations (issue 14): narratives and approved responses.

Every request carries a partner's token (`Authorization: Bearer fsw_…`, created by an admin with
`factsandwich api-token create NAME`); an unknown or revoked token is a 401, more than
FACTSANDWICH_API_RATE_LIMIT requests a minute a 429 with Retry-After (counted in the database, so
the limit holds across web workers). Only GET; the same library calls as the web UI and the CLI.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from factsandwich import narratives, partners
from factsandwich.dates import form_date, utcnow
from factsandwich.errors import NotFound
from factsandwich.storage import narratives as stored
from factsandwich.storage.office import get_response
from webui.context import core, store

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_NARRATIVES = 200


def _error(status: int, message: str) -> Any:
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="factsandwich"'
    if status == 429:
        response.headers["Retry-After"] = str(int(partners.WINDOW.total_seconds()))
    return response


@blueprint.before_request
def authorise() -> Any:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "send a partner token: Authorization: Bearer <token>")
    access = partners.authorise(store(), token.strip(), now=utcnow(), limit=partners.rate_limit())
    if access.status == 401:
        return _error(401, "unknown or revoked token")
    if access.status == 429:
        return _error(429, "too many requests; wait a minute")
    g.partner, g.remaining = access.partner, access.remaining
    return None


@blueprint.after_request
def no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    if "remaining" in g:
        response.headers["X-RateLimit-Remaining"] = str(g.remaining)
    return response


@blueprint.route("/narratives")
def list_narratives() -> Any:
    language = request.args.get("language")
    if language not in (None, "de", "en"):
        return _error(400, "language must be de or en")
    since = form_date(request.args.get("since"))
    if request.args.get("since") and since is None:
        return _error(400, "since must be a date (YYYY-MM-DD)")
    views = narratives.list_narratives(
        store(),
        core().claims,
        since=since,
        language=language,
        claim_id=request.args.get("claim") or None,
        limit=MAX_NARRATIVES,
        examples=0,
    )
    return jsonify({"narratives": [_record(v) for v in views]})


@blueprint.route("/narratives/<narrative_id>")
def narrative(narrative_id: str) -> Any:
    try:
        view = narratives.get_narrative(store(), narrative_id, core().claims)
    except NotFound:
        abort(404)
    return jsonify(_record(view))


def _record(view: narratives.NarrativeView) -> dict[str, Any]:
    response = get_response(store(), view.info.response_id) if view.info.response_id else None
    return narratives.export_record(view, response)


@blueprint.route("/responses")
def responses() -> Any:
    claim = request.args.get("claim") or None
    rows = stored.approved_responses(store(), claim, limit=500)
    return jsonify(
        {
            "responses": [
                {
                    "id": r.id,
                    "claim_id": r.claim_id,
                    "language": r.language,
                    "channel": r.channel,
                    "text": r.text,
                    "approved_at": r.approved_at.isoformat() if r.approved_at else None,
                }
                for r in rows
            ]
        }
    )


@blueprint.errorhandler(404)
def not_found(_error_: Exception) -> Any:
    return _error(404, "not found")
