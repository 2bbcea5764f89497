"""Plain data shared by every layer: threads, their entries, search requests and results.

Parsers in :mod:`threadsearch.sources` produce :class:`Thread` objects, the indexer in
:mod:`threadsearch.index` consumes them, and the read calls in
:mod:`threadsearch.query.engine` return the classes below. Nothing here does I/O.

Every class is a frozen dataclass: assigning to an attribute raises
:class:`dataclasses.FrozenInstanceError`; build a changed copy with
:func:`dataclasses.replace`. The classes a read call returns have ``to_dict()``, which
gives exactly the JSON body the HTTP API sends for the same request (the API and the
CLI's ``--json`` both print it).

Times. Every datetime a read call returns is timezone-aware UTC; the offset the source
stated is kept beside it as ``utc_offset`` (minutes east of UTC), ``None`` when the
source stated no zone. A time with no stated zone is read as UTC (as Elasticsearch
reads zone-less dates) unless ``--timezone`` was given at ingest, which supplies the
zone (and so the offset). The :class:`Entry` constructor converts a zoned time to UTC
and records its offset; a naive time (a parser's zone-less time) stays naive until the
indexer stores it as UTC with no offset::

    >>> from datetime import datetime, timedelta, timezone
    >>> e = Entry("t-1", "t", "comment", 1,
    ...           timestamp=datetime(2012, 5, 1, 20, 0, tzinfo=timezone(timedelta(hours=8))))
    >>> e.timestamp.isoformat(), e.utc_offset
    ('2012-05-01T12:00:00+00:00', 480)
    >>> Entry("t-2", "t", "comment", 2, timestamp=datetime(2005, 10, 2, 9, 13)).utc_offset is None
    True

Ids are stable across re-ingest and URL-safe: a thread id is a hash of the thread's
canonical key (its post URL when the source has one), and an entry id is the thread id
plus a local part (the source's own comment id where it has one), so the same comment
reaching us from two sources gets one id.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any
from urllib.parse import urlsplit, urlunsplit


class EntryKind(str, Enum):
    """What an entry is within its thread."""

    POST = "post"
    COMMENT = "comment"
    TRACKBACK = "trackback"
    PINGBACK = "pingback"


ENTRY_KINDS = tuple(kind.value for kind in EntryKind)

_SAFE_LOCAL = re.compile(r"[A-Za-z0-9_]{1,32}")


def offset_minutes(value: datetime | None) -> int | None:
    """The UTC offset of an aware datetime in whole minutes; ``None`` for naive or None.

    Parsers pass it as ``Entry(utc_offset=...)`` when the source states a zone, so that
    a stated UTC (``Z``, ``GMT``, ``+0000``) is recorded as 0 rather than "no zone".
    """
    if value is None or value.tzinfo is None:
        return None
    offset = value.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def to_utc(value: datetime, utc_offset: int | None = None) -> datetime:
    """``value`` as aware UTC; a naive value is wall time at ``utc_offset`` (UTC if None)."""
    if value.tzinfo is None:
        zone = timezone.utc if utc_offset is None else timezone(timedelta(minutes=utc_offset))
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc)


def local_time(value: datetime, utc_offset: int | None) -> datetime:
    """A time as the source wrote it: aware at ``utc_offset``, or naive when None."""
    if value.tzinfo is None:
        return value
    if utc_offset is None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.astimezone(timezone(timedelta(minutes=utc_offset)))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Entry:
    """One post, comment, trackback or pingback in a thread.

    ``timestamp`` is timezone-aware UTC (or ``None``) on every entry a read call
    returns; ``utc_offset`` is the offset the source stated, in minutes east of UTC,
    ``None`` when it stated no zone (the time was then read as UTC, or in the
    ``--timezone`` given at ingest). The constructor accepts the time as the source
    wrote it and normalises it:

    * naive with ``utc_offset``: wall time at that offset, made UTC;
    * naive without: kept naive (a parser's zone-less time; the write API refuses it,
      ingest stores it as UTC with ``utc_offset`` None);
    * aware with a non-zero offset: ``utc_offset`` is that offset (a different
      ``utc_offset`` raises ``ValueError``);
    * aware UTC: ``utc_offset`` is kept as given, because an aware UTC time is also
      how a zone-less time is held. Pass ``utc_offset=0`` when the source said UTC
      (:func:`offset_minutes` does that for any aware value).

    ``thread_title`` is filled by the read calls (the HTTP API's entry JSON carries it)
    and is ``None`` on entries from parsers; the indexer takes the title from
    :attr:`Thread.title` and ignores it.
    """

    id: str
    thread_id: str
    kind: str
    position: int
    body: str = ""
    author: str | None = None
    author_url: str | None = None
    timestamp: datetime | None = None
    title: str | None = None
    quoted: str = ""
    parent_id: str | None = None
    depth: int = 0
    mentions: list[str] = field(default_factory=list)
    url: str | None = None
    status: str = "approved"
    utc_offset: int | None = None
    thread_title: str | None = None
    lang: str | None = None

    def __post_init__(self) -> None:
        value = self.timestamp
        if value is None:
            if self.utc_offset is not None:
                raise ValueError(f"entry {self.id}: utc_offset without a timestamp")
            return
        offset = self.utc_offset
        if not isinstance(value, datetime):
            return  # not a time at all: the write API's validation names it
        if value.tzinfo is None and offset is None:
            return  # zone-less: the indexer reads it as UTC
        stated = offset_minutes(value)
        if stated:  # aware, not UTC: the value says its own offset
            if offset is not None and offset != stated:
                raise ValueError(
                    f"entry {self.id}: utc_offset {offset} contradicts the timestamp's "
                    f"offset {stated}; give one or the other"
                )
            offset = stated
        if offset is not None and not -1440 < offset < 1440:
            raise ValueError(f"entry {self.id}: utc_offset {offset} is not within a day")
        object.__setattr__(self, "timestamp", to_utc(value, offset))
        object.__setattr__(self, "utc_offset", offset)

    @property
    def local_timestamp(self) -> datetime | None:
        """The time as the source wrote it: aware at ``utc_offset``, naive when None."""
        if self.timestamp is None:
            return None
        return local_time(self.timestamp, self.utc_offset)

    def to_dict(self) -> dict[str, Any]:
        """The HTTP API's entry body (``GET /entries/<id>``, and each of a thread's).

        ``timestamp`` is ISO 8601 UTC (``...+00:00``) or null; ``utc_offset`` minutes
        or null; ``kind`` its string value.
        """
        return {
            "id": self.id,
            "thread_id": self.thread_id,
            "thread_title": self.thread_title,
            "kind": getattr(self.kind, "value", self.kind),
            "position": self.position,
            "author": self.author,
            "author_url": self.author_url,
            "timestamp": _iso(self.timestamp),
            "utc_offset": self.utc_offset,
            "title": self.title,
            "body": self.body,
            "quoted": self.quoted,
            "parent_id": self.parent_id,
            "depth": self.depth,
            "mentions": list(self.mentions),
            "url": self.url,
            "status": self.status,
            "lang": self.lang,
        }


@dataclass(frozen=True)
class ThreadSummary:
    """A thread without its entries, as :func:`~threadsearch.list_threads` lists it."""

    id: str
    title: str
    url: str | None
    site: str | None
    tags: list[str]
    declared_count: int | None
    entry_count: int

    def to_dict(self) -> dict[str, Any]:
        """One item of ``GET /threads``: id, title, url, site, tags, counts."""
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "site": self.site,
            "tags": list(self.tags),
            "declared_count": self.declared_count,
            "entry_count": self.entry_count,
        }


@dataclass(frozen=True)
class Thread:
    """A discussion: the post (position 0, when the source has it) and its entries.

    Parsers produce it, :meth:`~threadsearch.ThreadIndex.ingest` takes it, and
    :func:`~threadsearch.get_thread` returns it with ``entries`` in position order.
    ``source`` (the file it came from) is not part of the HTTP body.
    """

    id: str
    title: str
    url: str | None = None
    site: str | None = None
    source: str | None = None
    declared_count: int | None = None
    tags: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    @property
    def entry_count(self) -> int:
        """How many entries the thread holds (the post included)."""
        return len(self.entries)

    def summary(self) -> ThreadSummary:
        """The thread without its entries."""
        return ThreadSummary(
            self.id,
            self.title,
            self.url,
            self.site,
            list(self.tags),
            self.declared_count,
            self.entry_count,
        )

    def to_dict(self) -> dict[str, Any]:
        """``GET /threads/<id>``: the summary's keys plus ``entries`` (see Entry.to_dict)."""
        return self.summary().to_dict() | {"entries": [e.to_dict() for e in self.entries]}


