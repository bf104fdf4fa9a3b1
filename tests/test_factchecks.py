"""External fact-check collections: reading every format, reporting bad records, storing them, and the
item page's links to them (fast: no models)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from conftest import BOTH_DATABASES, FakeEncoder

import factsandwich.storage.fact_checks
from factsandwich.accounts import add_user
from factsandwich.config import PROJECT_ROOT, Settings
from factsandwich.errors import FactCheckError
from factsandwich.fact_checks import FactCheck, read_fact_checks
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from webui import create_app

VCLAIMS = PROJECT_ROOT.parent / "shared" / "datasets" / "checkthat2022_task2a_en" / "vclaims.jsonl"

VCLAIM_LINES = [
    {
        "title": "Were 15 Homeless People Found Frozen to Death in Chicago?",
        "subtitle": "A picture of a Canadian man was repurposed online.",
        "author": "Arturo Garcia",
        "date": "30 January 2019",
        "vclaim_id": "vclaim-sno-15-homeless-dead-in-chicago",
        "vclaim": "Fifteen homeless people in Chicago were found dead on the street.",
        "page_url": "https://www.snopes.com/fact-check/15-homeless-dead-in-chicago/",
    },
    {
        "title": "100 Facebook Shares Heart Transplant",
        "subtitle": "Will 100 Facebook 'shares' secure a heart transplant for a child?",
        "author": "David Mikkelson",
        "date": "29 February  2012",
        "vclaim_id": "vclaim-sno-100-facebook-shares-appeal",
        "vclaim": "100 Facebook “shares” will secure a heart transplant for a child.",
    },
]

REVIEW: dict[str, Any] = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://correctiv.org/faktencheck/2024/01/05/buergergeld/",
    "claimReviewed": "Geflüchtete bekommen mehr Bürgergeld als Rentner Rente.",
    "headline": "Nein, Geflüchtete bekommen nicht mehr Geld als Rentner",
    "reviewBody": "<p>Asylbewerber erhalten Leistungen nach dem <b>Asylbewerberleistungsgesetz</b>.</p>",
    "author": {"@type": "Organization", "name": "CORRECTIV.Faktencheck"},
    "datePublished": "2024-01-05T10:30:00+01:00",
    "reviewRating": {"@type": "Rating", "ratingValue": 1, "alternateName": "Falsch"},
    "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "Facebook-Nutzer"}},
    "inLanguage": "de-DE",
}
EXPECTED_REVIEW = FactCheck(
    collection="correctiv",
    external_id="https://correctiv.org/faktencheck/2024/01/05/buergergeld/",
    claim="Geflüchtete bekommen mehr Bürgergeld als Rentner Rente.",
    title="Nein, Geflüchtete bekommen nicht mehr Geld als Rentner",
    summary="Asylbewerber erhalten Leistungen nach dem Asylbewerberleistungsgesetz.",
    rating="Falsch",
    publisher="CORRECTIV.Faktencheck",
    published="2024-01-05",
    url="https://correctiv.org/faktencheck/2024/01/05/buergergeld/",
    language="de",
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(path: Path, records: list[Any]) -> Path:
    return write(path, "".join(json.dumps(record) + "\n" for record in records))


def generic(i: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"g{i}", "claim": f"Claim number {i}.", **fields}


# -- formats ------------------------------------------------------------------------------------------


def test_vclaims_lines_are_mapped(tmp_path: Path) -> None:
    result = read_fact_checks(jsonl(tmp_path / "v.jsonl", VCLAIM_LINES), "snopes", language="en")
    assert result.problems == []
    assert result.fact_checks == [
        FactCheck(
            collection="snopes",
            external_id="vclaim-sno-15-homeless-dead-in-chicago",
            claim="Fifteen homeless people in Chicago were found dead on the street.",
            title="Were 15 Homeless People Found Frozen to Death in Chicago?",
            summary="A picture of a Canadian man was repurposed online.",
            publisher="Arturo Garcia",
            published="2019-01-30",
            url="https://www.snopes.com/fact-check/15-homeless-dead-in-chicago/",
            language="en",
        ),
        FactCheck(
            collection="snopes",
            external_id="vclaim-sno-100-facebook-shares-appeal",
            claim="100 Facebook “shares” will secure a heart transplant for a child.",
            title="100 Facebook Shares Heart Transplant",
            summary="Will 100 Facebook 'shares' secure a heart transplant for a child?",
            publisher="David Mikkelson",
            published="2012-02-29",
            language="en",
        ),
    ]


def test_generic_jsonl_and_json_array_read_alike(tmp_path: Path) -> None:
    records = [
        generic(1, title="One", summary="S", rating="False", publisher="P", date="2020-03-01"),
        generic(2, url="https://example.org/2", language="de"),
    ]
    lines = read_fact_checks(jsonl(tmp_path / "g.jsonl", records), "generic", language="en")
    array = read_fact_checks(
        write(tmp_path / "g.json", json.dumps(records, indent=2)), "generic", language="en"
    )
    assert lines == array and lines.problems == []
    assert lines.fact_checks[0] == FactCheck(
        "generic", "g1", "Claim number 1.", "One", "S", "False", "P", "2020-03-01", "", "en"
    )
    assert (lines.fact_checks[1].url, lines.fact_checks[1].language) == ("https://example.org/2", "de")


def test_an_exported_fact_check_reads_back(tmp_path: Path) -> None:
    """FactCheck's own field names are understood, so a collection can be exported and imported again."""
    original = FactCheck(
        "mine", "x-1", "A claim.", "T", "S", "False", "P", "2021-05-06", "https://a.org/x", "de"
    )
    assert read_fact_checks(jsonl(tmp_path / "e.jsonl", [asdict(original)]), "mine").fact_checks == [original]


