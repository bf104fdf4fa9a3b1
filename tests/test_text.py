from __future__ import annotations

import pytest

from factsandwich.text import content_hash, detect_language, html_to_text, normalise_text


def test_html_to_text_drops_markup_and_scripts() -> None:
    html = (
        '<p>Hallo <b>Welt</b></p><script>alert(1)</script><img src=x onerror="alert(1)">'
        '<a href="javascript:alert(1)">Link</a><style>p{}</style>&amp; mehr'
    )
    text = html_to_text(html)
    assert text == "Hallo Welt\nLink& mehr"
    assert "<" not in text and "alert" not in text


def test_html_to_text_caps_huge_and_deeply_nested_input() -> None:
    text = html_to_text("<div>" * 50_000 + "wort " * 100_000 + "</div>" * 50_000, max_chars=1000)
    assert len(text) <= 1002 and text.endswith("…")


def test_normalise_removes_control_characters() -> None:
    assert normalise_text("a\x00b\u00a0 c\n\n\nd") == "ab c\nd"


def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("Hallo  Welt") == content_hash("hallo welt")
    assert content_hash("Hallo Welt") != content_hash("Hallo Welten")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Die Flüchtlinge bekommen mehr als unsere Rentner, das ist doch nicht fair.", "de"),
        ("Refugees get more money than our pensioners and that is not fair.", "en"),
        ("Übergriffe", "de"),
        ("12345", "de"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language
