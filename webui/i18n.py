"""The UI's words in German and English, from the gettext catalogs in webui/translations/.

The msgids are stable keys (`approve_blocked`), not English sentences: rewording the English never
orphans the German, and a template names what it prints. Parameters are `{name}` fields, filled after
the lookup. Each user picks a language; the login page follows the browser's (`webui/security.py`
sets `g.language`, Flask-Babel's locale selector reads it), and Babel formats dates and numbers for
that locale in the office's time zone.

The catalogs are read from the compiled `.mo` files that are committed beside the `.po` files
(webui/translations/README.md): they come with every checkout and wheel, and tests/test_i18n.py fails
when a `.mo` differs from its `.po`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from babel.messages.mofile import read_mo
from flask import Flask, g
from flask_babel import Babel, get_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"


def init_app(app: Flask, timezone: str) -> None:
    """Flask-Babel chooses the request's locale (the user's language) and the office's time zone."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    Babel(app, locale_selector=_language, timezone_selector=lambda: timezone, configure_jinja=False)


def _language() -> str:
    language = g.get("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def catalog(language: str) -> Mapping[str, str]:
    """The compiled catalog of `language`, key to words (read once; an unknown language has none)."""
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    if not path.is_file():
        return {}
    with path.open("rb") as file:
        return {
            m.id: m.string
            for m in read_mo(file)
            if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string
        }


def known(key: str, language: str) -> bool:
    """Whether `language`'s catalog translates `key`."""
    return key in catalog(language)


def translate(key: str, language: str, **params: object) -> str:
    """The words for `key` in `language` (the key itself when the catalog lacks it), `{name}` fields
    filled from `params`."""
    text = catalog(language).get(key, key)
    return text.format(**params) if params else text


def current_language() -> str:
    """The request's language, as Flask-Babel's locale selector chose it."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def gettext(key: str, **params: object) -> str:
    """`translate` in the request's language: templates' `_(key, n=3)`."""
    return translate(key, current_language(), **params)