@pytest.mark.parametrize(
    "document",
    [
        REVIEW,
        [REVIEW, {"@type": "Organization", "name": "CORRECTIV"}],
        {"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "name": "x"}, REVIEW]},
        {
            "@context": "https://schema.org",
            "@type": "DataFeed",
            "dataFeedElement": [{"@type": "DataFeedItem", "item": [REVIEW]}],
        },
        {"@type": "DataFeed", "dataFeedElement": [REVIEW]},
    ],
    ids=["single", "list", "graph", "datafeed-items", "datafeed-reviews"],
)
def test_claim_review_layouts(tmp_path: Path, document: Any) -> None:
    for text in (json.dumps(document), json.dumps(document, indent=2)):  # one line, and pretty-printed
        result = read_fact_checks(write(tmp_path / "review.json", text), "correctiv")
        assert result.fact_checks == [EXPECTED_REVIEW] and result.problems == []


def test_claim_review_ids_and_values(tmp_path: Path) -> None:
    with_id = {**REVIEW, "@id": "https://correctiv.org/#review-1", "author": [{"name": "Anna"}]}
    blank_node = {**REVIEW, "@id": "_:b0", "url": None}
    typed = {
        **REVIEW,
        "@type": ["schema:ClaimReview"],
        "inLanguage": {"@type": "Language", "alternateName": "en"},
    }
    result = read_fact_checks(jsonl(tmp_path / "r.jsonl", [with_id, blank_node]), "c")
    first, second = result.fact_checks
    assert (first.external_id, first.publisher) == ("https://correctiv.org/#review-1", "Anna")
    assert len(second.external_id) == 64 and second.url == ""  # a blank node is no id: the claim's hash
    assert read_fact_checks(jsonl(tmp_path / "t.jsonl", [typed]), "c").fact_checks[0].language == "en"


def test_reviews_of_one_article_keep_their_own_ids(tmp_path: Path) -> None:
    other = {**REVIEW, "claimReviewed": "Eine zweite Behauptung im selben Artikel."}
    result = read_fact_checks(jsonl(tmp_path / "r.jsonl", [REVIEW, other]), "correctiv")
    ids = [fact_check.external_id for fact_check in result.fact_checks]
    assert len(set(ids)) == 2 and result.problems == []
    assert all(i.startswith(REVIEW["url"] + "#") for i in ids)


def test_claim_reviews_in_an_html_page(tmp_path: Path) -> None:
    other = {**REVIEW, "claimReviewed": "Eine zweite Behauptung.", "@id": "https://correctiv.org/#2"}
    page = f"""<!doctype html><html><head><title>Faktencheck</title>
<script type="application/ld+json">{json.dumps({"@type": "Organization", "name": "CORRECTIV"})}</script>
<script>var x = {json.dumps({**REVIEW, "claimReviewed": "from a plain script"})};</script>
<script type="application/ld+json">
{json.dumps({"@context": "https://schema.org", "@graph": [REVIEW, other]}, indent=1)}
</script>
<script type="application/ld+json">{{"broken": </script>
</head><body><p>{json.dumps({**REVIEW, "claimReviewed": "from the text"})}</p></body></html>
"""
    result = read_fact_checks(write(tmp_path / "page.txt", page), "correctiv")
    assert [f.claim for f in result.fact_checks] == [REVIEW["claimReviewed"], "Eine zweite Behauptung."]
    broken = page[: page.index('{"broken"')].count("\n") + 1
    assert result.problems == [
        f"{tmp_path / 'page.txt'}:{broken}: an ld+json block is not JSON (Expecting value)"
    ]


# -- bad input ----------------------------------------------------------------------------------------


def test_bad_records_are_skipped_and_reported_by_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mixed.jsonl",
        "\n".join(
            [
                json.dumps(generic(1)),
                '{"id": "g2", "claim": ',
                "",
                "42",
                json.dumps({"id": "g3", "title": "no claim"}),
                json.dumps({"id": "g4", "claim": "   <br>  "}),
                json.dumps({"id": ["g5"], "claim": "A list as id."}),
                json.dumps(generic(1, title="second copy")),
                json.dumps(VCLAIM_LINES[0] | {"vclaim": None}),
            ]
        ),
    )
    result = read_fact_checks(path, "mixed")
    assert [(f.external_id, f.title) for f in result.fact_checks] == [("g1", "second copy")]
    assert result.problems == [
        f"{path}:2: not JSON (Expecting value at column 22)",
        f"{path}:4: not a JSON object",
        f'{path}:5: no claim ("claim" is missing or empty)',
        f'{path}:6: no claim ("claim" is missing or empty)',
        f"{path}:7: the id is neither a string nor a number",
        f'{path}:9: no claim ("vclaim" is missing or empty)',
        f"{path}:1: id 'g1' again on line 8; the later one is kept",
    ]


