from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import shutil
from pathlib import Path

import jinja2
import pytest

from factsandwich.claims import LANGUAGES, Claim, load_claims
from factsandwich.config import PROJECT_ROOT
from factsandwich.errors import ConfigError
from factsandwich.sandwich import (
    CHANNEL_LIMITS,
    PARTS,
    TONES,
    DraftWriter,
    check_parts,
    fact_phrasings,
    source_label,
    split_sentences,
)

TEMPLATES = PROJECT_ROOT / "templates"
CLAIMS = load_claims(PROJECT_ROOT / "claims_db")
TODAY = dt.date(2026, 12, 1)
WRITER = DraftWriter(TEMPLATES, today=TODAY)
CASES = [
    pytest.param(claim, language, channel, tone, id=f"{claim.id}-{language}-{channel}-{tone}")
    for claim in CLAIMS
    for language in LANGUAGES
    for channel in CHANNEL_LIMITS
    for tone in TONES
]
_URL = re.compile(r"https?://\S+")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
# A form label at the start of a sentence: "Myth: …", "Fakt: …", "Falsch: …".
_FORM_LABEL = re.compile(
    r"(?:^|[.!?“”]\s+)(?:Myth|Mythos|Fact|Fakt|Fallacy|Denkfehler|Falsch|False|Wahr|True|Richtig)\s*:"
)
_TEMPLATE_SYNTAX = ("{{", "}}", "{%", "%}", "{#", "#}", "Undefined", "None")


def _claim(claim_id: str) -> Claim:
    claim = CLAIMS.get(claim_id)
    assert claim is not None
    return claim


def _lead_fact(claim: Claim, language: str, fact_part: str) -> str:
    """The fact the draft leads with, without the scope ("In Germany: ")."""
    for text in (claim.fact[language], claim.short_fact[language]):
        if fact_part.endswith(text):
            return text
    raise AssertionError(f"the lead is neither the fact nor the short fact: {fact_part!r}")


def _figures(text: str) -> set[str]:
    return set(_FIGURE.findall(_URL.sub("", text)))


def _without_myth(text: str, myth: str) -> str:
    """The words the template wrote around the myth (the list of sources and addresses left out: a
    title or an address may hold a "?")."""
    text = re.split(r"\n\n(?:Quellen|Sources): ", text)[0]
    return _URL.sub("", text.replace(myth, ""))


@pytest.mark.parametrize(("claim", "language", "channel", "tone"), CASES)
def test_every_draft_is_a_fact_sandwich_within_its_limit(
    claim: Claim, language: str, channel: str, tone: str
) -> None:
    draft = WRITER.render(claim, language, channel, tone)
    text, parts, myth = draft.text, draft.parts, claim.canonical_myth(language)
    structural = [p for p in draft.problems if "review" not in p]
    assert not structural, (text, draft.problems)
    assert set(parts) == set(PARTS) and all(parts[name].strip() for name in PARTS)
    limit = CHANNEL_LIMITS[channel]
    assert limit is None or len(text) <= limit, len(text)
    # 1. the fact leads ...
    assert text.startswith(parts["fact"])
    lead = _lead_fact(claim, language, parts["fact"])
    # 3. ... the myth comes once, in its own part, after a warning, and never inside the fact ...
    assert text.count(myth) == 1 and myth in parts["myth"]
    assert text.index(parts["warning"]) < text.index(myth)
    # ... the fallacy is explained in words, not named with one word ...
    assert len(parts["fallacy"].split()) >= 4, parts["fallacy"]
    # 4. ... and the fact closes it, in other words than the lead.
    assert text.rstrip().endswith(parts["fact_repeat"].rstrip())
    assert parts["fact_repeat"] != parts["fact"]
    assert lead not in parts["fact_repeat"], "the repeat says the lead word for word"
    # Finished text: no template syntax left, no form labels, no number that the pair does not state.
    assert not any(token in text for token in _TEMPLATE_SYNTAX), text
    stated = " ".join(
        [claim.fact[language], claim.short_fact[language], claim.explanation[language], myth]
        + [f"{s.title} {s.year} {s.publisher}" for s in claim.sources]
    )
    assert _figures(text) <= _figures(stated), _figures(text) - _figures(stated)
    if channel == "short":
        assert not _FORM_LABEL.search(text), text


