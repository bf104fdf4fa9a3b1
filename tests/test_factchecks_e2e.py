"""External fact-checks end to end with the real models: the CLI imports a collection, `check` and
`scan` show the matching fact-check with its link, `tune` fine-tunes the real MiniLM on pairs and the
next check uses it, bad input is a one-line error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli

from factsandwich.cli import main

pytestmark = pytest.mark.models

# Invented fact-checks of an invented desk (test data, not claims): each with three ways people post it.
FACT_CHECKS = {
    "pool-closed": (
        "The town swimming pool was closed to locals and reserved for asylum seekers.",
        [
            "They shut our swimming pool so only asylum seekers can use it now!!",
            "Locals banned from the town pool, reserved for refugees. Unbelievable.",
            "Why can't my kids swim anymore? Pool reserved for asylum seekers, they say",
        ],
    ),
    "free-cars": (
        "Refugees are given free new cars by the district office.",
        [
            "District office hands out brand new cars to refugees for free",
            "Saw it myself: every refugee family gets a free car from the district",
            "Free cars for migrants paid by us taxpayers, the district admits it",
        ],
    ),
    "church-mosque": (
        "St. Martin's church is being converted into a mosque.",
        [
            "St Martin's will become a mosque next year, the parish sold it",
            "Our church St. Martin turned into a mosque?! Nobody asked us",
            "Breaking: St Martins church to be converted to mosque",
        ],
    ),
    "pension-cut": (
        "Pensions were cut to pay for housing refugees.",
        [
            "They cut my pension to pay for refugee housing, that's the truth",
            "Pensioners lose money so refugees can get flats",
            "Pension cuts fund the asylum housing, read between the lines",
        ],
    ),
    "school-christmas": (
        "The primary school cancelled Christmas to avoid offending Muslim pupils.",
        [
            "Primary school bans Christmas so Muslim kids are not offended",
            "No more Christmas at our school because of Muslim pupils",
            "School cancels the Christmas party out of respect for Islam, can you believe it",
        ],
    ),
    "water-poisoned": (
        "Tap water in the north quarter was poisoned by migrants.",
        [
            "Don't drink the tap water in the north quarter, migrants poisoned it",
            "Migrants put something in our water supply up north",
            "North quarter water poisoned!! by the new arrivals",
        ],
    ),
}


@pytest.fixture
def own_data_dir(real_data_dir: Path, real_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real models copied: tuning writes a retriever that the shared directory must not get."""
    data_dir = real_env / "data"
    shutil.copytree(real_data_dir, data_dir)
    monkeypatch.setenv("FACTSANDWICH_DATA_DIR", str(data_dir))
    return real_env


def _collection(where: Path) -> Path:
    path = where / "desk.jsonl"
    records = [
        {"id": key, "claim": claim, "rating": "False", "url": f"https://factcheck.example/{key}"}
        for key, (claim, _) in FACT_CHECKS.items()
    ]
    records.append({"id": "broken"})  # no claim: reported and skipped
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def test_import_check_scan_tune_and_remove(own_data_dir: Path) -> None:
    code, out, err = run_cli("factchecks", "import", str(_collection(own_data_dir)), "--collection", "desk")
    assert code == 0, err
    assert "6 added" in out and "1 problem(s)" in out and "desk.jsonl:7" in err

    code, out, _ = run_cli("factchecks", "list")
    assert "desk" in out and "6 fact-checks" in out and "not tuned" in out

    post = "Locals are banned from the swimming pool now, it's only for asylum seekers"
    code, out, _ = run_cli("check", post, "--format", "json")
    assert code == 0
    [first, *_] = json.loads(out)["fact_checks"]
    assert first["external_id"] == "pool-closed" and first["url"] == "https://factcheck.example/pool-closed"

    posts = own_data_dir / "posts.jsonl"
    posts.write_text(
        json.dumps({"id": "p1", "text": "St. Martin is going to be a mosque, the parish sold it"})
    )
    code, out, _ = run_cli("scan", str(posts))
    assert code == 0
    assert json.loads(out)["fact_checks"][0]["external_id"] == "church-mosque"

    pairs = own_data_dir / "pairs.jsonl"
    pairs.write_text(
        "\n".join(
            json.dumps({"text": text, "collection": "desk", "external_id": key})
            for key, (_, texts) in FACT_CHECKS.items()
            for text in texts
        )
    )
    code, out, err = run_cli("factchecks", "tune", "--pairs", str(pairs))
    assert code == 0, err
    assert "tuned factcheck-retriever-" in out and "fine-tuning on" in err
    code, out, _ = run_cli("factchecks", "list")
    assert "retriever: factcheck-retriever-" in out
    code, out, _ = run_cli(
        "check", "Is it true that the district gives refugees new cars for free?", "--format", "json"
    )
    assert json.loads(out)["fact_checks"][0]["external_id"] == "free-cars"

    code, out, _ = run_cli("factchecks", "remove", "desk")
    assert code == 0 and "removed 6" in out
    code, out, _ = run_cli("check", post, "--format", "json")
    assert json.loads(out)["fact_checks"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["factchecks", "import", "missing.jsonl", "--collection", "desk"], "missing.jsonl"),
        (["factchecks", "import", "desk.jsonl", "--collection", "Bad Name"], "collection name"),
        (["factchecks", "tune", "--queries", "q.tsv"], "give either --pairs"),
        (["factchecks", "remove", "nothing"], "no collection 'nothing'"),
    ],
)
def test_fact_check_mistakes_are_one_line_errors(own_data_dir: Path, args: list[str], message: str) -> None:
    _collection(own_data_dir)
    result = CliRunner().invoke(
        main, [a.replace("desk.jsonl", str(own_data_dir / "desk.jsonl")) for a in args]
    )
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
