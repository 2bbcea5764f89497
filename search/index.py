"""An open index: opening and creating it, reading it, and writing threads into it.

:func:`open_index` checks the schema version written beside the index in
``threadsearch.json`` (see :mod:`.schema`) and refuses another with a hint to rebuild.
:class:`ThreadIndex` keeps the searchers and the per-generation caches of one open
index.

Ingest is one transaction: :meth:`ThreadIndex.ingest` updates documents by their unique
``id`` (so re-ingesting a file is idempotent), commits once at the end, and cancels on
any error, leaving the index exactly as it was.

Imports point one way: :mod:`.model` <- :mod:`.schema` <- :mod:`.writer` and
:mod:`.query.columns` <- this module <- :mod:`.query.engine`. Whoosh imports stay in
these modules and in :mod:`.query`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import whoosh
import whoosh.index as whoosh_index
from whoosh.index import clean_files
from whoosh.searching import Searcher

from .errors import IndexNotFoundError, IndexVersionError, SearchError
from .model import Thread
from .query.columns import write_missing_sidecars
from .schema import INDEX_NAME, META_FILE, SCHEMA_VERSION, THREAD, build_schema, entry_document
from .writer import BatchWriter, open_writer

#: The Whoosh release threadsearch is built and tested against (the ``whoosh3`` fork).
WHOOSH_VERSION = (3, 54, 0)


def check_whoosh_version() -> None:
    """Refuse to run on a Whoosh other than the pinned one (they all install as whoosh)."""
    found = tuple(whoosh.__version__[:3])
    if found != WHOOSH_VERSION:
        raise SearchError(
            f"threadsearch needs whoosh3 {'.'.join(map(str, WHOOSH_VERSION))}, "
            f"found whoosh {'.'.join(map(str, found))}",
            hint="Reinstall with `pip install -e .`, which pins the right one.",
        )


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
    def writer(
        self, *, wait: float = 0.0, on_busy: Callable[[], None] | None = None
    ) -> Iterator[Any]:
        """A writer that commits on success and cancels on any error.

        Raises :class:`~.errors.IndexBusyError` when another writer holds the index
        for longer than ``wait`` seconds (see :func:`.writer.open_writer`).
        """
        # Whoosh's default is 128 MB of buffer per writer; a larger pool means fewer,
        # larger segments written and much faster bulk ingest. Not compound, as in
        # .writer: a searcher would read a compound segment whole into memory.
        writer = open_writer(self._ix, wait=wait, on_busy=on_busy, limitmb=256, compound=False)
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
        wait: float = 0.0,
        on_busy: Callable[[], None] | None = None,
    ) -> IngestReport:
        """Add or replace the threads' entries, all in one commit (see :mod:`.writer`).

        Raises :class:`~.errors.IndexBusyError` when another writer holds the index
        for longer than ``wait`` seconds. Validated writes: :mod:`.writes`.
        """
        report = IngestReport()
        thread_ids: set[str] = set()
        writer = BatchWriter(
            self._ix, replace_existing=not self._ix.is_empty(), wait=wait, on_busy=on_busy
        )
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

    def delete_thread(self, thread_id: str, *, wait: float = 0.0) -> int:
        """Remove every entry of a thread; returns how many were removed."""
        with self.writer(wait=wait) as writer:
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
