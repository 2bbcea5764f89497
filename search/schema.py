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

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemmingAnalyzer,
)
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

from .model import Entry, Thread, to_utc

#: Bumped whenever the schema or the meaning of a field changes. Version 3: ``time``
#: holds aware UTC ISO text for every entry (zone-less times read as UTC) and
#: ``utc_offset`` the offset the source stated.
SCHEMA_VERSION = 3
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
#: Text field -> the field of its word pairs (see :class:`PairFilter`).
PAIR_FIELDS = {TITLE: TITLE_PAIRS, BODY: BODY_PAIRS}
MENTIONS = "mentions"
PARENT = "parent_id"
DEPTH = "depth"
URL = "url"
STATUS = "status"
SOURCE = "source"

#: Fields a bare word in the query searches, with their boosts.
TEXT_FIELDS = {TITLE: 2.0, BODY: 1.0}
#: Exact-valued fields that can be filtered and faceted.
KEYWORD_FIELDS = (AUTHOR, KIND, THREAD, SITE, TAG)


def _text_analyzer() -> Any:
    # English stemming with accent folding: "refugee" finds "refugees", "café" finds
    # "cafe". Apostrophes split words the same way whether straight or curly, so
    # "aren't" and "aren’t" index alike.
    return StemmingAnalyzer() | CharsetFilter(accent_map)


class PairFilter(Filter):  # type: ignore[misc]
    """Turns a token stream into the pairs of adjacent tokens: "north korea", "korea china".

    A two-word phrase is then one term to look up instead of two position lists to
    intersect. Stop words are removed and positions renumbered before pairing, exactly
    as Whoosh numbers the positions a phrase query compares, so a pair term matches
    the documents the phrase matches.
    """

    def __call__(self, tokens: Any) -> Any:
        previous: str | None = None
        for token in tokens:
            text = token.text
            if previous is not None:
                token.text = f"{previous} {text}"
                yield token
            previous = text


def _pair_analyzer() -> Any:
    return _text_analyzer() | PairFilter()


def _spelling_analyzer() -> Any:
    # Words as typed (lower-cased, accents folded, not stemmed), for "did you mean":
    # suggestions must be real words, not stems.
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


def build_schema() -> Schema:
    """The one schema of a threadsearch index."""
    text = _text_analyzer()
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
            SPELL: TEXT(analyzer=_spelling_analyzer(), phrase=False),
            TITLE_PAIRS: TEXT(analyzer=_pair_analyzer(), phrase=False),
            BODY_PAIRS: TEXT(analyzer=_pair_analyzer(), phrase=False),
            MENTIONS: KEYWORD(stored=True, commas=True, lowercase=True),
            PARENT: ID(stored=True),
            DEPTH: NUMERIC(int, stored=True),
            URL: STORED(),
            STATUS: ID(stored=True),
            SOURCE: STORED(),
        }
    )


def to_index_time(value: datetime) -> datetime:
    """Whoosh stores naive datetimes: aware ones become naive UTC, naive stay local."""
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def entry_document(thread: Thread, entry: Entry) -> dict[str, Any]:
    """The Whoosh document for one entry of a thread."""
    doc: dict[str, Any] = {
        ID_FIELD: entry.id,
        THREAD: thread.id,
        THREAD_TITLE: thread.title,
        THREAD_URL: thread.url,
        DECLARED: thread.declared_count,
        KIND: entry.kind,
        POSITION: entry.position,
        TITLE: entry.title or "",
        BODY: entry.body,
        QUOTED: entry.quoted,
        SPELL: " ".join(filter(None, (entry.title, entry.body))),
        TITLE_PAIRS: entry.title or "",
        BODY_PAIRS: entry.body,
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
    return doc
