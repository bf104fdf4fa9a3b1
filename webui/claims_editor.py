"""The claims editor (editors): list, search, add and edit pairs with validation and a draft preview,
history, and export/import in the claims_db/ YAML format. Saved changes take effect in matching at once."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for

from factsandwich import triage
from factsandwich.claims import FALLACIES, LANGUAGES, STATUSES, Claim, claim_from_data
from factsandwich.errors import ClaimsError, EditConflict
from factsandwich.live_claims import export_yaml, import_yaml, preview_import
from factsandwich.storage.claims import claim_history, claim_version, save_claim
from webui.context import core, store
from webui.i18n import translate
from webui.security import actor, requires

blueprint = Blueprint("claims", __name__)
TEXT_FIELDS = [f"{name}_{lang}" for name in ("fact", "short_fact", "explanation") for lang in LANGUAGES]


def claim_to_form(claim: Claim, version: int | None) -> dict[str, Any]:
    form: dict[str, Any] = {
        "id": claim.id,
        "status": claim.status,
        "topics": ", ".join(claim.topics),
        "fallacy": claim.fallacy,
        "reviewed": claim.reviewed.isoformat(),
        "jurisdiction": claim.jurisdiction,
        "as_of": "" if claim.as_of is None else str(claim.as_of),
        "version": version or "",
        "sources": "\n".join(f"{s.publisher} | {s.title} | {s.year} | {s.url}" for s in claim.sources),
    }
    for lang in LANGUAGES:
        form[f"myths_{lang}"] = "\n".join(claim.myths[lang])
        form[f"fact_{lang}"] = claim.fact[lang]
        form[f"short_fact_{lang}"] = claim.short_fact[lang]
        form[f"explanation_{lang}"] = claim.explanation[lang]
    return form


def form_to_data(raw_form: Any) -> dict[str, Any]:
    """The claims_db/ layout from the form fields (validated afterwards like a file). Browsers send
    line breaks as CRLF; they are LF here, so a break counts once against the length limits."""
    form = {key: str(value).replace("\r\n", "\n") for key, value in dict(raw_form).items()}
    sources = []
    for line in form.get("sources", "").splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|")]
            publisher, title, year, url = [*parts, "", "", "", ""][:4]
            sources.append(
                {
                    "publisher": publisher,
                    "title": title,
                    "year": int(year) if year.isdigit() else year,
                    "url": url,
                }
            )
    return {
        "id": form.get("id", "").strip(),
        "status": form.get("status", ""),
        "topics": [t.strip() for t in form.get("topics", "").split(",") if t.strip()],
        "fallacy": form.get("fallacy", ""),
        "myths": {
            lang: [w.strip() for w in form.get(f"myths_{lang}", "").splitlines() if w.strip()]
            for lang in LANGUAGES
        },
        "fact": {lang: form.get(f"fact_{lang}", "") for lang in LANGUAGES},
        "short_fact": {lang: form.get(f"short_fact_{lang}", "") for lang in LANGUAGES},
        "explanation": {lang: form.get(f"explanation_{lang}", "") for lang in LANGUAGES},
        "sources": sources,
        "reviewed": form.get("reviewed", "") or dt.date.today().isoformat(),
        **_scope_fields(form),
    }


def _scope_fields(form: dict[str, str]) -> dict[str, Any]:
    """jurisdiction and as_of when given (validated like a file; a year that is not a number is reported)."""
    fields: dict[str, Any] = {}
    if form.get("jurisdiction", "").strip():
        fields["jurisdiction"] = form["jurisdiction"].strip()
    as_of = form.get("as_of", "").strip()
    if as_of:
        fields["as_of"] = int(as_of) if as_of.isdigit() else as_of
    return fields


def error_field(message: str) -> str:
    """The form field that a validation message is about, to mark it."""
    found = re.search(r"field '([a-z_]+)(?:\.(de|en))?", message)
    if not found:
        return ""
    name, lang = found.group(1), found.group(2)
    return f"{name}_{lang}" if lang and name in ("myths", "fact", "short_fact", "explanation") else name


def _editor(
    form: dict[str, Any], *, new: bool, error: str | None = None, preview: Any = None, status: int = 200
) -> Any:
    return render_template(
        "claim_edit.html",
        form=form,
        new=new,
        error=error,
        error_field=error_field(error or ""),
        preview=preview,
        statuses=STATUSES,
        fallacies=FALLACIES,
        languages=LANGUAGES,
    ), status


@blueprint.route("/claims")
@requires("editor")
def index() -> Any:
    query = request.args.get("q", "").strip().casefold()
    claims = [
        c
        for c in core().claims
        if not query or query in c.id or any(query in w.casefold() for ws in c.myths.values() for w in ws)
    ]
    due = {c.id: c.review_due() for c in claims}
    proposals = triage.pair_proposals(store())
    return render_template(
        "claims.html", claims=claims, due=due, query=request.args.get("q", ""), proposals=proposals
    )


@blueprint.route("/claims/new", methods=["GET", "POST"])
@requires("editor")
def new() -> Any:
    if request.method == "GET":
        return _editor({"status": "needs_review", "reviewed": dt.date.today().isoformat()}, new=True)
    return _save(request.form.to_dict(), new=True)


@blueprint.route("/claims/<claim_id>", methods=["GET", "POST"])
@requires("editor")
def edit(claim_id: str) -> Any:
    if request.method == "POST":
        if request.form.get("id") != claim_id:
            abort(400)  # the form must edit the pair its address names
        return _save(request.form.to_dict(), new=False)
    claim = core().claims.get(claim_id)
    if claim is None:
        abort(404)
    return _editor(claim_to_form(claim, claim_version(store(), claim_id)), new=False)


def _save(form: dict[str, Any], *, new: bool) -> Any:
    data = form_to_data(form)
    try:
        claim = claim_from_data(data, Path(f"{data.get('id') or 'new-pair'}.yaml"))
        if form.get("action") == "preview":
            drafts = [core().drafts.render(claim, lang, "short") for lang in LANGUAGES]
            return _editor(form, new=new, preview=drafts)
        version = None if new else int(form.get("version") or 0)
        save_claim(store(), data, actor(), version, form.get("form_token", ""))
    except ClaimsError as exc:
        return _editor(form, new=new, error=str(exc).split(": ", 1)[-1], status=422)
    except EditConflict as exc:
        return _editor(form, new=new, error=str(exc), status=409)
    core().reload_claims()
    return redirect(url_for("claims.edit", claim_id=claim.id))


@blueprint.route("/claims/<claim_id>/history")
@requires("editor")
def history(claim_id: str) -> Any:
    versions = claim_history(store(), claim_id)
    if not versions:
        abort(404)
    return render_template("claim_history.html", claim_id=claim_id, versions=versions)


@blueprint.route("/claims/export.zip")
@requires("editor")
def export() -> Any:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in export_yaml(core().claims).items():
            archive.writestr(f"claims_db/{name}", text)
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True, download_name="claims_db.zip")


@blueprint.route("/claims/import", methods=["POST"])
@requires("editor")
def import_file() -> Any:
    """Upload a shared pair: a new pair is added; over a stored pair, the differences are shown first
    and nothing changes until the editor confirms (claim_import.html)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400)
    filename = Path(upload.filename).name
    try:
        text = upload.read().decode("utf-8")
        preview = preview_import(store(), text, filename)
        if preview.unchanged:
            flash(translate("import_unchanged", g.language), "ok")
            return redirect(url_for("claims.edit", claim_id=preview.claim.id), code=303)
        if preview.is_new:
            claim = import_yaml(store(), text, filename, actor(), None, request.form.get("form_token"))
            return _imported(claim.id if claim else preview.claim.id)
    except UnicodeDecodeError:
        return render_template("error.html", message=f"{filename}: not UTF-8 text"), 422
    except (ClaimsError, EditConflict) as exc:
        return render_template("error.html", message=str(exc)), 422
    return render_template("claim_import.html", preview=preview, text=text, filename=filename), 200


@blueprint.route("/claims/import/confirm", methods=["POST"])
@requires("editor")
def import_confirm() -> Any:
    """Replace the stored pair with the shared one, if it is still the version whose differences the
    editor saw (else 409: someone saved it meanwhile)."""
    text = request.form.get("text", "").replace("\r\n", "\n")
    filename = Path(request.form.get("filename", "") or "shared.yaml").name
    version = request.form.get("version", type=int)
    if version is None:
        abort(400)
    try:
        claim = import_yaml(store(), text, filename, actor(), version, request.form.get("form_token", ""))
    except ClaimsError as exc:
        return render_template("error.html", message=str(exc)), 422
    except EditConflict as exc:
        return render_template("error.html", message=str(exc)), 409
    if claim is None:  # a repeated submission
        flash(translate("already_done", g.language), "ok")
        return redirect(url_for("claims.index"), code=303)
    return _imported(claim.id)


def _imported(claim_id: str) -> Any:
    core().reload_claims()
    flash(translate("imported", g.language), "ok")
    return redirect(url_for("claims.edit", claim_id=claim_id), code=303)
