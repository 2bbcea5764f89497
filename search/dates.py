"""Dates as blog pages print them: month names in a dozen languages, 12- and 24-hour times.

:func:`parse_page_date` reads "February 26, 2017 at 4:48 pm", "6 Август 2013, 0:38",
"26 févr. 2017 à 16:48" and the like; it returns a naive datetime (pages print local
time with no zone) or None. :func:`parse_iso` reads machine-readable ``datetime``
attributes. Slashed numeric dates are refused: day and month order varies by country.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone

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


def parse_page_date(text: str) -> datetime | None:
    """Read the first date (and the time after it) in a line of page text.

    Understands month names in the languages of :data:`MONTH_NUMBERS`, ISO dates and
    day-first dotted dates; 12-hour times with am/pm. The result is naive unless the
    text names UTC/GMT or an offset; then it is aware. ``None`` when there is no date.
    Slashed dates (``02/03/2017``) are refused: their order differs by country.
    """
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
