"""The schema of a threadsearch index: field names, analyzers, and one entry's document.

One document per entry (the post is the entry at position 0). Thread-level values
(title, URL, site, tags) are copied onto each entry, so a hit needs no second look-up and
``site`` and ``tag`` filter entries directly. Field names are constants; the schema is
defined once, in :func:`build_schema`, and its version is written beside the index.

This module sits at the bottom of the index layers: :mod:`.writer`, :mod:`.query.columns`
and :mod:`.index` import it, and it imports none of them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import (
    LangText,
    detect_language,
    pair_analyzer,
    spelling_analyzer,
    stop_words,
    text_analyzer,
)
from .model import Entry, EntryKind, Thread, to_utc

#: Bumped whenever the schema or the meaning of a field changes. Version 3: ``time``
#: holds aware UTC ISO text for every entry (zone-less times read as UTC) and
#: ``utc_offset`` the offset the source stated. Version 4: text is analyzed per script
#: and language (:mod:`.analysis`) and each entry has a ``lang``. Version 5: a pingback or
#: trackback without a title has its author (the linking post's name) in the title field.
SCHEMA_VERSION = 5
META_FILE = "threadsearch.json"
INDEX_NAME = "threadsearch"

# Field names, used everywhere a field is named.
ID_FIELD = "id"
THREAD = "thread_id"
THREAD_TITLE = "thread_title"
THREAD_URL = "thread_url"
DECLARED = "declared_count"
KIND = "kind"
AUTHOR = "author"
AUTHOR_URL = "author_url"
SITE = "site"
TAG = "tag"
TIMESTAMP = "timestamp"
TIME_TEXT = "time"
UTC_OFFSET = "utc_offset"
POSITION = "position"
TITLE = "title"
BODY = "body"
QUOTED = "quoted"
SPELL = "spell"
TITLE_PAIRS = "title_pairs"
BODY_PAIRS = "body_pairs"
#: Text field -> the field of its word pairs (see :class:`~.analysis.PairFilter`).
PAIR_FIELDS = {TITLE: TITLE_PAIRS, BODY: BODY_PAIRS}
MENTIONS = "mentions"
PARENT = "parent_id"
DEPTH = "depth"
URL = "url"
STATUS = "status"
SOURCE = "source"
LANG = "lang"

# An index of schema version 3 or older pickled its pair analyzer as
# ``threadsearch.schema.PairFilter``: the name must resolve for ``reindex`` to open it.
from .analysis import PairFilter as PairFilter  # noqa: E402

#: Fields a bare word in the query searches, with their boosts.
TEXT_FIELDS = {TITLE: 2.0, BODY: 1.0}
#: Exact-valued fields that can be filtered and faceted.
KEYWORD_FIELDS = (AUTHOR, KIND, THREAD, SITE, TAG, LANG)


def build_schema() -> Schema:
    """The one schema of a threadsearch index."""
    text = text_analyzer()
    return Schema(
        **{
            ID_FIELD: ID(stored=True, unique=True),
            THREAD: ID(stored=True),
            THREAD_TITLE: STORED(),
            THREAD_URL: STORED(),
            DECLARED: STORED(),
            KIND: ID(stored=True),
            AUTHOR: ID(stored=True),
            AUTHOR_URL: STORED(),
            SITE: ID(stored=True),
            TAG: KEYWORD(stored=True, commas=True, scorable=False),
            TIMESTAMP: DATETIME(sortable=True),
            TIME_TEXT: STORED(),
            UTC_OFFSET: STORED(),
            POSITION: NUMERIC(int, stored=True, sortable=True),
            TITLE: TEXT(analyzer=text, stored=True, field_boost=TEXT_FIELDS[TITLE]),
            BODY: TEXT(analyzer=text, stored=True),
            QUOTED: TEXT(analyzer=text, stored=True),
            SPELL: TEXT(analyzer=spelling_analyzer(), phrase=False),
            TITLE_PAIRS: TEXT(analyzer=pair_analyzer(), phrase=False),
            BODY_PAIRS: TEXT(analyzer=pair_analyzer(), phrase=False),
            MENTIONS: KEYWORD(stored=True, commas=True, lowercase=True),
            PARENT: ID(stored=True),
            DEPTH: NUMERIC(int, stored=True),
            URL: STORED(),
            STATUS: ID(stored=True),
            SOURCE: STORED(),
            LANG: ID(stored=True),
        }
    )


def to_index_time(value: datetime) -> datetime:
    """Whoosh stores naive datetimes: aware ones become naive UTC, naive stay local."""
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


#: Languages decided by script alone; an entry of another script is detected anew.
_SCRIPT_LANGUAGES = frozenset({"zh", "ja", "ko"})
#: How many words of an entry are compared with its thread's language.
_SAME_WORDS = 60


def _entry_text(entry: Entry) -> str:
    return f"{entry.title}\n{entry.body}" if entry.title else entry.body


def _looks_like(text: str, lang: str) -> bool:
    """Whether a text plainly reads as ``lang``: enough of its first words are the
    language's stop words (about a third of running text is; a text in another language
    shares few of them). A cheap test, so detection runs only on entries that differ."""
    stops = stop_words(lang)
    if not stops:
        return False
    words = text[:600].lower().split()[:_SAME_WORDS]
    if len(words) < 8:
        return False
    hits = sum(1 for w in words if w.strip(".,;:!?()\"'") in stops)
    return hits * 5 >= len(words)


def entry_languages(thread: Thread) -> list[str | None]:
    """The language of each entry (ISO 639-1, or None), in the thread's order.

    The thread's language is detected once, from its title and first entry. An entry
    whose own text is too short to tell takes the thread's language; an entry that
    plainly reads as the thread's language (see :func:`_looks_like`) takes it without
    running the detector, which costs about half a millisecond an entry; any other entry
    is detected on its own text. An entry with ``lang`` set keeps it.

    >>> from threadsearch.model import Entry, Thread
    >>> body = "Die Stadt hat im Winter viele neue Wohnungen für die Familien gebaut."
    >>> post = Entry("p", "t", "post", 0, body, title="Wohnen")
    >>> reply = Entry("c1", "t", "comment", 1, "Danke!")
    >>> entry_languages(Thread("t", "Wohnen", entries=[post, reply]))
    ['de', 'de']
    """
    if not thread.entries:
        return []
    first = thread.entries[0]
    thread_lang = detect_language(f"{thread.title}\n{_entry_text(first)}")
    langs: list[str | None] = []
    for entry in thread.entries:
        given = getattr(entry, "lang", None)
        if given:
            langs.append(given)
            continue
        if entry is first and thread_lang is not None:
            langs.append(thread_lang)  # detected just now, on this entry's own text
            continue
        text = _entry_text(entry)
        if thread_lang is not None and thread_lang not in _SCRIPT_LANGUAGES:
            if _looks_like(text, thread_lang):
                langs.append(thread_lang)
                continue
        langs.append(detect_language(text) or thread_lang)
    return langs


def thread_documents(thread: Thread) -> list[dict[str, Any]]:
    """The Whoosh documents of a thread's entries, each with its language."""
    return [
        entry_document(thread, entry, lang)
        for entry, lang in zip(thread.entries, entry_languages(thread), strict=True)
    ]


