"""An open index: opening and creating it, reading it, and writing threads into it.

:func:`open_index` checks the schema version written beside the index in
``threadsearch.json`` (see :mod:`.schema`) and refuses another with a hint to rebuild.
:class:`ThreadIndex` keeps the searchers and the per-generation caches of one open
index.

Ingest is one transaction: :meth:`ThreadIndex.ingest` updates documents by their unique
``id`` (so re-ingesting a file is idempotent), commits once at the end, and cancels on
any error, leaving the index exactly as it was.

Threads and processes
---------------------

Open an index once per process and share the :class:`ThreadIndex` between all its
threads; callers need no lock.

* **Reads.** Every read call (``search``, ``get_entry``, ``get_thread``,
  ``list_threads``, ``similar``, ``stats`` and, for its whole iteration,
  ``threadsearch.export.iter_index_threads``) sees exactly one committed generation
  from start to end, never a half-written commit. A commit made by another thread or
  process is seen by the next call, without reopening. To see one generation across
  several calls, wrap them in ``with index.reading():`` (:meth:`ThreadIndex.reading`).
* **How.** A read call checks a Whoosh searcher out of the index's pool and gives it
  back when it ends, so no two threads ever use one searcher (a Whoosh searcher reads
  its files with seek and read) and none is closed while in use. Threads wait on each
  other only for a few dictionary updates, never for a whole search. Values built once
  per generation (facet columns, posting lists, results) are shared between threads;
  a cached search result is copied on the way out, so every call gets lists and
  dicts of its own and changing them changes nothing another call sees.
* **Writes.** One writer at a time per index, in any thread or process: Whoosh's write
  lock refuses a second writer while the first holds it. Readers are never blocked by
  a writer. A writer may add, replace and delete threads and merge segments meanwhile:
  a searcher opens every file of its segments when it is created, so a merge that
  deletes an older generation's files (POSIX keeps open files readable) does not
  disturb the reads still using that generation.
* **Resources.** Each searcher holds its segments' files open: about ten file
  descriptors per segment per read running at once. Every ingest adds a segment, so
  a server with many threads over many small commits needs a high ``ulimit -n``
  (``threadsearch serve`` raises its soft limit to the hard one).
* **Processes.** A :class:`ThreadIndex` must not cross a ``fork``: its searchers'
  file descriptors (and so their seek positions) would be shared with the parent, and
  a lock another thread held at the fork would stay held in the child forever. An
  index records the process that opened it, and any read or write through it from
  another process raises :class:`~threadsearch.errors.SearchError`; open the index
  in the child (the HTTP API opens it on each worker's first request). All of an
  index's locks live on the index, so an index opened in the child is unaffected by
  locks the parent held.
* **Closing.** Call :meth:`ThreadIndex.close` after the last read; reads still
  running finish first, later ones raise :class:`~threadsearch.errors.SearchError`.
* **Read-only.** ``open_index(path, readonly=True)`` never writes to the folder (no
  lock, no files), for read-only mounts and snapshots; writes through it raise
  :class:`~threadsearch.errors.SearchError`.

Imports point one way: :mod:`.model` <- :mod:`.schema` <- :mod:`.writer` and
:mod:`.query.columns` <- this module <- :mod:`.query.engine`. Whoosh imports stay in
these modules and in :mod:`.query`.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import whoosh
import whoosh.index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader
from whoosh.index import clean_files
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from .errors import IndexNotFoundError, IndexVersionError, IndexWriteError, SearchError
from .model import Thread
from .query.columns import write_missing_sidecars
from .schema import INDEX_NAME, META_FILE, SCHEMA_VERSION, THREAD, build_schema, thread_documents
from .writer import BatchWriter, SegmentBuilders, SegmentSize, close_files, open_writer

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
    #: Files a batched ingest skipped: the index's ledger says they are in.
    skipped: list[str] = field(default_factory=list)
    #: The generation of the ingest's last commit (-1: none).
    generation: int = -1


class Snapshot:
    """One committed generation of the index, pinned for one read call.

    Holds a Whoosh searcher that no other read uses while the snapshot lives, and the
    generation's shared caches. Get one from :meth:`ThreadIndex.reading` (pinned to the
    calling thread) or :meth:`ThreadIndex.snapshot` (for a generator that reads across
    ``yield``).
    """

    def __init__(
        self,
        index: ThreadIndex,
        searcher: Searcher,
        generation: int,
        caches: _GenerationCaches,
        toc: int,
    ) -> None:
        self.index = index
        self._searcher = searcher
        #: The generation read: -1 for an index with nothing committed yet.
        self.generation = generation
        #: The number of the table of contents read (0 for a new, empty index).
        self.toc = toc
        self._caches = caches

    def searcher(self) -> Searcher:
        """This snapshot's searcher: for this read only, never shared with another."""
        return self._searcher

    @property
    def segment_cache(self) -> dict[str, Any]:
        return self.index.segment_cache

    @property
    def segment_lock(self) -> threading.Lock:
        return self.index.segment_lock

    def cache(self, name: str, build: Callable[[Searcher], Any]) -> Any:
        """The generation's value ``name``, built once (by the first read that asks).

        The value is shared by every thread reading this generation: it must not keep
        ``build``'s searcher, and it must be safe to use from several threads at once.
        """
        return self._caches.get(name, lambda: build(self._searcher))