def test_array_records_are_reported_by_line_and_a_break_keeps_what_came_before(tmp_path: Path) -> None:
    text = (
        '[\n  {"id": "a", "claim": "First."},\n  {"id": "b"},\n  {"id": "c", "claim": "Third."},\n  {"id": '
    )
    path = write(tmp_path / "broken.json", text)
    result = read_fact_checks(path, "array")
    assert [f.external_id for f in result.fact_checks] == ["a", "c"]
    assert result.problems == [
        f'{path}:3: no claim ("claim" is missing or empty)',
        f"{path}:5: not JSON from here on (Expecting value); the rest of the file is skipped",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("\n  \n", "the file is empty"),
        ("id,claim\n1,Hello\n", "not JSON, JSON Lines or an HTML page"),
        ('{\n  "claim": "x",\n  oops\n}\n', ":3: not JSON (Expecting property name"),
        ("[\n{oops}]", ":2: not JSON (Expecting property name"),
        ("[1, 2", "no fact-check found (expected vclaims"),
        ("not json\n{}\n", "not JSON, JSON Lines or an HTML page"),
        ('{"a": 1}\n{"b": 2}\n', "no fact-check found"),
        ("[]", "no fact-check found"),
        ("<html><body>No structured data</body></html>", 'no <script type="application/ld+json"> block'),
        ('<script type="application/ld+json">{"@type": "WebSite"}</script>', "no fact-check found"),
    ],
)
def test_files_without_any_fact_check_raise(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path / "input.json", content)
    with pytest.raises(FactCheckError) as error:
        read_fact_checks(path, "c")
    assert str(error.value).startswith(str(path)) and message in str(error.value)
    assert "\n" not in str(error.value)


def test_unreadable_files_raise(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.jsonl", tmp_path):
        with pytest.raises(FactCheckError, match=r"cannot read the file"):
            read_fact_checks(path, "c")
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('[{"claim": "Gr\xfc\xdfe"}]'.encode("latin-1"))
    with pytest.raises(FactCheckError, match=r"latin1.json:1: not UTF-8 text"):
        read_fact_checks(latin1, "c")


@pytest.mark.parametrize("name", ["", "Snopes", "-snopes", "_x", "a b", "a/b", "x" * 65, "snopes\n"])
def test_bad_collection_names_raise(tmp_path: Path, name: str) -> None:
    path = jsonl(tmp_path / "g.jsonl", [generic(1)])
    with pytest.raises(FactCheckError, match="collection name"):
        read_fact_checks(path, name)


def test_good_collection_names_and_languages(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "g.jsonl", [generic(1)])
    for name in ("snopes", "0", "clef-2022_en", "x" * 64):
        assert read_fact_checks(path, name).fact_checks[0].collection == name
    assert read_fact_checks(path, "c", language="en-GB").fact_checks[0].language == "en"
    with pytest.raises(FactCheckError, match="language 'english'"):
        read_fact_checks(path, "c", language="english")


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.snopes.com/fact-check/x/", "https://www.snopes.com/fact-check/x/"),
        ("  http://example.org/a?b=1#c ", "http://example.org/a?b=1#c"),
        ("HTTPS://Example.org/", "https://Example.org/"),
        ("javascript:alert(1)", ""),
        ("JavaScript://example.org/%0Aalert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("//example.org/relative", ""),
        ("/fact-check/x/", ""),
        ("https://", ""),
        ("https://exa mple.org/", ""),
        ("https://example.org/\nx", ""),
        ("https://[::1/", ""),
        ("https://example.org/" + "a" * 2100, ""),
        (42, ""),
    ],
)
def test_only_http_urls_are_kept(tmp_path: Path, url: Any, kept: str) -> None:
    path = jsonl(tmp_path / "u.jsonl", [generic(1, url=url)])
    assert read_fact_checks(path, "c").fact_checks[0].url == kept


