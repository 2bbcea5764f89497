"""Separate what a blog comment quotes from what its author wrote.

Commenters paste a paragraph of an earlier comment (or of the post) and answer it. A
phrase search should find the entry that said it first, not every reply that quoted
it, so a paragraph of a comment that appears in an earlier entry of the same thread is
moved from ``body`` to ``quoted``. Mail is split by its own parser (``>`` lines) and is
left alone here.

Attribution lines, the line a mailer writes above a quote, are recognised here for every
source (:func:`is_attribution`), in the forms real clients write them:

* English ``On <date>, <name> wrote:`` and ``<name> writes:``;
* German ``Am 12.07.2007 schrieb X <x>:``, French ``Le <date>, X a écrit :``, Spanish
  ``El <date>, X escribió:``, Italian ``Il giorno <date> X ha scritto:``, Portuguese
  ``Em 05/10/07, X escreveu:``, Dutch ``Op <date> schreef X:`` (or ``heeft X het
  volgende geschreven:``), and the Scandinavian and Polish forms;
* Gmail's numeric form in East Asian locales: ``2010/10/15 Name <x@host>``, no verb.

Mailers wrap long ones over two lines; :func:`opens_attribution` tells a first half.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .model import Entry, Thread

#: Paragraphs shorter than this are too common to call a quotation ("I agree.").
MIN_QUOTE_CHARS = 40
#: Threads longer than this are not scanned (each entry is compared with all before it).
MAX_ENTRIES = 2000

_VERBS = (
    r"wrote|writes|said|schrieb|schreibt|a écrit|a ecrit|écrivait|escribió|escribio|"
    r"escreveu|ha scritto|scrisse|schreef|heeft .{1,120} geschreven|skrev|napisał|kirjoitti"
)
_OPENERS = r"On|Am|Le|El|Il giorno|Il|Em|Op|Den|W dniu"
_NUMERIC_DATE = r"\d{4}[/.-]\d{1,2}[/.-]\d{1,2}"
_ATTRIBUTION = re.compile(
    rf"(?:(?:{_OPENERS})\s.{{2,250}}?(?:(?:{_VERBS})\s*:?|(?:{_VERBS})\s.{{1,160}}:)"
    rf"|.{{1,120}}\s(?:{_VERBS})\s*:"
    rf"|{_NUMERIC_DATE}(?:\s+\d{{1,2}}:\d\d(?::\d\d)?)?\s+.{{1,120}}<[^<>\s]+(?:\s\S+){{0,2}}>\s*:?)"
    r"\s*$",
    re.IGNORECASE,
)
_OPENING = re.compile(rf"(?:{_OPENERS})\s|{_NUMERIC_DATE}\s", re.IGNORECASE)
# Cheap tests before the pattern: an attribution ends with ':' or '>' or starts 'On '.
_OPENER_STARTS = tuple(f"{word} " for word in _OPENERS.split("|")) + ("19", "20")


def is_attribution(line: str) -> bool:
    """True for a mailer's line above a quote, in any of the module's forms.

    >>> is_attribution("Am 12.07.2007 schrieb Hans Meier <hm@example.org>:")
    True
    >>> is_attribution("2010/10/15 Taro Yamada <taro@example.jp>")
    True
    >>> is_attribution("Le chat a écrit un livre.")
    False
    """
    line = line.strip()
    if not (line.endswith((":", ">")) or line.startswith("On ")):
        return False
    return _ATTRIBUTION.match(line) is not None


def opens_attribution(line: str) -> bool:
    """True when the line may be the first half of an attribution wrapped over two."""
    line = line.lstrip()
    return line.startswith(_OPENER_STARTS) and _OPENING.match(line) is not None


def join_attribution(first: str, second: str) -> str | None:
    """The two lines as one attribution line, or None when they do not make one."""
    if not second.rstrip().endswith((":", ">")) or second.lstrip().startswith(">"):
        return None
    if not opens_attribution(first) or is_attribution(first):
        return None
    joined = f"{first.rstrip()} {second.strip()}"
    return joined if is_attribution(joined) else None


_TRIM = " \t\"'“”‘’«»…."
_SPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip(_TRIM).lower()


def separate_quotes(thread: Thread) -> Thread:
    """The thread with paragraphs quoted from earlier entries moved into ``quoted``."""
    if len(thread.entries) > MAX_ENTRIES:
        return thread
    earlier: list[str] = []
    changed: dict[int, Entry] = {}  # by id() of the original entry
    for entry in sorted(thread.entries, key=lambda e: e.position):
        if not entry.quoted and earlier:
            own: list[str] = []
            quoted: list[str] = []
            for paragraph in entry.body.split("\n\n"):
                key = _normalise(paragraph)
                if len(key) >= MIN_QUOTE_CHARS and any(key in text for text in earlier):
                    quoted.append(paragraph)
                else:
                    own.append(paragraph)
            if quoted and own:
                original = id(entry)
                entry = replace(entry, body="\n\n".join(own), quoted="\n\n".join(quoted))
                changed[original] = entry
        earlier.append(_normalise(entry.body))
    if not changed:
        return thread
    return replace(thread, entries=[changed.get(id(e), e) for e in thread.entries])
