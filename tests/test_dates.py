"""Page dates: the fast parser for common forms, dateparser for the rest, never a guess."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from threadsearch.dates import parse_localized_date, parse_page_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The forms named in issue 11, and the neighbouring languages'.
        ("31. Oktober 2011 um 08:56", datetime(2011, 10, 31, 8, 56)),
        ("2 Eylül 2014", datetime(2014, 9, 2)),
        ("2014年3月5日 14:05", datetime(2014, 3, 5, 14, 5)),
        ("5 de marzo de 2014 a las 14:05", datetime(2014, 3, 5, 14, 5)),
        ("le 3 janvier 2013 à 14 h 05", datetime(2013, 1, 3, 14, 5)),
        ("3 gennaio 2013 alle 14:05", datetime(2013, 1, 3, 14, 5)),
        ("5 marca 2014 o 14:05", datetime(2014, 3, 5, 14, 5)),
        ("5 марта 2014 в 14:05", datetime(2014, 3, 5, 14, 5)),
        ("5. března 2014 v 14:05", datetime(2014, 3, 5, 14, 5)),
        # Only dateparser knows these month spellings and CJK units.
        ("5 Mart 2014 14:05", datetime(2014, 3, 5, 14, 5)),
        ("2014년 3월 5일 14:05", datetime(2014, 3, 5, 14, 5)),
        ("2014年3月5日", datetime(2014, 3, 5)),
        ("14 Φεβρουαρίου 2014", datetime(2014, 2, 14)),
        (
            "2 Eylül 2014, 14:05 +0300",
            datetime(2014, 9, 2, 14, 5, tzinfo=timezone(timedelta(hours=3))),
        ),
    ],
)
def test_page_dates_in_many_languages(text: str, expected: datetime) -> None:
    value = parse_page_date(text)
    assert value == expected
    assert (value.tzinfo is None) == (expected.tzinfo is None)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday 2014",  # relative: never read against today's date
        "vor 3 Tagen, 2014",
        "5 Mart",  # no year: not filled in from today
        "March 2014",  # no day
        "02/03/2017",  # numeric with slashes: day or month first?
        "Wed, 05/03/2014 - 14:05",  # a weekday name does not make it readable
        "2014/03/05",
        "31 February 2017",
        "Reply",
        "",
    ],
)
def test_page_dates_that_cannot_be_known_are_none(text: str) -> None:
    assert parse_page_date(text) is None


def test_localized_dates_in_the_documents_language_are_found_inside_text() -> None:
    text = "Yanıtla · 2 Eylül 2014 saat 14:05"
    assert parse_page_date(text, ["tr"]) == datetime(2014, 9, 2, 14, 5)
    assert parse_page_date("Posted on 2 Eylül 2014 at 14:05", ["tr", "en"]) == datetime(
        2014, 9, 2, 14, 5
    )
    # Limited to German, a Turkish month name is no month.
    assert parse_localized_date(text, ["de"]) is None
    # With no language known only a whole date is read (searching every language is slow).
    assert parse_localized_date(text) is None


def test_common_dates_do_not_import_dateparser() -> None:
    code = (
        "import sys; from threadsearch.dates import parse_page_date as p; "
        "assert p('February 26, 2017 at 4:48 pm') is not None; "
        "assert p('Reply') is None; "
        "print('dateparser' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
