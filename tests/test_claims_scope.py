"""Where and when a pair's facts hold (jurisdiction, as_of), the review cadence, the audit sheet and the
German/English number check (issue 11)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from factsandwich.audit import audit_rows, number_mismatches, numbers
from factsandwich.claims import Claim, claim_from_data, load_claims
from factsandwich.cli import main
from factsandwich.config import PROJECT_ROOT, Settings
from factsandwich.errors import ClaimsError, ConfigError
from factsandwich.sandwich import DraftWriter

CLAIMS_DIR = PROJECT_ROOT / "claims_db"
CLAIMS = load_claims(CLAIMS_DIR)
TODAY = dt.date(2026, 12, 1)
VALID = yaml.safe_load((CLAIMS_DIR / "jobs-taken.yaml").read_text(encoding="utf-8"))


def _claim(claim_id: str) -> Claim:
    claim = CLAIMS.get(claim_id)
    assert claim is not None
    return claim


def _write(tmp_path: Path, data: dict[str, object]) -> Path:
    directory = tmp_path / "claims"
    directory.mkdir(exist_ok=True)
    (directory / "jobs-taken.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


def test_every_shipped_pair_states_its_scope() -> None:
    for claim in CLAIMS:
        assert claim.jurisdiction in {"DE", "EU", "global"}, claim.id
        assert claim.as_of is not None and 1990 <= claim.as_of <= TODAY.year, claim.id


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"jurisdiction": None}, "field 'jurisdiction': is missing"),
        ({"as_of": None}, "field 'as_of': is missing"),
        (
            {"jurisdiction": "Germany"},
            "field 'jurisdiction': 'Germany' is not 'global', 'EU' or a two-letter",
        ),
        ({"as_of": "2025"}, "field 'as_of': '2025' is not a year"),
        ({"as_of": 3000}, "field 'as_of': 3000 is not a year"),
    ],
)
def test_scope_fields_are_required_and_validated_in_claims_db(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    data = dict(VALID)
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    with pytest.raises(ClaimsError, match=r"jobs-taken\.yaml") as info:
        load_claims(_write(tmp_path, data))
    assert expected in str(info.value)


def test_pairs_stored_before_the_scope_fields_still_load_with_the_scope_unknown() -> None:
    data = {k: v for k, v in VALID.items() if k not in ("jurisdiction", "as_of")}
    claim = claim_from_data(data, Path("jobs-taken.yaml"))
    assert claim.jurisdiction == "" and claim.as_of is None
    assert "where its facts hold (jurisdiction) is not stated" in claim.review_due(TODAY)
    assert not claim.holds_in("DE")


def test_holds_in() -> None:
    claim = _claim("jobs-taken")
    assert claim.holds_in("DE") and not claim.holds_in("AT")
    assert dataclasses.replace(claim, jurisdiction="EU").holds_in("AT")
    assert not dataclasses.replace(claim, jurisdiction="EU").holds_in("CH")
    assert dataclasses.replace(claim, jurisdiction="global").holds_in("US")


def test_review_cadence() -> None:
    fresh = dataclasses.replace(_claim("jobs-taken"), reviewed=TODAY, as_of=TODAY.year - 1)
    assert fresh.review_due(TODAY) == ()
    stale = dataclasses.replace(fresh, reviewed=TODAY - dt.timedelta(days=200))
    assert stale.review_due(TODAY) == ("not reviewed for 200 days (last 2026-05-15)",)
    old_figures = dataclasses.replace(fresh, as_of=TODAY.year - 3)
    assert old_figures.review_due(TODAY) == ("its figures describe 2023, more than 2 years ago",)


def test_numbers_are_read_per_language() -> None:
    assert numbers("28.280 und 50.250; 51,7 %; 1,05 Mio.; 2013–2019; 1.000 Euro; seit 2024.", "de") == (
        "28280", "50250", "51.7", "1.05", "2013", "2019", "1000", "2024",
    )  # fmt: skip
    assert numbers("28,280 and 50,250; 51.7%; 1.05 million; 2013–2019; 1,000 euros; since 2024.", "en") == (
        "28280", "50250", "51.7", "1.05", "2013", "2019", "1000", "2024",
    )  # fmt: skip


def test_every_number_in_the_german_text_appears_in_the_english_one_and_back() -> None:
    problems = [p for claim in CLAIMS for p in number_mismatches(claim)]
    assert not problems, problems


def test_number_check_catches_a_mismatch() -> None:
    claim = _claim("not-real-refugees")
    wrong = dataclasses.replace(claim, fact={**claim.fact, "en": claim.fact["en"].replace("28.1", "28.7")})
    [problem] = number_mismatches(wrong)
    assert problem.startswith("not-real-refugees: fact:") and "28.7" in problem


def test_audit_rows_list_every_number_beside_the_sources() -> None:
    rows = audit_rows(CLAIMS)
    mine = [r for r in rows if r.claim_id == "not-real-refugees" and r.field == "fact"]
    assert {(r.language, r.number) for r in mine} >= {("de", "28.1"), ("en", "28.1"), ("de", "44.4")}
    assert all("biaj.de" in r.sources for r in mine)


def test_cli_audit_csv_and_markdown(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["claims", "audit", "--format", "csv"])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {"claim_id", "field", "language", "number", "checked", "sources"} <= set(table[0])
    assert any(r["claim_id"] == "terror" and r["number"] == "50250" for r in table)
    out = tmp_path / "audit.md"
    result = runner.invoke(main, ["claims", "audit", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = out.read_text(encoding="utf-8")
    assert "## not-real-refugees" in sheet and "| [ ] | fact | de | 28.1 |" in sheet


def test_cli_validate_warns_about_pairs_due_for_review(tmp_path: Path) -> None:
    directory = tmp_path / "claims"
    shutil.copytree(CLAIMS_DIR, directory)
    data = yaml.safe_load((directory / "jobs-taken.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = dt.date(2020, 1, 1)
    (directory / "jobs-taken.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["claims", "validate", "--dir", str(directory)])
    assert result.exit_code == 0, result.output
    assert "warning: jobs-taken: due for review: not reviewed for" in result.stderr
    assert "claims valid" in result.stdout and "warnings" in result.stdout


def test_cli_validate_names_pairs_that_do_not_hold_in_the_office_country(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FACTSANDWICH_OFFICE_COUNTRY", "at")
    result = CliRunner().invoke(main, ["claims", "validate"])
    assert result.exit_code == 0, result.output
    assert "jobs-taken: its facts hold for DE, not for the office's country AT" in result.stderr
    assert "great-replacement: its facts hold" not in result.stderr  # global


def test_office_country_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().office_country == "DE"
    monkeypatch.setenv("FACTSANDWICH_OFFICE_COUNTRY", "at")
    assert Settings.from_env().office_country == "AT"
    monkeypatch.setenv("FACTSANDWICH_OFFICE_COUNTRY", "Austria")
    with pytest.raises(ConfigError, match="FACTSANDWICH_OFFICE_COUNTRY='AUSTRIA'"):
        Settings.from_env()


WRITER = DraftWriter(PROJECT_ROOT / "templates", office_country="DE", today=TODAY)


def test_english_draft_of_a_german_fact_names_germany() -> None:
    draft = WRITER.render(_claim("not-real-refugees"), "en", "short")
    assert draft.parts["fact"].startswith("In Germany: ")
    statement = WRITER.render(_claim("not-real-refugees"), "en", "statement")
    assert statement.text.startswith("In Germany: ")


def test_german_draft_for_a_german_office_does_not_repeat_the_scope() -> None:
    draft = WRITER.render(_claim("not-real-refugees"), "de", "short")
    assert not draft.parts["fact"].startswith("In Deutschland")
    elsewhere = WRITER.render(_claim("not-real-refugees"), "de", "mastodon", audience="AT")
    assert elsewhere.parts["fact"].startswith("In Deutschland: ")


def test_global_facts_are_not_scoped() -> None:
    draft = WRITER.render(_claim("great-replacement"), "en", "short")
    assert draft.parts["fact"] == _claim("great-replacement").short_fact["en"]


def test_office_elsewhere_gets_a_warning_in_the_checks() -> None:
    austrian = DraftWriter(PROJECT_ROOT / "templates", office_country="AT", today=TODAY)
    draft = austrian.render(_claim("jobs-taken"), "de", "mastodon")
    assert draft.parts["fact"].startswith("In Deutschland: ")
    assert any("hold for DE, not for the office's country AT" in p for p in draft.problems)
    assert not draft.to_dict()["checks"]["ok"]
    assert not any("office's country" in p for p in WRITER.render(_claim("jobs-taken"), "de").problems)


def test_overdue_pair_carries_a_problem() -> None:
    claim = dataclasses.replace(_claim("jobs-taken"), reviewed=TODAY - dt.timedelta(days=184))
    problems = WRITER.render(claim, "de", "short").problems
    assert any("overdue for review (last reviewed 2026-05-31, 184 days ago)" in p for p in problems)
    fresh = dataclasses.replace(claim, reviewed=TODAY - dt.timedelta(days=183))
    assert not any("overdue" in p for p in WRITER.render(fresh, "de", "short").problems)
