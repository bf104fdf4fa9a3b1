"""Full German and English: every visible string of the web UI is in both gettext catalogs.

A string is visible when a template or a view prints it; they print words only through keys
(`_("key")`, `translate("key", language)`), so literal words left in a template's text, a key missing
from a catalog, an empty or fuzzy translation, German and English with different `{placeholders}`, or
a compiled `.mo` that is older than its `.po` fail here. Each checker is also fed a broken catalog, so
none of them passes vacuously."""

from __future__ import annotations

import datetime as dt
import io
import re
import string
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import Flask, g

from factsandwich import accounts, alerts, claims, sandwich
from factsandwich.storage import office
from webui import formatting, i18n
from webui.i18n import LANGUAGES, TRANSLATIONS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "webui" / "templates").glob("*.html"))
SOURCES = [*TEMPLATES, *sorted((ROOT / "webui").glob("*.py"))]
KEY_USE = re.compile(r"""(?:\b_|\btranslate|\b_say|\bgettext|\bknown)\(\s*["']([a-z0-9_.]+)["']""")
# What a template's text may hold besides translated words: markup, Jinja, names and symbols.
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
# Code, and key names (<kbd>Enter</kbd>), are not translated.
CODE = re.compile(r"<(script|style|kbd)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&[#\w]+;")
LITERAL = re.compile(r""""([^"]*)"|'([^']*)'""")
# Keys made of a prefix and a value (`_("status_" + item.status)`): every value needs its key.
ENUMERATIONS: dict[str, tuple[str, ...]] = {
    "status_": (*office.ITEM_STATUSES, "open"),
    "response_status_": (*office.RESPONSE_STATUSES, "posted"),  # posted: approved with a posting
    "draft_channel_": tuple(sandwich.CHANNEL_LIMITS),
    "tone_": sandwich.TONES,
    "part_": sandwich.PARTS,
    "kind_": alerts.KINDS,
    "channel_": alerts.CHANNELS,
    "age_": ("min", "h", "d"),
    "claim_status_": claims.STATUSES,
    "fallacy_": claims.FALLACIES,
    "language_": claims.LANGUAGES,
    "role_": accounts.ROLES,
    # the steps and fields of errors.ResponseStateError and LifecycleInputError (storage/office.py)
    "step_": ("edited", "regenerated", "submitted", "approved", "rejected", "reopened", "posted"),
    "lifecycle_input_": ("reason", "platform", "url"),
}
# Names and abbreviations; the language switcher names each language in itself.
NOT_WORDS = {"factsandwich", "ClaimReview", "JSON", "CSV", "API", "URL", "SVG", "UTC", "Deutsch", "English"}


def load_po(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=language)


