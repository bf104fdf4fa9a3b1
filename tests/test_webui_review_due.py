"""Due-for-review markers in the editor's list and on the dashboard; the editor keeps a pair's scope."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from test_webui import _claim_form, app, core, login  # noqa: F401  (fixtures)

from factsandwich.pipeline import Factsandwich


def test_claims_list_and_dashboard_mark_pairs_due_for_review(app: Flask) -> None:  # noqa: F811
    client = app.test_client()
    login(client, "admin")
    listing = client.get("/claims").data.decode()
    # wage-dumping describes 2014: its row is marked, with the reason as a title
    row = next(r for r in listing.split("<tr") if "/claims/wage-dumping" in r)
    assert 'class="due-for-review"' in row and "its figures describe 2014" in row and "DE, 2014" in row
    fresh = next(r for r in listing.split("<tr") if "/claims/not-real-refugees" in r)
    assert "due-for-review" not in fresh or dt.date.today() > dt.date(2027, 5, 31)
    dashboard = client.get("/dashboard").data.decode()
    section = dashboard.split('id="due-for-review"', 1)[1]
    assert "<strong>wage-dumping</strong>: its figures describe 2014" in section


def test_editing_a_pair_keeps_its_scope(core: Factsandwich, app: Flask) -> None:  # noqa: F811
    client = app.test_client()
    login(client, "editor")
    form = _claim_form(client, "jobs-taken")
    assert form["jurisdiction"] == "DE" and form["as_of"] == "2024"
    form["fact_en"] = form["fact_en"] + " "
    assert client.post("/claims/jobs-taken", data={**form, "form_token": "s1"}).status_code == 302
    saved = core.claims.get("jobs-taken")
    assert saved is not None and saved.jurisdiction == "DE" and saved.as_of == 2024
    bad = _claim_form(client, "jobs-taken")
    bad["jurisdiction"] = "Germany"
    refused = client.post("/claims/jobs-taken", data={**bad, "form_token": "s2"})
    assert refused.status_code == 422 and b"jurisdiction" in refused.data
