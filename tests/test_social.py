"""Social-media text as the models read it: hashtags as words, no handles, URLs or markers."""

from __future__ import annotations

import pytest

from factsandwich.social import for_models, split_hashtag


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("RapeFugees", "Rape Fugees"),
        ("rapefugees", "rape fugees"),
        ("Asylantenflut", "Asylanten flut"),
        ("Bevölkerungsaustausch", "Bevölkerungs austausch"),
        ("MerkelMussWeg", "Merkel Muss Weg"),
        ("Flüchtlingskrise", "Flüchtlings krise"),
        ("refugees_not_welcome", "refugees not welcome"),
        ("Weihnachtsmarkt", "Weihnachtsmarkt"),  # unknown compounds stay whole
        ("G20", "G 20"),
    ],
)
def test_hashtags_become_words(tag: str, words: str) -> None:
    assert split_hashtag(tag) == words


def test_handles_urls_retweets_and_line_markers_are_dropped() -> None:
    text = "RT @someone: Wieso bekommen #rapefugees mehr?|LBR|Quelle: https://t.co/xYz @other_user"
    assert for_models(text) == "Wieso bekommen rape fugees mehr?\nQuelle"


def test_plain_text_is_unchanged() -> None:
    text = "Die kommen doch nur wegen dem Bürgergeld.\nSagt mein Nachbar."
    assert for_models(text) == text


def test_an_email_address_is_not_a_handle() -> None:
    assert for_models("Schreiben Sie an presse@stadt.example") == "Schreiben Sie an presse@stadt.example"


def test_a_post_that_is_only_a_link_or_a_handle_is_still_read() -> None:
    assert for_models("https://t.co/abc") == "https://t.co/abc"
    assert for_models("@someone") == "@someone"
