"""Full German and English: every visible string of the web UI has both translations.

A string is visible when a template prints it; templates print words only through `_("key")`, so
literal words left in a template's text, or a key without both languages, fail here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from factsandwich import accounts, alerts, claims, sandwich
from factsandwich.storage import office
from webui.i18n import MESSAGES

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "webui" / "templates").glob("*.html"))
SOURCES = [*TEMPLATES, *sorted((ROOT / "webui").glob("*.py"))]
KEY_USE = re.compile(r"""(?:\b_|\btranslate)\(\s*["']([a-z0-9_]+)["']""")
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


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_german_and_english(key: str) -> None:
    entry = MESSAGES[key]
    assert entry.get("de", "").strip() and entry.get("en", "").strip(), f"{key!r} lacks a language"


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_every_key_the_ui_uses_exists(source: Path) -> None:
    used = set(KEY_USE.findall(source.read_text(encoding="utf-8")))
    prefixes = {key for key in used if key.endswith("_")}
    unknown = sorted(prefixes - set(ENUMERATIONS))
    assert not unknown, f"{source.name} builds keys from {unknown}: add their values to ENUMERATIONS"
    needed = (used - prefixes) | {prefix + value for prefix in prefixes for value in ENUMERATIONS[prefix]}
    missing = sorted(needed - set(MESSAGES))
    assert not missing, f"{source.name} uses keys without a translation: {missing}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_print_no_untranslated_words(template: Path) -> None:
    text = TAG.sub(" ", CODE.sub(" ", JINJA.sub(" ", template.read_text(encoding="utf-8"))))
    words = [w for w in re.findall(r"[A-Za-zÄÖÜäöüß]{2,}", ENTITY.sub(" ", text)) if w not in NOT_WORDS]
    assert not words, f"{template.name} prints words that are not translated: {words[:20]}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_pass_no_literal_text_to_print(template: Path) -> None:
    """Words inside Jinja expressions (a label given to a macro, `"x" if language == "de" else "y"`):
    a quoted string with a space and a word in it is text for people, not a key or a slug."""
    literals = [
        literal
        for expression in JINJA.findall(template.read_text(encoding="utf-8"))
        for literal in ("".join(groups) for groups in LITERAL.findall(expression))
        if " " in literal.strip() and re.search(r"[A-Za-zÄÖÜäöüß]{2,}", literal)
    ]
    assert not literals, f"{template.name} prints literal text: {literals[:10]}"


def test_the_checker_sees_an_untranslated_word(tmp_path: Path) -> None:
    """The template check is not vacuous: a literal word in a template's text is found."""
    page = '{% block body %}<p title="{{ _("app") }}">Speichern</p>{{ _("save") }}{% endblock %}'
    text = TAG.sub(" ", CODE.sub(" ", JINJA.sub(" ", page)))
    assert re.findall(r"[A-Za-zÄÖÜäöüß]{2,}", text) == ["Speichern"]