class _GenerationCaches:
    """Values computed once per index generation and shared by its readers."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.RLock] = {}

    def get(self, name: str, build: Callable[[], Any]) -> Any:
        found = self._values.get(name, _MISSING)  # a dict read is atomic: no lock
        if found is not _MISSING:
            return found
        with self._lock:
            building = self._building.setdefault(name, threading.RLock())
        # One thread builds, the others wait for its value instead of building again.
        with building:
            found = self._values.get(name, _MISSING)
            if found is _MISSING:
                found = build()
                with self._lock:
                    self._values[name] = found
        return found


_MISSING = object()
_W = TypeVar("_W")
#: Attempts at opening a searcher when a commit removes files under it.
OPEN_ATTEMPTS = 10


class ThreadIndex:
    """An open threadsearch index, safe to share between threads (see the module docs).

    Every read call checks a Whoosh searcher out of a small pool for its duration, so a
    commit by another thread or process shows on the next call without a reopen, and no
    searcher is ever closed or shared while a read uses it. Per-generation caches
    (facet columns, posting lists, results) are shared by all readers of a generation.
    """

    def __init__(self, path: Path, ix: Any, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        #: The process that opened the index: the only one that may use it.
        self.pid = os.getpid()
        self._ix = ix
        self._lock = threading.Lock()
        self._local = threading.local()
        #: Searchers no read holds, with their generation, last given back last.
        self._idle: list[tuple[Searcher, int]] = []
        #: Every searcher open, by id: closed by :meth:`close` unless a read holds it.
        self._open: dict[int, Searcher] = {}
        self._busy: set[int] = set()
        self._caches: _GenerationCaches | None = None
        self._closed = False
        #: Per-segment values that outlive a generation (a segment's documents never
        #: change; deletions are read from the searcher), keyed by segment id. Guarded
        #: by :attr:`segment_lock`.
        self.segment_cache: dict[str, Any] = {}
        #: Guards :attr:`segment_cache` (column builds are rare: once a generation).
        self.segment_lock = threading.Lock()
        #: The newest generation the last full look at the folder found.
        self._seen_generation = -1

    @property
    def whoosh(self) -> Any:
        return self._ix

    # --- reading ------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """Pin one generation for the calling thread until the block ends.

        Every read call of :mod:`threadsearch.query.engine` runs inside one; nested
        blocks (and :meth:`searcher` and :meth:`cache` inside them) reuse the outer
        block's snapshot, so one call never mixes two generations::

            with index.reading():
                result = search(index, SearchRequest(q="refugees"))
                thread = get_thread(index, result.hits[0].thread_id)  # same generation
        """
        self._check_process()
        pinned: Snapshot | None = getattr(self._local, "pinned", None)
        if pinned is not None:
            yield pinned
            return
        with self.snapshot() as snapshot:
            self._local.pinned = snapshot
            try:
                yield snapshot
            finally:
                self._local.pinned = None

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A snapshot of the newest generation, not tied to the calling thread.

        For reads that outlive one call, such as a generator: the snapshot stays valid
        until the block ends, whatever the thread does meanwhile.
        """
        self._check_process()
        snapshot = self._checkout()
        try:
            yield snapshot
        finally:
            self._checkin(snapshot)

    def searcher(self) -> Searcher:
        """The searcher of the thread's current read (see :meth:`reading`).

        Outside a read, the thread's own searcher of the newest generation; it stays
        open until this thread's next such call finds the index changed.
        """
        self._check_process()
        pinned: Snapshot | None = getattr(self._local, "pinned", None)
        if pinned is not None:
            return pinned.searcher()
        loose: _Loose | None = getattr(self._local, "loose", None)
        if loose is not None and loose.snapshot.toc >= self._latest_generation():
            return loose.snapshot.searcher()
        if loose is not None:
            loose.release()
        snapshot = self._checkout()
        with self._lock:
            self._busy.discard(id(snapshot.searcher()))  # close() may close it
        self._local.loose = _Loose(self, snapshot)
        return snapshot.searcher()

    @property
    def generation(self) -> int:
        with self.reading() as snapshot:
            return snapshot.generation

    def cache(self, name: str, build: Callable[[Searcher], Any]) -> Any:
        """A value computed once per index generation (see :meth:`Snapshot.cache`)."""
        with self.reading() as snapshot:
            return snapshot.cache(name, build)

    def _checkout(self) -> Snapshot:
        """A snapshot of the newest generation: an idle searcher of it, or a new one
        (built from a stale idle searcher's segment readers where they still hold)."""
        latest = self._latest_generation()
        stale: list[Searcher] = []
        found: tuple[Searcher, int] | None = None
        with self._lock:
            self._check_open()
            while self._idle and found is None:
                searcher, toc = self._idle.pop()
                if toc >= latest:
                    found = searcher, toc
                    self._busy.add(id(searcher))
                else:
                    stale.append(searcher)
            # Idle searchers belong to no read: the newest stale one is recycled.
            for searcher in stale:
                self._open.pop(id(searcher), None)
        recycled = stale.pop(0) if found is None and stale else None
        for searcher in stale:
            searcher.close()
        if found is None:
            found = self._open_searcher(recycled)
        searcher, toc = found
        return Snapshot(self, searcher, _generation(searcher), self._caches_for(toc), toc)

    def _latest_generation(self) -> int:
        """The newest committed generation, without listing the folder on every read.

        Whoosh lists every file of the index (about ten per segment) to find it: 1.5 ms
        at 100 segments, more than a thread fetch. A commit writes generation ``g + 1``'s
        table of contents by a rename and then deletes every other one, so while ``g``'s
        is still there and ``g + 1``'s is not, ``g`` is the newest; otherwise the folder
        is listed.
        """
        seen = self._seen_generation
        storage = self._ix.storage
        if (
            seen >= 0
            and storage.file_exists(f"_{INDEX_NAME}_{seen}.toc")
            and not storage.file_exists(f"_{INDEX_NAME}_{seen + 1}.toc")
        ):
            return seen
        latest: int = self._ix.latest_generation()
        self._seen_generation = latest
        return latest

    def _open_searcher(self, recycled: Searcher | None) -> tuple[Searcher, int]:
        reusable: dict[str, Any] = {}
        if recycled is not None:
            for reader, _ in recycled.reader().leaf_readers():
                segment = reader.segment()
                if segment is None:
                    reader.close()
                else:
                    reusable[segment.segment_id()] = reader
        try:
            searcher, toc = _open_searcher(self._ix, reusable)
        finally:
            for reader in reusable.values():
                reader.close()
        with self._lock:
            if self._closed:
                searcher.close()
                self._check_open()
            self._open[id(searcher)] = searcher
            self._busy.add(id(searcher))
        return searcher, toc

    def _checkin(self, snapshot: Snapshot) -> None:
        searcher = snapshot.searcher()
        with self._lock:
            self._busy.discard(id(searcher))
            if not self._closed:
                # Even one of an older generation: the next checkout recycles its readers.
                self._idle.append((searcher, snapshot.toc))
                return
        self._close_searchers([searcher])

    def _close_searchers(self, searchers: list[Searcher]) -> None:
        if self.pid != os.getpid():
            return  # the parent's searchers, and maybe a lock held at the fork: leave them
        with self._lock:
            # Each searcher once, even if close() and its reader's end race.
            closing = [s for s in searchers if self._open.pop(id(s), None) is not None]
        for searcher in closing:
            searcher.close()

    def _caches_for(self, generation: int) -> _GenerationCaches:
        with self._lock:
            current = self._caches
            if current is not None and current.generation == generation:
                return current
            if current is None or generation > current.generation:
                self._caches = _GenerationCaches(generation)
                return self._caches
        # A read that opened an older generation than the newest known (it read the
        # table of contents just before a commit): private caches, not kept.
        return _GenerationCaches(generation)

    def _check_process(self) -> None:
        if self.pid != os.getpid():
            raise SearchError(
                f"the index at {self.path} was opened in process {self.pid} and cannot "
                f"be used in process {os.getpid()}: open the index in each process "
                "after forking",
                hint="Call open_index() in the child process instead of using the "
                "parent's ThreadIndex.",
            )

    def _check_open(self) -> None:
        if self._closed:
            raise SearchError(
                f"the index at {self.path} is closed",
                hint="Open it again with open_index(); close it only after the last read.",
            )

    def __enter__(self) -> ThreadIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every searcher; one a read still holds is closed when that read ends.

        In a process other than the one that opened the index (a forked child), does
        nothing: the searchers are the parent's.
        """
        if self.pid != os.getpid():
            return
        with self._lock:
            self._closed = True
            self._idle = []
            idle = [s for key, s in self._open.items() if key not in self._busy]
        self._close_searchers(idle)
        self._ix.close()

    # --- writing ------------------------------------------------------------------

    def _check_writable(self) -> None:
        self._check_process()
        if self.readonly:
            raise SearchError(
                f"the index at {self.path} was opened read-only; nothing was written",
                hint="Open it with open_index(path) to write, on a writable folder.",
            )

    @contextmanager
    def writer(
        self, *, wait: float = 0.0, on_busy: Callable[[], None] | None = None
    ) -> Iterator[Any]:
        """A writer that commits on success and cancels on any error.

        Raises :class:`~.errors.IndexBusyError` when another writer holds the index
        for longer than ``wait`` seconds (see :func:`.writer.open_writer`).
        """
        self._check_writable()
        # Whoosh's default is 128 MB of buffer per writer; a larger pool means fewer,
        # larger segments written and much faster bulk ingest. Not compound, as in
        # .writer: a searcher would read a compound segment whole into memory.
        writer = self._started(
            lambda: open_writer(self._ix, wait=wait, on_busy=on_busy, limitmb=256, compound=False)
        )
        try:
            yield writer
            writer.commit()
        except BaseException as exc:
            if not writer.is_closed:  # a failed commit has closed it already
                _cancel(writer)
            self._remove_unused_files()
            if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
                raise write_error(self.path, exc) from exc
            raise
        self._after_commit()

    def _started(self, start: Callable[[], _W]) -> _W:
        """``start()``, a writer; when its first files cannot be written, the files it
        made removed and :class:`~.errors.IndexWriteError` raised."""
        try:
            return start()
        except OSError as exc:
            if exc.errno not in _WRITE_ERRNOS:
                raise
            self._remove_unused_files()
            raise write_error(self.path, exc) from exc

    def _after_commit(self) -> None:
        # Whoosh may have merged segments: give the new ones their column files now,
        # so the first search after the commit does not read them from postings.
        write_missing_sidecars(self._ix)

    def _remove_unused_files(self) -> None:
        # A cancelled Whoosh writer closes its new segment's files but leaves them on
        # disk; remove every file the current table of contents does not name, so a
        # failed ingest leaves the folder exactly as it was. Only while holding the
        # write lock (Whoosh's cancel released it): another writer may have taken it
        # meanwhile, and the files of its uncommitted segments are not in the table of
        # contents either. Then its own cleanup, or a later one, removes ours.
        lock = self._ix.lock("WRITELOCK")
        if not lock.acquire(False):
            return
        try:
            generation = self._ix.latest_generation()
            segments = self._ix._segments() if generation >= 0 else []
            clean_files(self._ix.storage, INDEX_NAME, generation, segments)
            # A table of contents whose write failed (a full disk) stays under its
            # temporary name, which Whoosh's cleanup does not know.
            for name in list(self._ix.storage):
                if name.startswith(f"_{INDEX_NAME}_") and ".toc." in name:
                    with suppress(OSError):
                        self._ix.storage.delete_file(name)
        finally:
            lock.release()

    def ingest(
        self,
        threads: Iterable[Thread],
        *,
        on_thread: Callable[[Thread], None] | None = None,
        wait: float = 0.0,
        on_busy: Callable[[], None] | None = None,
        builders: SegmentBuilders | None = None,
        segment_size: SegmentSize | None = None,
    ) -> IngestReport:
        """Add or replace the threads' entries, all in one commit (see :mod:`.writer`).

        Segments are written by ``builders``, worker processes a caller that commits
        many times keeps (workers of this call's own by default), closed at
        ``segment_size`` (:data:`.writer.BATCH_DOCUMENTS` entries or
        :data:`.writer.BATCH_CHARS` characters of text by default).

        Raises :class:`~.errors.IndexBusyError` when another writer holds the index
        for longer than ``wait`` seconds. Validated writes: :mod:`.writes`.
        """
        self._check_writable()
        report = IngestReport()
        thread_ids: set[str] = set()
        writer = self._started(
            lambda: BatchWriter(
                self._ix,
                replace_existing=not self._ix.is_empty(),
                builders=builders,
                segment_size=segment_size,
                wait=wait,
                on_busy=on_busy,
            )
        )
        try:
            for thread in threads:
                thread_ids.add(thread.id)
                if on_thread is not None:
                    on_thread(thread)
                size = len(thread.entries)
                for doc in thread_documents(thread):
                    writer.add(doc, size)
            writer.commit()
        except BaseException as exc:
            _cancel(writer)
            self._remove_unused_files()
            if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
                raise write_error(self.path, exc) from exc
            raise
        self._after_commit()
        report.generation = writer.generation
        # A thread or an entry that came twice is one document.
        report.threads, report.entries = len(thread_ids), writer.entry_count
        return report

    def delete_thread(self, thread_id: str, *, wait: float = 0.0) -> int:
        """Remove every entry of a thread; returns how many were removed."""
        with self.writer(wait=wait) as writer:
            count: int = writer.delete_by_term(THREAD, thread_id)
        return count


class _Loose:
    """A thread's searcher outside any read; released when replaced or the thread ends."""

    def __init__(self, index: ThreadIndex, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        # Not returned to the pool: the caller may still hold the searcher.
        self._release = weakref.finalize(self, _release_loose, index, snapshot)

    def release(self) -> None:
        self._release()


def _release_loose(index: ThreadIndex, snapshot: Snapshot) -> None:
    index._close_searchers([snapshot.searcher()])


P = ParamSpec("P")
R = TypeVar("R")


def read_call(
    func: Callable[Concatenate[ThreadIndex, P], R],
) -> Callable[Concatenate[ThreadIndex, P], R]:
    """Run a read function of ``(index, ...)`` inside ``index.reading()``: it sees one
    generation from start to end, and nested read calls see the same one."""

    @functools.wraps(func)
    def pinned(index: ThreadIndex, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with index.reading():
            return func(index, *args, **kwargs)

    return pinned


def _open_searcher(ix: Any, reusable: dict[str, Any]) -> tuple[Searcher, int]:
    """A searcher of the newest generation and the number of its table of contents.

    Takes the readers of unchanged segments (same id, same deletions) out of
    ``reusable``; the caller closes the rest.
    """
    for attempt in range(OPEN_ATTEMPTS):
        opened: list[Any] = []
        readers: list[Any] = []
        try:
            toc = ix._read_toc()
            names: set[str] | None = None
            for segment in toc.segments:
                reader = reusable.get(segment.segment_id())
                if reader is not None and _same_deletions(reader.segment(), segment):
                    del reusable[segment.segment_id()]
                    reader._gen = toc.generation
                else:
                    reader = SegmentReader(ix.storage, toc.schema, segment, toc.generation)
                    opened.append(reader)
                    names = set(ix.storage.list()) if names is None else names
                    _hold_segment_files(reader, names)
                readers.append(reader)
        except BaseException as exc:
            # Close what this try opened; the reused readers go back to the caller.
            for reader in opened:
                reader.close()
            reusable.update((r.segment().segment_id(), r) for r in readers if r not in opened)
            # A commit removed a segment between reading the table of contents and
            # opening the segment's files: the next try reads the newer table.
            if not isinstance(exc, FileNotFoundError) or attempt == OPEN_ATTEMPTS - 1:
                raise
            continue
        if not readers:
            top: Any = EmptyReader(toc.schema)
        elif len(readers) == 1:
            top = readers[0]
        else:
            top = MultiReader(readers, generation=toc.generation)
        return Searcher(top, fromindex=ix), int(toc.generation)
    raise AssertionError("unreachable")


def _same_deletions(old: Any, new: Any) -> bool:
    if old.deleted_count() != new.deleted_count():
        return False
    return old.deleted_count() == 0 or set(old.deleted_docs()) == set(new.deleted_docs())


def _hold_segment_files(reader: Any, names: set[str]) -> None:
    """Open now every file a segment reader would open on demand.

    Whoosh opens a segment's column files (stored fields, field lengths, sortable
    values) and vector postings when first asked for them. A commit that merges
    segments deletes the old segments' files, and a searcher of the older generation
    would then fail to open them. A file already open stays readable after it is
    deleted (POSIX), so every file is opened with the reader.
    """
    perdoc = getattr(reader, "_perdoc", None)
    segment = reader.segment()
    if not isinstance(perdoc, W3PerDocReader) or segment.is_compound():
        return  # a compound segment's one file is opened with its reader
    prefix, suffix = segment.make_filename("."), W3Codec.COLUMN_EXT
    for name in names:
        if name.startswith(prefix) and name.endswith(suffix):
            column = name[len(prefix) : -len(suffix)]
            if column not in perdoc._colfiles:
                perdoc._colfiles[column] = perdoc._get_column_file(column)
    if segment.make_filename(W3Codec.VPOSTS_EXT) in names and perdoc._vpostfile is None:
        perdoc._prep_vectors()
    # has_column asks the folder; answer from the files held instead.
    perdoc.has_column = frozenset(perdoc._colfiles).__contains__


def _generation(searcher: Searcher) -> int:
    # An index with no commit yet has no generation; count it as -1.
    generation = searcher.reader().generation()
    return -1 if generation is None else int(generation)


def _cancel(writer: Any) -> None:
    """Cancel a writer; on a full disk, closing its files fails too (Whoosh has then
    released the lock), and the write is cancelled all the same."""
    try:
        writer.cancel()
    except OSError as exc:
        if exc.errno not in _WRITE_ERRNOS:
            raise
        close_files(writer)


#: Errors of the device under the index, reported as IndexWriteError.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


def write_error(directory: Path, exc: OSError) -> IndexWriteError:
    """The error for a write cancelled because the index's files could not be written."""
    reason = exc.strerror or str(exc)
    return IndexWriteError(
        f"the index at {directory} could not be written: {reason}; the write was "
        "cancelled and the index is as it was",
        hint="Free some space (or fix the device) and run the same command again.",
    )


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta: dict[str, Any] = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta


def open_index(
    path: str | os.PathLike[str], *, create: bool = False, readonly: bool = False
) -> ThreadIndex:
    """Open the index at ``path``; with ``create``, make an empty one if there is none.

    With ``readonly``, nothing is ever written to the folder (no lock, no files), so
    an index on a read-only mount or snapshot can be searched; writing through it
    raises :class:`~threadsearch.errors.SearchError`::

        index = open_index("/mnt/snapshot/index", readonly=True)
    """
    check_whoosh_version()
    directory = Path(path)
    exists = directory.is_dir() and whoosh_index.exists_in(str(directory), INDEX_NAME)
    if not exists:
        if not create or readonly:
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
            hint=f"Rebuild it with `threadsearch reindex --index {directory}` (from the text "
            f"it stores; version 3 on), or delete {directory} and run `threadsearch ingest "
            f"PATH --index {directory}` again.",
        )
    try:
        ix = whoosh_index.open_dir(str(directory), indexname=INDEX_NAME, readonly=readonly)
    except whoosh_index.IndexError as exc:
        raise IndexNotFoundError(
            f"the index at {directory} cannot be opened: {exc}",
            hint=f"Rebuild it: delete {directory} and run `threadsearch ingest` again.",
        ) from exc
    return ThreadIndex(directory, ix, readonly=readonly)