@pytest.mark.parametrize(
    ("date", "published"),
    [
        ("27 December 2018", "2018-12-27"),
        ("6 March 2021", "2021-03-06"),
        ("21February 2009", "2009-02-21"),
        ("3. März 2024", "2024-03-03"),
        ("December 27, 2018", "2018-12-27"),
        ("Sept. 3rd, 2020", "2020-09-03"),
        ("27.12.2018", "2018-12-27"),
        ("2018-12-27", "2018-12-27"),
        ("2018-12-27T23:30:00-05:00", "2018-12-27"),
        ("30 February 2019", "30 February 2019"),  # no such day: kept as given
        ("Spring 2019", "Spring 2019"),
        ("", ""),
        (None, ""),
    ],
)
def test_dates_are_normalised(tmp_path: Path, date: Any, published: str) -> None:
    path = jsonl(tmp_path / "d.jsonl", [generic(1, date=date)])
    assert read_fact_checks(path, "c").fact_checks[0].published == published


def test_text_fields_are_plain_and_capped(tmp_path: Path) -> None:
    record = {
        "id": "  x\x00 ",
        "claim": "<p>Refugees <script>alert(1)</script>get\n\n <b>more</b>\x07 money &amp; houses.</p>",
        "title": "word " * 200,
        "publisher": {"name": "an object is not a name"},
        "rating": 0,
    }
    fact_check = read_fact_checks(jsonl(tmp_path / "t.jsonl", [record]), "c").fact_checks[0]
    assert fact_check.external_id == "x"
    assert fact_check.claim == "Refugees get more money & houses."
    assert len(fact_check.title) <= 500 and fact_check.title.endswith("word…")
    assert (fact_check.publisher, fact_check.rating) == ("", "0")
    long_claim = read_fact_checks(jsonl(tmp_path / "l.jsonl", [generic(1, claim="x" * 5000)]), "c")
    assert len(long_claim.fact_checks[0].claim) == 2000
    long_id = read_fact_checks(jsonl(tmp_path / "i.jsonl", [generic(1, id="i" * 400)]), "c")
    assert long_id.fact_checks[0].external_id.startswith("sha256:")


def test_the_shared_vclaims_file_is_read_whole() -> None:
    if not VCLAIMS.is_file():
        pytest.skip(f"{VCLAIMS} is absent (it ships with the shared project material)")
    result = read_fact_checks(VCLAIMS, "snopes", language="en")
    assert len(result.fact_checks) == 14_231 and result.problems == []
    by_id = {f.external_id: f for f in result.fact_checks}
    chicago = by_id["vclaim-sno-15-homeless-dead-in-chicago"]
    assert (chicago.published, chicago.url) == (
        "2019-01-30",
        "https://www.snopes.com/fact-check/15-homeless-dead-in-chicago/",
    )
    assert sum(1 for f in result.fact_checks if f.url) == 2266
    assert sum(1 for f in result.fact_checks if len(f.published) == 10) > 13_900


# -- storage ------------------------------------------------------------------------------------------


@BOTH_DATABASES
def test_upsert_adds_updates_and_never_duplicates(settings: Settings) -> None:
    store = Store(settings.effective_database_url)
    one, two = (
        FactCheck("snopes", "b", "Claim B."),
        FactCheck("snopes", "a", "Claim A.", url="https://s.org/a"),
    )
    other = FactCheck("correctiv", "a", "Behauptung A.", language="de")
    empty = store.fact_checks_version()
    assert store.upsert_fact_checks([one, two, other, one]) == (3, 0)
    added = store.fact_checks_version()
    assert added != empty
    assert store.load_fact_checks() == [other, two, one]  # by collection, then id
    assert store.fact_check_collections() == [("correctiv", 1), ("snopes", 2)]

    assert store.upsert_fact_checks([one, two]) == (0, 0)  # nothing changed: the version stays
    assert store.fact_checks_version() == added

    changed = FactCheck("snopes", "b", "Claim B.", rating="False")
    assert store.upsert_fact_checks([changed, FactCheck("snopes", "c", "Claim C.")]) == (1, 1)
    assert store.fact_checks_version() not in (empty, added)
    assert [f for f in store.load_fact_checks() if f.external_id == "b"] == [changed]

    version = store.fact_checks_version()
    assert store.remove_fact_check_collection("nothing-here") == 0 and store.fact_checks_version() == version
    assert store.remove_fact_check_collection("snopes") == 3
    assert store.fact_checks_version() != version
    assert store.load_fact_checks() == [other] and store.fact_check_collections() == [("correctiv", 1)]


