"""The Whoosh index: schema, analyzers, opening and creating, and the writer.

One document per entry (the post is the entry at position 0). Thread-level values
(title, URL, site, tags) are copied onto each entry, so a hit needs no second look-up and
``site`` and ``tag`` filter entries directly. Field names are constants; the schema is
defined once, in :func:`build_schema`, and its version is written beside the index in
``threadsearch.json``. An index of another version is refused with a hint to rebuild.

Ingest is one transaction: :func:`ingest` updates documents by their unique ``id``
(so re-ingesting a file is idempotent), commits once at the end, and cancels on any
error, leaving the index exactly as it was.

Whoosh imports stay in this module and in :mod:`threadsearch.query`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import whoosh
import whoosh.index as whoosh_index
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemmingAnalyzer,
)
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import clean_files
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map

from .errors import IndexNotFoundError, IndexVersionError, SearchError
from .model import Entry, Thread

#: The Whoosh release threadsearch is built and tested against (the ``whoosh3`` fork).
WHOOSH_VERSION = (3, 54, 0)
#: Bumped whenever the schema or the meaning of a field changes.
SCHEMA_VERSION = 2
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


def check_whoosh_version() -> None:
    """Refuse to run on a Whoosh other than the pinned one (they all install as whoosh)."""
    found = tuple(whoosh.__version__[:3])
    if found != WHOOSH_VERSION:
        raise SearchError(
            f"threadsearch needs whoosh3 {'.'.join(map(str, WHOOSH_VERSION))}, "
            f"found whoosh {'.'.join(map(str, found))}",
            hint="Reinstall with `pip install -e .`, which pins the right one.",
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
        TIME_TEXT: entry.timestamp.isoformat() if entry.timestamp else None,
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


@dataclass
class IngestReport:
    """What an ingest did."""

    threads: int = 0
    entries: int = 0
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ThreadIndex:
    """An open threadsearch index: one per process, shared by its requests.

    Keeps one searcher open and refreshes it when another process has committed, so
    readers see new data without a restart. Per-generation caches (facet columns) hang
    off :attr:`generation`.
    """

    def __init__(self, path: Path, ix: Any) -> None:
        self.path = path
        self._ix = ix
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()
        self._caches: dict[str, Any] = {}
        self._cache_generation: int | None = None
        #: Per-segment values that outlive a generation (a segment's documents never
        #: change; deletions are read from the searcher), keyed by segment id.
        self.segment_cache: dict[str, Any] = {}

    @property
    def whoosh(self) -> Any:
        return self._ix

    def searcher(self) -> Searcher:
        """The current searcher, refreshed if the index changed since it was opened."""
        with self._lock:
            if self._searcher is None:
                self._searcher = self._ix.searcher()
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses the readers of segments it already
                # has, and so misses deletions committed to them since.
                self._searcher.close()
                self._searcher = self._ix.searcher()
            return self._searcher

    @property
    def generation(self) -> int:
        return _generation(self.searcher())

    def cache(self, name: str, build: Callable[[Searcher], Any]) -> Any:
        """A value computed once per index generation (dropped when the index changes)."""
        searcher = self.searcher()
        generation = _generation(searcher)
        with self._lock:
            if self._cache_generation != generation:
                self._caches = {}
                self._cache_generation = generation
            if name not in self._caches:
                self._caches[name] = build(searcher)
            return self._caches[name]

    def __enter__(self) -> ThreadIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._ix.close()

    @contextmanager
    def writer(self) -> Iterator[Any]:
        """A writer that commits on success and cancels on any error."""
        # Whoosh's default is 128 MB of buffer per writer; a larger pool means fewer,
        # larger segments written and much faster bulk ingest.
        writer = self._ix.writer(limitmb=256)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            self._remove_unused_files()
            raise
        else:
            writer.commit()
            self._after_commit()

    def _after_commit(self) -> None:
        # Whoosh may have merged segments: give the new ones their column files now,
        # so the first search after the commit does not read them from postings.
        from .query.columns import write_missing_sidecars

        write_missing_sidecars(self._ix)

    def _remove_unused_files(self) -> None:
        # A cancelled Whoosh writer closes its new segment's files but leaves them on
        # disk; remove every file the current table of contents does not name, so a
        # failed ingest leaves the folder exactly as it was.
        generation = self._ix.latest_generation()
        segments = self._ix._segments() if generation >= 0 else []
        clean_files(self._ix.storage, INDEX_NAME, generation, segments)

    def ingest(
        self,
        threads: Iterable[Thread],
        *,
        on_thread: Callable[[Thread], None] | None = None,
    ) -> IngestReport:
        """Add or replace the threads' entries, all in one commit (see :mod:`.writer`)."""
        from .writer import BatchWriter

        report = IngestReport()
        thread_ids: set[str] = set()
        writer = BatchWriter(self._ix, replace_existing=not self._ix.is_empty())
        try:
            for thread in threads:
                thread_ids.add(thread.id)
                if on_thread is not None:
                    on_thread(thread)
                size = len(thread.entries)
                for entry in thread.entries:
                    writer.add(entry_document(thread, entry), size)
            writer.commit()
        except BaseException:
            writer.cancel()
            self._remove_unused_files()
            raise
        self._after_commit()
        # A thread or an entry that came twice is one document.
        report.threads, report.entries = len(thread_ids), writer.entry_count
        return report

    def delete_thread(self, thread_id: str) -> int:
        """Remove every entry of a thread; returns how many were removed."""
        with self.writer() as writer:
            count: int = writer.delete_by_term(THREAD, thread_id)
        return count


def _generation(searcher: Searcher) -> int:
    # An index with no commit yet has no generation; count it as -1.
    generation = searcher.reader().generation()
    return -1 if generation is None else int(generation)


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta: dict[str, Any] = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta


def open_index(path: str | os.PathLike[str], *, create: bool = False) -> ThreadIndex:
    """Open the index at ``path``; with ``create``, make an empty one if there is none."""
    check_whoosh_version()
    directory = Path(path)
    exists = directory.is_dir() and whoosh_index.exists_in(str(directory), INDEX_NAME)
    if not exists:
        if not create:
            raise IndexNotFoundError(
                f"no threadsearch index at {directory}",
                hint="Build one with `threadsearch ingest PATH --index DIR`.",
            )
        directory.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(directory), build_schema(), indexname=INDEX_NAME)
        meta = {"schema_version": SCHEMA_VERSION, "whoosh": ".".join(map(str, WHOOSH_VERSION))}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return ThreadIndex(directory, ix)
    version = _read_meta(directory).get("schema_version")
    if version != SCHEMA_VERSION:
        raise IndexVersionError(
            f"the index at {directory} has schema version {version}, "
            f"this threadsearch reads version {SCHEMA_VERSION}",
            hint=f"Rebuild it: delete {directory} and run `threadsearch ingest` again.",
        )
    try:
        ix = whoosh_index.open_dir(str(directory), indexname=INDEX_NAME)
    except whoosh_index.IndexError as exc:
        raise IndexNotFoundError(
            f"the index at {directory} cannot be opened: {exc}",
            hint=f"Rebuild it: delete {directory} and run `threadsearch ingest` again.",
        ) from exc
    return ThreadIndex(directory, ix)