_LINK_KINDS = frozenset({EntryKind.PINGBACK.value, EntryKind.TRACKBACK.value})


def searchable_title(entry: Entry) -> str:
    """The text indexed in the title field: the entry's title, or for a pingback or
    trackback that has none, its author (:func:`title_text`)."""
    return title_text(entry.title, entry.kind, entry.author)


def title_text(title: str | None, kind: str, author: str | None) -> str:
    """The title text a search finds an entry by: ``title``, or for a pingback or
    trackback without one, ``author``.

    Exports (WXR's ``comment_author``) and pages ("Pingback: <a>title</a>") name a
    pingback by the linking post ("Blog » Post title") in the author field, which only
    ``author:`` reaches; indexed as the title too, a plain query finds it. The stored
    title is left as the source gave it. Every backend indexes this text.

    >>> title_text("", "pingback", "Blog » Post"), title_text("", "comment", "Ann")
    ('Blog » Post', '')
    """
    if title:
        return title
    if kind in _LINK_KINDS and author:
        return author
    return ""


def text_fields(
    title: str, searchable: str, body: str, quoted: str, lang: str | None
) -> dict[str, Any]:
    """The text fields of an entry's document: each indexed as
    :class:`~.analysis.LangText` in ``lang`` and stored as given (the title field
    indexes ``searchable``, see :func:`title_text`), and the fields only indexed."""
    return {
        TITLE: LangText(searchable, lang),
        f"_stored_{TITLE}": title,
        BODY: LangText(body, lang),
        f"_stored_{BODY}": body,
        QUOTED: LangText(quoted, lang),
        f"_stored_{QUOTED}": quoted,
        SPELL: LangText(" ".join(filter(None, (searchable, body))), lang),
        TITLE_PAIRS: LangText(searchable, lang),
        BODY_PAIRS: LangText(body, lang),
    }


def entry_document(thread: Thread, entry: Entry, lang: str | None = None) -> dict[str, Any]:
    """The Whoosh document for one entry of a thread, its text analyzed as ``lang``.

    The text fields are indexed as :class:`~.analysis.LangText` (the analyzer stems by
    its language) and stored as plain ``str``; the title field indexes
    :func:`searchable_title`.
    """
    title = searchable_title(entry)
    doc: dict[str, Any] = {
        ID_FIELD: entry.id,
        THREAD: thread.id,
        THREAD_TITLE: thread.title,
        THREAD_URL: thread.url,
        DECLARED: thread.declared_count,
        KIND: entry.kind,
        POSITION: entry.position,
        **text_fields(entry.title or "", title, entry.body, entry.quoted, lang),
        DEPTH: entry.depth,
        URL: entry.url,
        AUTHOR_URL: entry.author_url,
        SOURCE: thread.source,
        STATUS: entry.status,
        # Stored as aware UTC text (a zone-less time read as UTC); the source's offset
        # is kept beside, None when it stated no zone.
        TIME_TEXT: to_utc(entry.timestamp).isoformat() if entry.timestamp else None,
        UTC_OFFSET: entry.utc_offset,
    }
    # Whoosh cannot index None; leave absent values out of the document.
    if entry.author:
        doc[AUTHOR] = entry.author
    if thread.site:
        doc[SITE] = thread.site
    if thread.tags:
        doc[TAG] = ",".join(t.replace(",", " ") for t in thread.tags)
    if entry.timestamp:
        doc[TIMESTAMP] = to_index_time(entry.timestamp)
    if entry.mentions:
        doc[MENTIONS] = ",".join(m.replace(",", " ") for m in entry.mentions)
    if entry.parent_id:
        doc[PARENT] = entry.parent_id
    if lang:
        doc[LANG] = lang
    return doc
