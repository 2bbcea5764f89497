"""Dates as blog pages print them: month names in a dozen languages, 12- and 24-hour times.

:func:`parse_page_date` reads "February 26, 2017 at 4:48 pm", "6 Август 2013, 0:38",
"26 févr. 2017 à 16:48" and the like; it returns a naive datetime (pages print local
time with no zone) or None. :func:`parse_iso` reads machine-readable ``datetime``
attributes. Slashed numeric dates are refused: day and month order varies by country.

Two stages. The fast one is our own regular expressions over the month names below: it
reads nearly every date real pages print, in microseconds. What it does not read goes to
dateparser (:func:`parse_localized_date`: Turkish, Greek and 200 other locales' month
names, CJK ``年月日`` and Korean ``년월일`` dates), which costs ~80 ms to import and up to
a second or two on its first call while it loads its locale data, so it is imported only
when a date needs it. It is made deterministic: absolute dates only (no "yesterday",
no "3 days ago", no timestamps), day, month and year all required (nothing is filled in
from the current date), a fixed relative base, and the languages it tries fixed: the
document's when known, else :data:`DATE_LANGUAGES` in order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

# Month names per language, January first. Each entry lists the spellings a blog theme
# prints: nominative and genitive where the language inflects ("Август" in a Russian
# date line, "августа" in a sentence), and spellings without accents that old themes
# and hand-typed dates use. Abbreviations are listed separately below.
_MONTHS: dict[str, str] = {
    "en": "january february march april may june july august september october november december",
    "ru": "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь",
    "ru-gen": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "uk": "січень лютий березень квітень травень червень липень серпень вересень жовтень "
    "листопад грудень",
    "uk-gen": "січня лютого березня квітня травня червня липня серпня вересня жовтня "
    "листопада грудня",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "fr-plain": "janvier fevrier mars avril mai juin juillet aout septembre octobre "
    "novembre decembre",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "de-at": "jänner februar maerz april mai juni juli august september oktober november dezember",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "es-alt": "enero febrero marzo abril mayo junio julio agosto setiembre octubre "
    "noviembre diciembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
    "dezembro",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
    "novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "cs": "leden únor březen duben květen červen červenec srpen září říjen listopad prosinec",
    "cs-gen": "ledna února března dubna května června července srpna září října listopadu prosince",
    "pl": "styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień październik "
    "listopad grudzień",
    "pl-gen": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września "
    "października listopada grudnia",
}

# Abbreviations as themes print them ("Feb 26, 2017", "26 févr. 2017", "26 авг 2013").
_MONTH_ABBREVIATIONS: dict[str, str] = {
    "en": "jan feb mar apr may jun jul aug sep oct nov dec",
    "en-4": "jan feb mar apr may june july aug sept oct nov dec",
    "ru": "янв фев мар апр май июн июл авг сен окт ноя дек",
    "fr": "janv févr mars avr mai juin juil août sept oct nov déc",
    "de": "jan feb mär apr mai jun jul aug sep okt nov dez",
    "es": "ene feb mar abr may jun jul ago sep oct nov dic",
}


def _month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for line in (*_MONTHS.values(), *_MONTH_ABBREVIATIONS.values()):
        names = line.split()
        assert len(names) == 12, names
        for number, name in enumerate(names, start=1):
            name = unicodedata.normalize("NFC", name.casefold())
            # A spelling shared by two languages must mean the same month in both.
            assert table.setdefault(name, number) == number, name
    return table


MONTH_NUMBERS = _month_table()
_MONTH = "|".join(sorted(map(re.escape, MONTH_NUMBERS), key=len, reverse=True))
_MONTH_WORD = rf"(?<!\w)(?P<month>{_MONTH})(?!\w)\.?"
_YEAR = r"(?P<year>\d{4})(?!\d)"
_DAY = r"(?<!\d)(?P<day>\d{1,2})"
_DATE_PATTERNS = (
    # 26 February 2017, 6 Август 2013, 26. února 2017, 26 de febrero de 2017, 1er mai 2017
    re.compile(rf"{_DAY}(?:\.|er|st|nd|rd|th)?\s*(?:de\s+)?{_MONTH_WORD},?\s*(?:de\s+)?{_YEAR}"),
    # February 26, 2017; Feb 26th 2017
    re.compile(rf"{_MONTH_WORD}\s*{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}"),
    # 2017-02-26
    re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)"),
    # 26.02.2017 (dotted numeric dates are day-first wherever they are used)
    re.compile(r"(?<!\d)(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})(?!\d)"),
)
_TIME = re.compile(
    r"(?<!\d)(?P<hour>\d{1,2})\s?[:h]\s?(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?!\d)"
    r"(?:\s*(?P<half>[ap])\.?\s?m\.?(?!\w))?"
    r"(?:\s*(?P<zone>utc|gmt|z(?!\w)|[+-]\d{2}:?\d{2}))?"
)


def parse_page_date(text: str, languages: Sequence[str] | None = None) -> datetime | None:
    """Read the first date (and the time after it) in a line of page text.

    Understands month names in the languages of :data:`MONTH_NUMBERS`, ISO dates and
    day-first dotted dates; 12-hour times with am/pm. Other spellings ("2 Eylül 2014",
    "2014年3月5日 14:05") go to dateparser (:func:`parse_localized_date`), in
    ``languages`` when the document's language is known. The result is naive unless the
    text names UTC/GMT or an offset; then it is aware. ``None`` when there is no date.
    Slashed dates (``02/03/2017``) are refused: their order differs by country.
    """
    found = _parse_common_date(text)
    return found if found is not None else parse_localized_date(text, languages)


def _parse_common_date(text: str) -> datetime | None:
    text = unicodedata.normalize("NFC", text.replace("\u00a0", " ")).casefold()
    for pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        day = _date_from(match)
        if day is None:
            continue
        rest = text[match.end() :]
        time = _TIME.search(rest) or _TIME.search(text[: match.start()])
        return day if time is None else _with_time(day, time)
    return None


def _date_from(match: re.Match[str]) -> datetime | None:
    month = match["month"].rstrip(".")
    number = int(month) if month.isdigit() else MONTH_NUMBERS[month]
    try:
        return datetime(int(match["year"]), number, int(match["day"]))
    except ValueError:
        return None


def _with_time(day: datetime, time: re.Match[str]) -> datetime:
    hour, minute = int(time["hour"]), int(time["minute"])
    if time["half"]:
        hour = hour % 12 + (12 if time["half"] == "p" else 0)
    if hour > 23 or minute > 59:
        return day
    value = day.replace(hour=hour, minute=minute, second=int(time["second"] or 0))
    zone = time["zone"]
    if zone is None:
        return value
    if zone in ("utc", "gmt", "z"):
        return value.replace(tzinfo=timezone.utc)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return value.replace(tzinfo=timezone(sign * offset))


def parse_iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


#: The languages dateparser tries, in this order, when the document's is not known: the
#: languages the index detects (Norwegian as Bokmål, dateparser's name for it).
DATE_LANGUAGES: tuple[str, ...] = (
    "en", "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "ru", "uk", "tr", "zh", "ja",
    "ko", "ar", "bg", "ca", "da", "el", "eo", "et", "eu", "fa", "fi", "ga", "he", "hi",
    "hr", "hu", "hy", "id", "lt", "ne", "nb", "ro", "sk", "sl", "sr", "sv", "ta", "th",
    "vi",
)  # fmt: skip

_DATEPARSER_SETTINGS: dict[str, Any] = {
    # Absolute dates only: no relative phrases, no Unix timestamps.
    "PARSERS": ["custom-formats", "absolute-time"],
    # A date missing its day, month or year is not a date here; never filled in from today.
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RELATIVE_BASE": datetime(2000, 1, 1),
}
_HAS_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_HAS_WORD = re.compile(r"[^\W\d_]")


def parse_localized_date(text: str, languages: Sequence[str] | None = None) -> datetime | None:
    """A date with a four-digit year anywhere in ``text``, read by dateparser; else None.

    :param languages: ISO 639-1 codes of the document's language(s); dateparser tries
        only these. ``None``: :data:`DATE_LANGUAGES`.

    Numeric-only dates are refused as :func:`parse_page_date` refuses them: a month must
    be a word or a CJK unit (``月``). A time after the date is read as the fast parser
    reads it ("2 Eylül 2014 at 14:05").
    """
    if not _HAS_YEAR.search(text):
        return None  # Most undated text ("Reply", "#12") never reaches dateparser.
    text = unicodedata.normalize("NFC", text.replace("\u00a0", " ")).strip()
    return _parse_localized(text, tuple(languages) if languages else None)


_SLASHED = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")


@lru_cache(maxsize=1024)
def _parse_localized(text: str, languages: tuple[str, ...] | None) -> datetime | None:
    # Cached: a theme repeats its undated labels on every comment, and a miss costs
    # dateparser tens of milliseconds.
    langs = _supported(languages or DATE_LANGUAGES)
    if not langs:
        return None
    found = _search(text, langs, within=languages is not None)
    if found is None:
        return None
    matched, value = found
    if not (_HAS_WORD.search(matched) and _HAS_YEAR.search(matched)):
        return None
    if _SLASHED.search(matched):
        return None  # "Wed, 05/03/2014": a weekday's name does not say which is the month
    if value.tzinfo is not None:
        offset = value.utcoffset()
        value = value.replace(tzinfo=timezone.utc if not offset else timezone(offset))
    if (value.hour, value.minute, value.second) == (0, 0, 0) and not _TIME.search(
        matched.casefold()
    ):
        rest = text[text.find(matched) + len(matched) :].casefold()
        time = _TIME.search(rest)
        if time is not None:
            value = _with_time(value, time)
    return value


def _search(text: str, langs: tuple[str, ...], *, within: bool) -> tuple[str, datetime] | None:
    """The whole text as one date, else (``within``) the first date found inside it.

    Searching inside text costs dateparser ~15 ms per language list when the document's
    language is known, but ~0.2 s a miss (and seconds on the first call) over all of
    :data:`DATE_LANGUAGES`, so without a known language only whole dates are read.
    """
    value = _date_data_parser(langs).get_date_data(text).date_obj
    if value is not None:
        return text, value
    if not within:
        return None
    from dateparser.search import search_dates

    hits = search_dates(text, languages=list(langs), settings=_DATEPARSER_SETTINGS)
    return (hits[0][0], hits[0][1]) if hits else None


@lru_cache(maxsize=32)
def _date_data_parser(langs: tuple[str, ...]) -> Any:
    # Imported here: dateparser costs ~80 ms to import and most ingests never need it.
    from dateparser.date import DateDataParser

    return DateDataParser(languages=list(langs), settings=_DATEPARSER_SETTINGS)


@lru_cache(maxsize=32)
def _supported(langs: tuple[str, ...]) -> tuple[str, ...]:
    """The codes dateparser knows (``de-AT`` -> ``de``; ``no`` -> ``nb``), in order."""
    from dateparser.languages.loader import default_loader

    known = default_loader.get_locale_map()
    out: list[str] = []
    for lang in langs:
        code = lang.strip().lower().replace("_", "-")
        code = {"no": "nb"}.get(code, code)
        for candidate in (code, code.split("-")[0]):
            if candidate in known and candidate not in out:
                out.append(candidate)
                break
    return tuple(out)
