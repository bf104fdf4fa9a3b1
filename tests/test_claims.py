from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from factsandwich.claims import LANGUAGES, MIN_WORDINGS, load_claims
from factsandwich.cli import main
from factsandwich.config import PROJECT_ROOT
from factsandwich.errors import ClaimsError

CLAIMS_DIR = PROJECT_ROOT / "claims_db"
CORE_MYTHS = PROJECT_ROOT.parent / "shared" / "core-myths.yaml"
VALID = (CLAIMS_DIR / "jobs-taken.yaml").read_text(encoding="utf-8")


def test_shipped_database_is_valid_and_sourced() -> None:
    claims = load_claims(CLAIMS_DIR)
    assert len(claims) >= 18
    for claim in claims:
        assert claim.sources, claim.id
        for lang in LANGUAGES:
            assert len(claim.myths[lang]) >= MIN_WORDINGS, (claim.id, lang)
            assert claim.fact[lang] and claim.explanation[lang], (claim.id, lang)


def test_shipped_database_covers_every_core_myth() -> None:
    if not CORE_MYTHS.is_file():
        pytest.skip(f"{CORE_MYTHS} is absent (it ships with the shared project material)")
    core_ids = {entry["id"] for entry in yaml.safe_load(CORE_MYTHS.read_text(encoding="utf-8"))}
    shipped = {claim.id for claim in load_claims(CLAIMS_DIR)}
    assert core_ids <= shipped, sorted(core_ids - shipped)


def _write(tmp_path: Path, text: str, name: str = "jobs-taken.yaml") -> Path:
    directory = tmp_path / "claims"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("sources"), "field 'sources': is missing"),
        (lambda d: d.update(sources=[]), "field 'sources': at least one source"),
        (lambda d: d.update(source=copy.deepcopy(d["sources"])), "field 'source': unknown field"),
        (lambda d: d["sources"][0].update(url="www.example.org"), "field 'sources[0].url'"),
        (lambda d: d["sources"][0].pop("year"), "field 'sources[0].year'"),
        (lambda d: d.update(status="draft"), "field 'status'"),
        (lambda d: d.update(fallacy="lies"), "field 'fallacy'"),
        (lambda d: d["myths"].update(en=d["myths"]["en"][:3]), "field 'myths.en': has 3 wordings"),
        (lambda d: d["fact"].pop("de"), "field 'fact.de': must be a non-empty text"),
        (lambda d: d["short_fact"].update(en="x" * 101), "field 'short_fact.en': is 101 characters"),
        (lambda d: d.update(id="other-id"), "field 'id'"),
        (lambda d: d.update(reviewed="yesterday"), "field 'reviewed'"),
    ],
)
def test_malformed_claim_names_file_and_field(tmp_path: Path, mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(VALID)
    mutate(data)
    directory = _write(tmp_path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    with pytest.raises(ClaimsError) as info:
        load_claims(directory)
    assert "jobs-taken.yaml" in str(info.value)
    assert expected in str(info.value)


def test_yaml_syntax_error_reports_line(tmp_path: Path) -> None:
    directory = _write(tmp_path, VALID + "\nmyths: [unclosed\n")
    with pytest.raises(ClaimsError, match=r"jobs-taken\.yaml:\d+: not valid YAML"):
        load_claims(directory)


def test_field_error_reports_line_of_field(tmp_path: Path) -> None:
    text = VALID.replace("status: published", "status: maybe", 1)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("status:"))
    with pytest.raises(ClaimsError, match=rf"jobs-taken\.yaml:{line}: field 'status'"):
        load_claims(_write(tmp_path, text))


def test_export_round_trips(tmp_path: Path) -> None:
    claims = load_claims(CLAIMS_DIR)
    out = tmp_path / "export"
    out.mkdir()
    for claim in claims:
        (out / f"{claim.id}.yaml").write_text(claim.to_yaml(), encoding="utf-8")
    again = load_claims(out)
    assert again.content_hash == claims.content_hash


def test_cli_validate_ok_and_bad(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["claims", "validate"])
    assert ok.exit_code == 0, ok.output
    assert "claims valid" in ok.output

    bad_dir = tmp_path / "bad"
    shutil.copytree(CLAIMS_DIR, bad_dir)
    (bad_dir / "jobs-taken.yaml").write_text(VALID.replace("sources:", "sourcez:"), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in bad_dir.iterdir()}
    bad = runner.invoke(main, ["claims", "validate", "--dir", str(bad_dir)])
    assert bad.exit_code == 1
    assert "jobs-taken.yaml" in bad.output and "sourcez" in bad.output
    assert "Traceback" not in bad.output
    assert {p.name: p.read_bytes() for p in bad_dir.iterdir()} == before  # nothing else changed


def test_cli_list_json_contract() -> None:
    result = CliRunner().invoke(main, ["claims", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"jobs-taken", "crime"} <= {entry["id"] for entry in data}
    for entry in data:
        assert {"id", "status", "myths", "fact", "sources"} <= set(entry)
        assert set(entry["myths"]) == {"de", "en"} and isinstance(entry["myths"]["de"], list)
        assert all({"publisher", "title", "year", "url"} <= set(s) for s in entry["sources"])