def load_mo(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as file:
        return read_mo(file)


def entries(catalog: Catalog) -> dict[str, str]:
    """msgid to msgstr, without the header."""
    return {str(message.id): str(message.string or "") for message in catalog if message.id}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def catalog_problems(catalog: Catalog) -> list[str]:
    """A catalog's own faults: an empty or fuzzy translation, or a fuzzy header."""
    problems = [f"{message.id!r} is fuzzy" for message in catalog if message.id and message.fuzzy]
    problems += [f"{key!r} has no translation" for key, text in entries(catalog).items() if not text.strip()]
    return problems + (["the header is fuzzy"] if catalog.fuzzy else [])


def pair_problems(german: Catalog, english: Catalog) -> list[str]:
    """Keys in one language only, and translations whose `{placeholders}` differ."""
    de, en = entries(german), entries(english)
    problems = [f"{key!r} only in German" for key in sorted(de.keys() - en.keys())]
    problems += [f"{key!r} only in English" for key in sorted(en.keys() - de.keys())]
    for key in sorted(de.keys() & en.keys()):
        if placeholders(de[key]) != placeholders(en[key]):
            problems.append(f"{key!r}: {sorted(placeholders(de[key]))} vs {sorted(placeholders(en[key]))}")
    return problems


def compiled_problems(source: Catalog, compiled: Catalog) -> list[str]:
    """Where the committed .mo differs from its .po (run `pybabel compile -d webui/translations`)."""
    po, mo = entries(source), entries(compiled)
    return [f"{key!r} differs" for key in sorted(po.keys() | mo.keys()) if po.get(key) != mo.get(key)]


def missing_keys(used: Iterable[str], catalog: Catalog) -> list[str]:
    """Keys a source uses that the catalog lacks; a prefix stands for every value of its enumeration."""
    used = set(used)
    prefixes = {key for key in used if key.endswith("_")}
    unknown = sorted(prefixes - set(ENUMERATIONS))
    assert not unknown, f"keys built from {unknown}: add their values to ENUMERATIONS"
    needed = (used - prefixes) | {prefix + value for prefix in prefixes for value in ENUMERATIONS[prefix]}
    return sorted(needed - entries(catalog).keys())


def untranslated_words(page: str) -> list[str]:
    text = TAG.sub(" ", CODE.sub(" ", JINJA.sub(" ", page)))
    return [w for w in re.findall(r"[A-Za-zÄÖÜäöüß]{2,}", ENTITY.sub(" ", text)) if w not in NOT_WORDS]


def literal_texts(page: str) -> list[str]:
    """Words inside Jinja expressions (a label given to a macro, `"x" if language == "de" else "y"`):
    a quoted string with a space and a word in it is text for people, not a key or a slug."""
    return [
        literal
        for expression in JINJA.findall(page)
        for literal in ("".join(groups) for groups in LITERAL.findall(expression))
        if " " in literal.strip() and re.search(r"[A-Za-zÄÖÜäöüß]{2,}", literal)
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language: str) -> None:
    assert catalog_problems(load_po(language)) == []


def test_german_and_english_have_the_same_keys_and_placeholders() -> None:
    assert pair_problems(load_po("de"), load_po("en")) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_is_compiled_from_the_po(language: str) -> None:
    assert compiled_problems(load_po(language), load_mo(language)) == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_every_key_the_ui_uses_is_in_both_catalogs(source: Path) -> None:
    used = KEY_USE.findall(source.read_text(encoding="utf-8"))
    for language in LANGUAGES:
        missing = missing_keys(used, load_po(language))
        assert not missing, f"{source.name} uses keys without a {language} translation: {missing}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_print_no_untranslated_words(template: Path) -> None:
    words = untranslated_words(template.read_text(encoding="utf-8"))
    assert not words, f"{template.name} prints words that are not translated: {words[:20]}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_pass_no_literal_text_to_print(template: Path) -> None:
    literals = literal_texts(template.read_text(encoding="utf-8"))
    assert not literals, f"{template.name} prints literal text: {literals[:10]}"


def _catalog(language: str, messages: dict[str, str], fuzzy: Iterable[str] = ()) -> Catalog:
    catalog = Catalog(locale=language, fuzzy=False)
    for key, text in messages.items():
        catalog.add(key, text, flags=("fuzzy",) if key in fuzzy else ())
    return catalog


def test_the_checkers_see_broken_catalogs() -> None:
    """None of the checks is vacuous: each finds its fault in a catalog built to have it."""
    german = _catalog(
        "de", {"save": "Speichern", "empty": "", "guess": "Vielleicht", "n": "{n} neu"}, ["guess"]
    )
    english = _catalog("en", {"save": "Save", "n": "{count} new", "extra": "Extra"})
    assert catalog_problems(german) == ["'guess' is fuzzy", "'empty' has no translation"]
    assert pair_problems(german, english) == [
        "'empty' only in German",
        "'guess' only in German",
        "'extra' only in English",
        "'n': ['n'] vs ['count']",
    ]
    stale = io.BytesIO()
    write_mo(stale, _catalog("de", {"save": "Sichern"}))
    stale.seek(0)
    assert compiled_problems(_catalog("de", {"save": "Speichern"}), read_mo(stale)) == ["'save' differs"]
    assert missing_keys(["save", "tone_", "unknown"], english) == [
        "tone_factual",
        "tone_firm",
        "tone_friendly",
        "unknown",
    ]
    page = '{% block body %}<p title="{{ _("app") }}">Speichern</p>{{ _("save") }}{% endblock %}'
    assert untranslated_words(page) == ["Speichern"]
    assert literal_texts('{{ field(label="Your name") }}') == ["Your name"]


@pytest.mark.parametrize(
    ("language", "moment", "day", "share", "amount"),
    [
        ("de", "23.11.2026, 00:30", "23.11.2026", "37\xa0%", "1.234,50"),
        ("en", "Nov 23, 2026, 12:30\u202fAM", "Nov 23, 2026", "37%", "1,234.50"),
    ],
)
def test_dates_and_numbers_in_the_locale_and_the_office_time_zone(
    language: str, moment: str, day: str, share: str, amount: str
) -> None:
    """Stored times are naive UTC: 23:30 UTC on 22 November is 00:30 on the 23rd in Berlin."""
    app = Flask(__name__)
    i18n.init_app(app, "Europe/Berlin")
    formatting.init_app(app)
    late = dt.datetime(2026, 11, 22, 23, 30)
    with app.test_request_context():
        g.language = language
        assert formatting.datetime(late) == moment
        assert formatting.date(late) == day and formatting.date("2026-11-23") == day
        assert formatting.date("sometime in 2026") == "sometime in 2026"  # not a date: as given
        assert (formatting.percent(0.37), formatting.decimal(1234.5)) == (share, amount)
        assert formatting.datetime(None) == "–"
        page = app.jinja_env.from_string("{{ at|datetime }} · {{ p|percent }}").render(at=late, p=0.37)
        assert page == f"{moment} · {share}"