@pytest.mark.parametrize("channel", list(CHANNEL_LIMITS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_three_tones_differ_visibly(language: str, channel: str) -> None:
    for claim in CLAIMS:
        drafts = {tone: WRITER.render(claim, language, channel, tone) for tone in TONES}
        for a, b in itertools.combinations(TONES, 2):
            # the myth and the fact are the same; the words around them are not
            assert drafts[a].parts["warning"] != drafts[b].parts["warning"], (claim.id, a, b)
            assert drafts[a].text != drafts[b].text
        myth = claim.canonical_myth(language)
        friendly = _without_myth(drafts["friendly"].text, myth)
        assert "?" in friendly, friendly  # asks the reader
        we = r"\b(wir|uns)\b" if language == "de" else r"\b(we|us|let's)\b"
        assert re.search(we, friendly, re.IGNORECASE), friendly
        firm = _without_myth(drafts["firm"].text, myth).casefold()
        assert "falsch" in firm if language == "de" else "false" in firm, firm
        assert "?" not in _without_myth(drafts["factual"].text, myth)


@pytest.mark.parametrize("language", LANGUAGES)
def test_short_posts_cite_their_source_whenever_there_is_room(language: str) -> None:
    word = "Quelle" if language == "de" else "Source"
    for claim, tone in itertools.product(CLAIMS, TONES):
        draft = WRITER.render(claim, language, "short", tone)
        source = claim.sources[0]
        label = source_label(source)
        cited = source.url in draft.text or label in draft.text or f"{label.split()[0]}:" in draft.text
        # a citation is left out only when even its name would not fit
        assert cited or len(draft.text) + len(f" {word}: {label}") > 280, (claim.id, tone, draft.text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_mastodon_posts_and_statements_cite_their_sources(language: str) -> None:
    for claim, tone in itertools.product(CLAIMS, TONES):
        post = WRITER.render(claim, language, "mastodon", tone).text
        source = claim.sources[0]
        assert source.url in post or source_label(source) in post, (claim.id, tone, post)
        statement = WRITER.render(claim, language, "statement", tone).text
        assert all(s.url in statement for s in claim.sources)
        assert ("Quellen:" if language == "de" else "Sources:") in statement


def test_a_link_that_fits_is_kept_in_the_short_post() -> None:
    draft = WRITER.render(_claim("europe-takes-most-refugees"), "en", "short", "friendly")
    assert draft.text.endswith("More: https://www.unhcr.org/global-trends") and len(draft.text) <= 280


# Golden examples, read and approved for tone, grammar and faithfulness to the pair.
GOLDEN = {
    ("jobs-taken", "de", "short", "friendly"): (
        "2024 waren rund 46 Mio. Menschen in Deutschland erwerbstätig – so viele wie nie seit 1990. "
        "Kennen Sie das? „Migranten nehmen uns die Arbeitsplätze weg.“ Das unterstellt einen festen Kuchen. "
        "Wir halten fest: Zuwanderung hat zum Jobwachstum beigetragen. Quelle: Destatis"
    ),
    ("great-replacement", "en", "short", "firm"): (
        "No secret plan, just demography: births, ageing and people moving in and out. "
        "This is false: “There is a planned replacement of the native population.” "
        "There is no evidence of a secret plan. The facts: Migration is decided openly, in parliaments. "
        "Source: ARD-faktenfinder"
    ),
    ("sea-rescue-pull-factor", "de", "short", "factual"): (
        "Mehrere Studien sehen keinen Zusammenhang von Seenotrettung und Überfahrten, eine schon. "
        "Ein verbreiteter Irrtum: „Seenotrettung lockt nur noch mehr Migranten an.“ "
        "Was zusammenfällt, muss nicht zusammenhängen. "
        "Überfahrten folgen eher Konflikten, Wetter und Grenzpolitik."
    ),
    ("welfare-magnet", "de", "mastodon", "factual"): (
        "Fluchtgrund sind meist Krieg und Verfolgung – und viele Geflüchtete arbeiten nach einigen Jahren."
        "\n\n"
        "Dazu hält sich hartnäckig ein Irrtum:\n\n"
        "„Die kommen doch nur wegen der Sozialleistungen.“\n\n"
        "Was auf Einzelne zutrifft, wird hier allen unterstellt.\n\n"
        "Das Wichtigste in Kürze. Die meisten fliehen vor Krieg, Gewalt und Verfolgung. Quelle: "
        "https://bamf.de/SharedDocs/Anlagen/DE/Forschung/Forschungsberichte/fb29-iab-bamf-soep-befragung-gefluechtete.html?nn=282104"
    ),
}


@pytest.mark.parametrize(("key", "expected"), list(GOLDEN.items()), ids=["-".join(k) for k in GOLDEN])
def test_golden_drafts(key: tuple[str, str, str, str], expected: str) -> None:
    claim_id, language, channel, tone = key
    assert WRITER.render(_claim(claim_id), language, channel, tone).text == expected


def test_golden_statement_in_english() -> None:
    draft = WRITER.render(_claim("jobs-taken"), "en", "statement", "factual")
    assert draft.parts["fact"] == (
        "In Germany: In 2024 about 46 million people were in work in Germany, the most since 1990. "
        "According to Destatis, immigration and higher labour-force participation drove the increase "
        "while baby boomers retired."
    )
    assert draft.parts["warning"] == (
        "A claim about this is circulating that is not correct. "
        "We repeat it here once in order to put it in context:"
    )
    assert draft.parts["myth"] == "“Migrants are taking our jobs.”"
    assert draft.parts["fallacy"].startswith("Work is not a fixed pie: people who work also earn and spend")
    assert draft.parts["fallacy"].endswith(
        "The flaw behind it is zero-sum thinking: It assumes a fixed pie that newcomers take from others."
    )
    assert draft.parts["fact_repeat"].startswith(
        "The key fact, in brief. "
        "About 46 million people were in work in Germany in 2024 – the most since 1990."
        "\n\nSources: Statistisches Bundesamt (Destatis), “Pressemitteilung Nr. 001"
    )


def _repeats(language: str) -> dict[str, list[str]]:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined)
    return dict(vars(env.get_template(f"{language}/_repeats.j2").module)["REPEATS"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_shipped_pair_has_a_current_core_sentence_that_states_no_new_figure(language: str) -> None:
    repeats = _repeats(language)
    assert set(repeats) == {claim.id for claim in CLAIMS}
    for claim in CLAIMS:
        written_for, sentence = repeats[claim.id]
        assert written_for == claim.short_fact[language], f"{claim.id}: the core sentence is stale"
        assert len(sentence) <= 70 and sentence.endswith("."), sentence
        assert _figures(sentence) <= _figures(claim.fact[language] + " " + claim.short_fact[language])
        assert sentence != claim.short_fact[language]


def test_a_stale_core_sentence_is_not_used() -> None:
    claim = _claim("jobs-taken")
    changed = dataclasses.replace(
        claim, short_fact={**claim.short_fact, "de": "2024 waren rund 46 Mio. erwerbstätig."}
    )
    draft = WRITER.render(changed, "de", "short", "factual")
    assert "Jobwachstum" not in draft.text  # the entry was written for the old short fact
    assert draft.parts["fact"] == "2024 waren rund 46 Mio. erwerbstätig."
    assert "2024 waren in Deutschland rund 46 Millionen Menschen erwerbstätig" in draft.parts["fact_repeat"]
    assert len(draft.text) <= 280 and not [p for p in draft.problems if "review" not in p]


def test_a_pair_without_a_core_sentence_repeats_a_wording_of_its_fact() -> None:
    claim = dataclasses.replace(_claim("jobs-taken"), id="new-pair")
    draft = WRITER.render(claim, "en", "short", "factual")
    assert (
        "In 2024 about 46 million people were in work in Germany, the most since 1990."
        in draft.parts["fact_repeat"]
    )
    assert len(draft.text) <= 280 and not [p for p in draft.problems if "review" not in p]


def test_office_templates_without_core_sentences_still_render(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    for language in LANGUAGES:
        (tmp_path / "templates" / language / "_repeats.j2").unlink()
    writer = DraftWriter(tmp_path / "templates", today=TODAY)
    for claim in CLAIMS:
        draft = writer.render(claim, "de", "short", "friendly")
        assert draft.text.startswith(claim.short_fact["de"])
        # never cut: when no second wording fits, the length is reported instead
        assert len(draft.text) <= 280 or any("over the 280" in p for p in draft.problems)


def test_sentences_split_at_sentence_ends_only() -> None:
    text = (
        "Ende 2024 gab es nur noch rund 1,05 Mio. Sozialwohnungen, v. a. in Städten. Am 2. Januar 2025 "
        "meldete Destatis 46 Mio. Erwerbstätige, so viele wie nie seit 1990. Laut IAB reicht das nicht."
    )
    assert split_sentences(text) == [
        "Ende 2024 gab es nur noch rund 1,05 Mio. Sozialwohnungen, v. a. in Städten.",
        "Am 2. Januar 2025 meldete Destatis 46 Mio. Erwerbstätige, so viele wie nie seit 1990.",
        "Laut IAB reicht das nicht.",
    ]
    assert split_sentences("About 46 million, e.g. in 2024. Most since 1990.") == [
        "About 46 million, e.g. in 2024.",
        "Most since 1990.",
    ]


def test_fact_phrasings_end_at_sentence_boundaries_and_keep_the_figure() -> None:
    for claim, language in itertools.product(CLAIMS, LANGUAGES):
        fact, lead = claim.fact[language], claim.short_fact[language]
        sentences = split_sentences(fact)
        for wording in fact_phrasings(fact, lead=lead):
            assert wording in fact and wording in {
                " ".join(sentences[i:j])
                for i in range(len(sentences))
                for j in range(i + 1, len(sentences) + 1)
            }
            if _figures(lead):
                assert _figures(lead) & _figures(wording), (claim.id, wording)
            assert wording != lead
    # a sentence that states none of the lead's figures is no second wording of it
    assert fact_phrasings("Es sind 46 Mio. Menschen. Das ist viel.", lead="46 Mio. Menschen arbeiten.") == (
        "Es sind 46 Mio. Menschen. Das ist viel.",
        "Es sind 46 Mio. Menschen.",
    )


def test_source_label_is_the_short_name() -> None:
    assert source_label(_claim("disease").sources[0]) == "RKI"
    assert source_label(_claim("jobs-taken").sources[0]) == "Destatis"
    assert source_label(_claim("crime").sources[0]) == "ifo Institut"
    assert source_label(None) == ""


def test_draft_language_and_sources_in_statement() -> None:
    claim = _claim("jobs-taken")
    german = WRITER.render(claim, "de", "statement")
    assert "Quellen:" in german.text and claim.sources[0].url in german.text
    checks = german.to_dict()["checks"]
    assert checks["length"] == len(german.text) and checks["limit"] is None


def test_checker_reports_structure_and_length_problems() -> None:
    parts = {"fact": "F", "warning": "W", "myth": "Mythos X", "fallacy": "", "fact_repeat": "F. Mythos X"}
    problems = check_parts(parts, "short", "Mythos X")
    assert "the part 'fallacy' is empty" in problems
    assert any("myth is repeated" in p for p in problems)
    long_parts = dict.fromkeys(PARTS, "x" * 60)
    assert any("over the 280" in p for p in check_parts(long_parts, "short", "y"))


def test_needs_review_claim_is_marked_not_ready() -> None:
    claim = dataclasses.replace(next(iter(CLAIMS)), status="needs_review")
    draft = WRITER.render(claim, "en", "short")
    assert any("review" in p for p in draft.problems) and not draft.to_dict()["checks"]["ok"]


def test_unknown_channel_or_tone_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown channel"):
        WRITER.render(next(iter(CLAIMS)), "de", "fax")
    with pytest.raises(ConfigError, match="factual, friendly, firm"):
        WRITER.render(next(iter(CLAIMS)), "de", "short", "sarcastic")
