"""Mailing-list subjects: reply prefixes, list tags, and the list an archive belongs to.

Mailman and its kin prepend the list's tag to every subject (``[gpt-usuarios] Sugestão``,
``[R] lm question``), mailers prepend reply and forward words in the writer's language
(``Re:``, ``AW:``, ``Sv:``, ``Antw:``, ``Enc:``, ``答复：``...), and the two mix in any
order and number: ``Re: [R] Re: [R]x``, ``[Tag][Tag]Subject``. RFC 2047 encoded words
are decoded (and their folding undone) before anything here sees the subject.

Which bracketed prefix is the list's tag is decided per archive, not from a fixed list:
:class:`ListTags` counts the prefixes that open the archive's subjects, and a prefix
that opens a large share of them (:data:`MIN_SHARE`, at least :data:`MIN_MESSAGES`
messages) is the list's. ``[PATCH]`` or ``[OT]`` on a few messages stay in the title.
The tags of the R lists (``[R]``, ``[Rd]``, ``[R-sig-geo]``, ``[BioC]``) are known
whatever their share, since a cross-post in another list's archive carries them, and
they name their list (``r-help``, ``r-devel``...), which the tag alone does not.

The list's name (an entry's ``site``) comes from, in this order: a ``List-Id`` header,
the list tag, the archive's file name (``r-help-2025-08.txt.gz`` is ``r-help``).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePath

#: A tag is the list's when it opens at least this share of the archive's subjects...
MIN_SHARE = 0.3
#: ...and at least this many of them.
MIN_MESSAGES = 2

# Reply and forward words: English, German (AW, WG), Scandinavian (SV, VS), Dutch
# (Antw, Doorst), Portuguese (RES, ENC, RE), Spanish (RV, RE), Italian (R, RIF),
# French (RE, TR, Réf), Polish (Odp, PD), Turkish (YNT, ILT), Czech (Odp, Fw), Finnish
# (VS, VL), Greek, Russian, Chinese and Japanese.
_REPLY_WORDS = (
    "re|aw|sv|vs|vl|fw|fwd|r|res|resp|rv|tr|odp|pd|antw|antwort|doorst|wg|rif|ynt|ilt|"
    "ref|réf|enc|encam|απ|σχετ|отв|ответ|回复|答复|回覆|答覆|转发|轉寄|返信|転送"
)
_PREFIX = re.compile(
    rf"\s*(?:(?P<reply>(?:{_REPLY_WORDS})(?:\[\d+\]|\^\d+|\(\d+\))?\s*[:：])"
    r"|\[(?P<tag>[^\[\]]{1,40})\]|(?P<old>R-(?:alpha|beta)):)",
    re.IGNORECASE,
)
# Tags of the R project's lists, which name their list whatever their share.
_KNOWN_TAGS = {"r": "r-help", "rd": "r-devel", "bioc": "bioconductor", "ess": "ess-help"}
_OLD_R_TAGS = ("r-alpha", "r-beta")  # the 1997 R-testers/R-help list tagged this way
_ARCHIVE_SUFFIXES = {".gz", ".bz2", ".xz", ".txt", ".mbox", ".mbx", ".eml", ".mail", ".mails"}
_MONTH_NAMES = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
# A date at the end of an archive's name: ``-2007-10``, ``_200710``, ``-2007-October``.
_NAME_DATE = re.compile(
    rf"(?:[-_.]?\d{{4}}(?:[-_.]?(?:\d{{1,2}}|{_MONTH_NAMES}))*|[-_.](?:{_MONTH_NAMES}|\d{{1,2}}))$",
    re.IGNORECASE,
)
_LIST_ID = re.compile(r"<([^<>]+)>")


def strip_subject(subject: str) -> tuple[str, list[str], bool]:
    """The subject without its leading reply words and tags; the tags; any reply word?

    >>> strip_subject("Re: [gpt-usuarios] RES: [gpt-usuarios]Compilar")
    ('Compilar', ['gpt-usuarios', 'gpt-usuarios'], True)
    """
    rest = subject
    tags: list[str] = []
    had_reply = False
    while match := _PREFIX.match(rest):
        if match.group("reply"):
            had_reply = True
        else:
            tags.append(match.group("tag") or match.group("old"))
        rest = rest[match.end() :]
    return rest.strip(), tags, had_reply


def known_list(tag: str) -> str | None:
    """The list a well-known tag names (``R`` is ``r-help``), else None."""
    lowered = tag.strip().casefold()
    if lowered in _OLD_R_TAGS:
        return "r-help"
    if lowered.startswith("r-"):
        return lowered
    return _KNOWN_TAGS.get(lowered)


def site_from_list_id(value: str | None) -> str | None:
    """``Main R Mailing List <r-help.r-project.org>`` is ``r-help``."""
    if not value:
        return None
    found = _LIST_ID.search(value)
    name = (found.group(1) if found else value).strip().split(".")[0]
    return name.lower() or None


def site_from_path(path: str) -> str | None:
    """The list an archive's file name names, dates and extensions dropped.

    >>> site_from_path("archives/r-help-2025-08.txt.gz"), site_from_path("2007-October.txt")
    ('r-help', None)
    """
    name = PurePath(path).name
    while (suffix := PurePath(name).suffix.lower()) in _ARCHIVE_SUFFIXES:
        name = name[: -len(suffix)]
    while (stripped := _NAME_DATE.sub("", name)) != name:
        name = stripped
    name = name.strip("-_. ")
    return name.lower() or None


class ListTags:
    """The list tags of one archive, decided from how often each opens a subject."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._spelling: dict[str, str] = {}
        self._list_ids: set[str] = set()
        self._messages = 0
        self._tags: dict[str, str] | None = None

    def add(self, tags: list[str], list_site: str | None) -> None:
        """Count one message's leading tags (each once) and its List-Id's list."""
        self._messages += 1
        for tag in dict.fromkeys(tag.strip().casefold() for tag in tags):
            self._counts[tag] += 1
        for tag in tags:
            self._spelling.setdefault(tag.strip().casefold(), tag.strip())
        if list_site:
            self._list_ids.add(list_site)

    def site(self, tag: str) -> str | None:
        """The list a tag names in this archive, or None when it is no list tag."""
        key = tag.strip().casefold()
        if (known := known_list(key)) is not None:
            return known
        return key if key in self._decided() else None

    def spelling(self, tag: str) -> str:
        """The tag as the archive first wrote it (``gpt-usuarios``, ``R``)."""
        key = tag.strip().casefold()
        return self._spelling.get(key, tag.strip())

    def _decided(self) -> dict[str, str]:
        if self._tags is None:
            floor = max(MIN_MESSAGES, MIN_SHARE * self._messages)
            self._tags = {
                tag: tag
                for tag, count in self._counts.items()
                if count >= floor or tag in self._list_ids
            }
        return self._tags

    def strip(self, subject: str) -> str:
        """The subject without list tags; reply words and other tags kept as written.

        ``Fwd: [R] x`` is ``Fwd: x``; ``[PATCH] x`` keeps its ``[PATCH]``.
        """
        kept: list[str] = []
        rest = subject
        while match := _PREFIX.match(rest):
            tag = match.group("tag") or match.group("old")
            if tag is None or self.site(tag) is None:
                kept.append(match.group(0).strip())
            rest = rest[match.end() :]
        return " ".join([*kept, rest.strip()]).strip()