@dataclass(frozen=True)
class ThreadPage:
    """One page of :func:`~threadsearch.list_threads`: threads by latest activity."""

    total: int
    page: int
    per_page: int
    threads: list[ThreadSummary]

    def to_dict(self) -> dict[str, Any]:
        """``GET /threads``: total, page, per_page and the page's thread summaries."""
        return {
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "threads": [t.to_dict() for t in self.threads],
        }


def make_id(*parts: str) -> str:
    """A short, stable, URL-safe id for the given key parts."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


def thread_id_for(key: str) -> str:
    """The thread id for a canonical key (a canonical URL, a Message-ID, a title...)."""
    return make_id("thread", key)


def entry_id_for(thread_id: str, local: str) -> str:
    """The entry id for an entry known locally as ``local`` (a comment id, a position)."""
    if not _SAFE_LOCAL.fullmatch(local):
        local = make_id(local)[:12]
    return f"{thread_id}-{local}"


def canonical_url(url: str) -> str:
    """Normalise a URL so that the same page written two ways compares equal.

    Lower-cases scheme and host, drops ``www.``, default ports, the fragment and a
    trailing slash; treats http and https alike.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("https", host, path, parts.query, ""))


@dataclass(frozen=True)
class SearchRequest:
    """Everything a search can ask for; the CLI and the HTTP API both build one.

    >>> SearchRequest(q="refugee", facets=["author"], sort="newest").per_page
    10
    """

    q: str = ""
    author: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    thread: list[str] = field(default_factory=list)
    site: list[str] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    lang: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    facets: list[str] = field(default_factory=list)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    collapse: str | None = None
    #: The ``next_cursor`` of the previous page: the page after its last hit
    #: (``search_after`` paging, stable while other threads commit); ``page`` stays 1.
    cursor: str | None = None


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet and how many matching entries have it.

    ``value`` is a string (an author, a kind, ``"2005-10"`` for a month) or ``None``
    for entries without one; ``selected`` says the request filters on it.
    """

    value: str | None
    count: int
    selected: bool = False

    def to_dict(self) -> dict[str, Any]:
        """``{"value", "count", "selected"}``."""
        return {"value": self.value, "count": self.count, "selected": self.selected}


@dataclass(frozen=True)
class Facet:
    """The counted values of one facet; ``truncated`` when more values exist."""

    name: str
    values: list[FacetValue]
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """``{"values", "truncated"}``; the name is the key in ``SearchResult.facets``."""
        return {"values": [v.to_dict() for v in self.values], "truncated": self.truncated}


@dataclass(frozen=True)
class Hit:
    """One matching entry: ids, who and when, and HTML snippets of where it matched.

    ``timestamp`` is aware UTC (or ``None``), ``utc_offset`` as on :class:`Entry`;
    ``score`` is ``None`` for date-sorted results; ``collapsed`` (with
    ``collapse="thread"``) counts the thread's other hits.

    ``snippet`` is the body (the title when the body is empty), with any matches marked,
    as before. ``highlights`` maps each field that holds a query word (``"title"``,
    ``"body"``, ``"quoted"``, in that order) to its snippet; a field without a match is
    absent. ``matched_terms`` are the query's words and phrases, as typed and in query
    order, that this entry matches. Snippets are HTML: matches in ``<mark>``, the rest
    escaped.
    """

    id: str
    thread_id: str
    thread_title: str
    kind: str
    author: str | None
    timestamp: datetime | None
    position: int
    score: float | None
    snippet: str
    collapsed: int | None = None
    utc_offset: int | None = None
    lang: str | None = None
    highlights: dict[str, str] = field(default_factory=dict)
    matched_terms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """One item of ``hits`` in ``GET /search`` and ``GET /entries/<id>/similar``."""
        return {
            "id": self.id,
            "thread_id": self.thread_id,
            "thread_title": self.thread_title,
            "kind": self.kind,
            "author": self.author,
            "timestamp": _iso(self.timestamp),
            "utc_offset": self.utc_offset,
            "position": self.position,
            "score": self.score,
            "snippet": self.snippet,
            "highlights": dict(self.highlights),
            "matched_terms": list(self.matched_terms),
            "collapsed": self.collapsed,
            "lang": self.lang,
        }


@dataclass(frozen=True)
class SearchResult:
    """What :func:`~threadsearch.search` returns: one page of hits, facets, hints."""

    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    facets: dict[str, Facet]
    suggestion: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: Pass as ``SearchRequest.cursor`` for the hits after this page; None at the end.
    next_cursor: str | None = None
    #: True when the time budget ran out: facets, highlights or hits were cut short
    #: (``warnings`` says which).
    partial: bool = False

    def to_dict(self) -> dict[str, Any]:
        """``GET /search``: counts, ``hits``, ``facets`` by name, suggestion, warnings,
        ``next_cursor`` and ``partial``."""
        return {
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": self.took_ms,
            "hits": [h.to_dict() for h in self.hits],
            "facets": {name: facet.to_dict() for name, facet in self.facets.items()},
            "suggestion": self.suggestion,
            "warnings": list(self.warnings),
            "next_cursor": self.next_cursor,
            "partial": self.partial,
        }


@dataclass(frozen=True)
class SimilarResult:
    """What :func:`~threadsearch.similar` returns: the entry asked about and its hits."""

    id: str
    hits: list[Hit]

    def to_dict(self) -> dict[str, Any]:
        """``GET /entries/<id>/similar``: ``{"id", "hits"}``."""
        return {"id": self.id, "hits": [h.to_dict() for h in self.hits]}


@dataclass(frozen=True)
class Stats:
    """What :func:`~threadsearch.stats` returns: counts and extents of the index.

    ``first`` and ``last`` are the earliest and latest entry times, aware UTC, or
    ``None`` when no entry has a time.
    """

    entries: int
    threads: int
    authors: int
    sites: list[str]
    kinds: dict[str, int]
    first: datetime | None
    last: datetime | None
    generation: int
    index_dir: str
    size_bytes: int
    format_version: int = 0

    def to_dict(self) -> dict[str, Any]:
        """``GET /stats``; ``first``/``last`` as ISO 8601 UTC."""
        return {
            "entries": self.entries,
            "threads": self.threads,
            "authors": self.authors,
            "sites": list(self.sites),
            "kinds": dict(self.kinds),
            "first": _iso(self.first),
            "last": _iso(self.last),
            "generation": self.generation,
            "index_dir": self.index_dir,
            "size_bytes": self.size_bytes,
            "format_version": self.format_version,
        }
