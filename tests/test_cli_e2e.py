"""End to end with the real encoders and the real classifier: the CLI on the demo feed files."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO, etag_feed, run_cli

from factsandwich.cli import main

pytestmark = pytest.mark.models

DEMO_MYTHS = {
    "tag:buergerforum.musterstadt.example,2026:post-5102": "welfare-magnet",
    "tag:buergerforum.musterstadt.example,2026:post-5105": "jobs-taken",
    "tag:buergerforum.musterstadt.example,2026:post-5108": "refuse-integration",
    "tag:buergerforum.musterstadt.example,2026:post-5109": "healthcare-abuse",
    "tag:buergerforum.musterstadt.example,2026:post-5111": "great-replacement",
    "tag:riverside.example,2026:board/post-2202": "crime",
    "tag:riverside.example,2026:board/post-2205": "wage-dumping",
    "tag:riverside.example,2026:board/post-2207": "migration-only-costs",
    "tag:riverside.example,2026:board/post-2209": "schools-decline",
    "sp-002": "terror",
    "sp-004": "islamisation",
    "sp-005": "not-real-refugees",
    "sp-008": "europe-takes-most-refugees",
}
DEMO_DEBUNKS = {"msa-2026-11-05", "msa-2026-11-09", "rg-2026-11-04", "rg-2026-11-07", "sp-007"}
SOURCES = [str(DEMO / "feeds"), str(DEMO / "posts.jsonl")]


def test_scan_demo_flags_myths_with_drafts_and_spares_debunks(real_env: Path) -> None:
    out = real_env / "report.jsonl"
    code, _, err = run_cli("scan", *SOURCES, "--format", "jsonl", "--out", str(out))
    assert code == 0, err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 56
    assert "56 item(s) processed" in err
    by_guid = {r["guid"]: r for r in records}

    matched = [
        g
        for g, claim in DEMO_MYTHS.items()
        if by_guid[g]["matches"][:1] and by_guid[g]["matches"][0]["claim_id"] == claim
    ]
    assert len(matched) >= 12, sorted(set(DEMO_MYTHS) - set(matched))
    # Anecdote-style myths are the classifier's weak spot (docs/benchmarks.md): most, not all, are flagged.
    flagged = [g for g in matched if by_guid[g]["flagged"]]
    assert len(flagged) >= 9, sorted(set(DEMO_MYTHS) - set(flagged))
    spared = [g for g in DEMO_DEBUNKS if not by_guid[g]["flagged"]]
    assert len(spared) >= 4, sorted(DEMO_DEBUNKS - set(spared))

    for record in records:
        confidences = [m["confidence"] for m in record["matches"]]
        assert confidences == sorted(confidences, reverse=True) and len(confidences) <= 3
        if record["flagged"]:  # a person decides between the three best candidates
            assert len(record["matches"]) == 3
        if record["flagged"] and record["matches"][0]["confident"]:
            draft = record["draft"]
            assert draft["claim_id"] == record["matches"][0]["claim_id"]
            assert draft["language"] == record["language"] and draft["channel"] == "short"
            assert set(draft["parts"]) == {"fact", "warning", "myth", "fallacy", "fact_repeat"}
            assert len(draft["text"]) <= 280
        elif not record["flagged"]:
            assert record["draft"] is None
    hostile = by_guid["tag:buergerforum.musterstadt.example,2026:post-5104"]
    # Neutralised, and never answered: at the out-of-fold flag threshold (0.25) this harmless post is
    # flagged (p 0.37), one of the false positives of that trade-off (docs/benchmarks.md#real-posts).
    assert "alert" not in hostile["text"] and hostile["draft"] is None


def test_rescan_is_idempotent_and_no_store_reports_all(real_env: Path) -> None:
    code, out, _ = run_cli("scan", str(DEMO / "posts.jsonl"))
    assert code == 0 and len(out.splitlines()) == 12
    code, out, err = run_cli("scan", str(DEMO / "posts.jsonl"))
    assert code == 0 and out == "" and "12 already stored" in err
    code, out, _ = run_cli("scan", str(DEMO / "posts.jsonl"), "--no-store")
    assert code == 0 and len(out.splitlines()) == 12


def test_csv_and_table_formats(real_env: Path) -> None:
    code, out, _ = run_cli("scan", str(DEMO / "posts.jsonl"), "--format", "csv", "--no-store")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 12 and rows[0]["guid"] == "sp-001"
    code, out, err = run_cli(
        "scan", str(DEMO / "posts.jsonl"), "--format", "table", "--no-store", "--progress"
    )
    assert code == 0 and "FLAG" in out and "draft:" in out
    assert "scanning" in err  # the progress bar goes to stderr, the report stays clean


def test_broken_feed_is_named_and_the_rest_scanned(real_env: Path) -> None:
    broken = real_env / "kaputt.rss"
    broken.write_text("this is not xml <<<", encoding="utf-8")
    code, out, err = run_cli("scan", str(broken), str(DEMO / "posts.jsonl"), "--no-store")
    assert code == 0
    assert len(out.splitlines()) == 12
    assert "kaputt.rss" in err and "1 source(s) failed" in err


def test_all_sources_failing_exits_nonzero(real_env: Path) -> None:
    broken = real_env / "kaputt.rss"
    broken.write_text("nope", encoding="utf-8")
    code, _, err = run_cli("scan", str(broken), "--no-store")
    assert code == 1 and "kaputt.rss" in err


def test_check_german_myth_matches_and_drafts_in_german(real_env: Path) -> None:
    code, out, _ = run_cli(
        "check", "Die Asylanten kassieren hier mehr Kohle als meine Oma mit ihrer Rente!", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["flagged"] and data["language"] == "de"
    assert data["matches"][0]["claim_id"] == "refugees-paid-more-than-pensioners"
    assert data["draft"]["language"] == "de" and "„" in data["draft"]["text"]


def test_check_english_debunk_is_not_flagged(real_env: Path) -> None:
    text = (
        "Fact check: the claim that migrants are stealing our jobs does not hold up. Labour market "
        "researchers find no evidence that newcomers push locals out of work."
    )
    code, out, _ = run_cli("check", text, "--format", "json")
    data = json.loads(out)
    assert code == 0 and not data["flagged"] and data["draft"] is None
    assert data["matches"] and data["matches"][0]["claim_id"] == "jobs-taken"


def test_http_feed_second_scan_is_not_modified(real_env: Path, http_server) -> None:  # type: ignore[no-untyped-def]
    body = (DEMO / "feeds" / "riverside-gazette.rss").read_bytes()

    feed = etag_feed(body, '"g1"')

    url = http_server({"/gazette.rss": feed}) + "/gazette.rss"
    code, out, _ = run_cli("scan", url)
    assert code == 0 and len(out.splitlines()) == 10
    code, out, err = run_cli("scan", url)
    assert code == 0 and out == "" and "1 not modified" in err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["scan", "does/not/exist.xml", "--no-store"], 1, "no such file"),
        (["scan", str(DEMO / "posts.jsonl"), "--out", "no/such/dir/r.jsonl"], 2, "does not exist"),
        (["scan"], 2, "Missing argument"),
        (["check", "  "], 2, "the text is empty"),
    ],
)
def test_user_mistakes_give_one_line_errors_not_tracebacks(
    real_env: Path, args: list[str], code: int, message: str
) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-m", "factsandwich.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=real_env,
        timeout=300,
    )
    assert result.returncode == code, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_missing_claims_directory_is_one_line(real_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTSANDWICH_CLAIMS_DIR", str(real_env / "nowhere"))
    result = CliRunner().invoke(main, ["claims", "validate"])
    assert result.exit_code == 1 and "claims directory not found" in result.output
