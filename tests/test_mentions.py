"""find_mentions: the names a comment addresses, rule by rule, and what is not a name."""

from __future__ import annotations

import pytest
from threadsearch.mentions import find_mentions


def test_find_mentions_salutation_at_comment_start() -> None:
    assert find_mentions("Will, you’re right about South Korean attitudes.") == ["Will"]


def test_find_mentions_salutation_of_two_words_on_its_own_line() -> None:
    assert find_mentions("Sun bin,\n\nI’m not exactly sure how the West can help.") == ["Sun bin"]


def test_find_mentions_name_alone_on_first_line_without_comma() -> None:
    assert find_mentions("Sun bin\n\nYou should read the full report.") == ["Sun bin"]


def test_find_mentions_greeting_before_the_name() -> None:
    assert find_mentions("Hi Will, good to see you.\n\nDear Sun Bin,\nthanks.") == [
        "Will",
        "Sun Bin",
    ]


def test_find_mentions_name_alone_on_a_later_line() -> None:
    body = "Thanks for the links.\n\nMary Ann,\nyour second point is the strongest."
    assert find_mentions(body) == ["Mary Ann"]


def test_find_mentions_attribution_verbs() -> None:
    body = "Sun-Bin muses:\n\n…many of them are not treated too badly.\n\nivan wrote:\n\nrubbish"
    assert find_mentions(body) == ["Sun-Bin", "ivan"]


def test_find_mentions_name_after_a_discourse_word() -> None:
    body = "Good points.\n\nTherefore, Sun-Bin, how many men would not take the money?"
    assert find_mentions(body) == ["Sun-Bin"]


def test_find_mentions_handles() -> None:
    body = "@martyn_w I agree, and so does @Sun.Bin. Mail me at me@example.org."
    assert find_mentions(body) == ["martyn_w", "Sun.Bin"]


@pytest.mark.parametrize(
    "body",
    [
        "Also, diplomatically, China does not want a strong Korea.",
        "Anyway, US/Japanese financial assistance would come at a price.",
        "Therefore, whether unification comes gradually or quickly, it costs.",
        "Now that it is a really good point.",
        "Now, that is a really good point.",
        "Yes, the SK obviously read the lesson of the Germans.",
        "As said above, rural women are exploited.",
        "Really, initial unification costs are just the beginning.",
        "Well,\nI never.",
        "Awww, oh mercy me, you say you feel SAD?",
        "about the korean unification.\n\nyes, the SK obviously read it.",
        "“had the poor sods over”\n\n“hand the poor sods over”",
        "Regarding the diplomatic allegiance this is how my thinking goes:\n\nmore",
        "He said: nothing at all.",
        "",
    ],
)
def test_find_mentions_discourse_words_are_not_names(body: str) -> None:
    assert find_mentions(body) == []


def test_find_mentions_lowercase_vocative_needs_a_known_name() -> None:
    body = "calm down ivan,\n\ni am just trying to ask for pragmatism."
    assert find_mentions(body) == []
    assert find_mentions(body, known_names=["Ivan"]) == ["Ivan"]


def test_find_mentions_known_name_at_line_start_any_case() -> None:
    body = "Good post.\n\nmartyn: where is the report?\nSUN BIN, read it."
    assert find_mentions(body, known_names=["Martyn", "Sun Bin"]) == ["Martyn", "Sun Bin"]


def test_find_mentions_known_name_needs_comma_or_colon() -> None:
    assert find_mentions("Martyn is right about this.", known_names=["Martyn"]) == []


def test_find_mentions_deduplicates_in_first_seen_order() -> None:
    body = "Will, you’re right.\n\nSun bin,\nand you too.\n\nWill,\nagain."
    assert find_mentions(body) == ["Will", "Sun bin"]


def test_find_mentions_known_spelling_wins() -> None:
    assert find_mentions("will, listen.", known_names=["Will"]) == ["Will"]