def test_version_changes_with_an_update_in_the_same_clock_tick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'f.db'}")
    monkeypatch.setattr(factsandwich.storage.fact_checks, "utcnow", lambda: dt.datetime(2026, 1, 1))
    store.upsert_fact_checks([FactCheck("c", "1", "First wording.")])
    before = store.fact_checks_version()
    assert store.upsert_fact_checks([FactCheck("c", "1", "Second wording.")]) == (0, 1)
    assert store.fact_checks_version() != before


def test_the_shared_vclaims_are_stored_once(tmp_path: Path) -> None:
    if not VCLAIMS.is_file():
        pytest.skip(f"{VCLAIMS} is absent (it ships with the shared project material)")
    fact_checks = read_fact_checks(VCLAIMS, "snopes", language="en").fact_checks
    store = Store(f"sqlite:///{tmp_path / 'f.db'}")
    assert store.upsert_fact_checks(fact_checks) == (14_231, 0)
    assert store.upsert_fact_checks(fact_checks) == (0, 0)
    assert store.load_fact_checks() == sorted(fact_checks, key=lambda f: f.external_id)


# -- web UI -------------------------------------------------------------------------------------------

PASSWORD = "correct horse battery"


def test_item_page_links_the_published_fact_checks(settings: Settings) -> None:
    store = Store(settings.effective_database_url)
    core = Factsandwich(settings, store=store, encoder=FakeEncoder())
    add_user(store, "anna", ["comms"], PASSWORD, "en")
    add_user(store, "bernd", ["comms"], PASSWORD, "de")
    matched = [
        {
            "collection": "snopes",
            "external_id": "a",
            "claim": "Migrants get free cars.",
            "title": "Do Migrants Get Free Cars?",
            "rating": "False",
            "publisher": "Dan Evon",
            "published": "2019-01-30",
            "url": "https://www.snopes.com/fact-check/free-cars/",
            "score": 0.8312,
        },
        {
            "collection": "evil",
            "external_id": "b",
            "claim": "<script>alert(1)</script> claim",
            "title": "",
            "rating": "<b>bold</b>",
            "publisher": "",
            "published": "",
            "url": "javascript:alert(1)",
            "score": 0.5,
        },
    ]
    base: dict[str, Any] = {
        "source": "s",
        "guid": None,
        "link": None,
        "title": "t",
        "text": "text",
        "language": "en",
    }
    scores: dict[str, Any] = {
        "published": None,
        "myth_probability": 0.9,
        "flagged": True,
        "matches": [],
        "draft": None,
    }
    store.add_items(
        [
            {
                **base,
                **scores,
                "content_hash": "a" * 64,
                "top_claim": None,
                "priority": 1.0,
                "fact_checks": matched,
            },
            {**base, **scores, "content_hash": "b" * 64, "top_claim": None, "priority": 1.0},
        ]
    )
    with_checks, without = (item.id for item in store.list_items())
    client = create_app(
        {"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}, core=core
    ).test_client()
    assert client.post("/login", data={"name": "anna", "password": PASSWORD}).status_code == 302

    page = client.get(f"/items/{with_checks}").data.decode()
    assert "Published fact-checks" in page and "Dan Evon" in page and "0.83" in page and "False" in page
    assert (
        '<a href="https://www.snopes.com/fact-check/free-cars/" rel="noopener noreferrer" target="_blank">'
        in page
    )
    assert page.count('target="_blank"') == 1  # the javascript: address is no link
    assert "javascript:" not in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; claim" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "Published fact-checks" not in client.get(f"/items/{without}").data.decode()

    german = create_app(
        {"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}, core=core
    ).test_client()
    german.post("/login", data={"name": "bernd", "password": PASSWORD})
    assert "Veröffentlichte Faktenchecks" in german.get(f"/items/{with_checks}").data.decode()
