"""Plain data shared by every layer: threads, their entries, search requests and results.

Parsers in :mod:`threadsearch.sources` produce :class:`Thread` objects, the indexer in
:mod:`threadsearch.index` consumes them, and the query engine returns :class:`SearchResult`.
Nothing here does I/O.

Ids are stable across re-ingest and URL-safe: a thread id is a hash of the thread's
canonical key (its post URL when the source has one), and an entry id is the thread id
plus a local part (the source's own comment id where it has one), so the same comment
reaching us from two sources gets one id.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
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


@dataclass
class Entry:
    """One post, comment, trackback or pingback in a thread.

    ``timestamp`` is timezone-aware (UTC) when the source states a zone, and naive
    (local to the site) when it does not.
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


@dataclass
class Thread:
    """A discussion: the post (position 0, when the source has it) and its entries."""

    id: str
    title: str
    url: str | None = None
    site: str | None = None
    source: str | None = None
    declared_count: int | None = None
    tags: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


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


@dataclass
class SearchRequest:
    """Everything a search can ask for; the CLI and the HTTP API both build one."""

    q: str = ""
    author: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    thread: list[str] = field(default_factory=list)
    site: list[str] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    facets: list[str] = field(default_factory=list)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    collapse: str | None = None


@dataclass
class FacetValue:
    value: Any
    count: int
    selected: bool = False


@dataclass
class Facet:
    name: str
    values: list[FacetValue]
    truncated: bool = False


@dataclass
class Hit:
    id: str
    thread_id: str
    thread_title: str
    kind: str
    author: str | None
    timestamp: str | None
    position: int
    score: float | None
    snippet: str
    collapsed: int | None = None


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    facets: dict[str, Facet]
    suggestion: str | None = None
    warnings: list[str] = field(default_factory=list)
