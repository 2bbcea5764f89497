"""The ingest writer: batches of documents as segments, published in one commit.

Whoosh's writer keeps every posting of an ingest in one pool, and past its memory
limit pickles the pool to disk in sorted runs and merges them at commit: for a large
archive most of the time goes to that. Here each batch of documents becomes a segment
of its own, sorted and written from memory; the segments stay unpublished until the
single commit at the end adds them all to the index's table of contents. Until then
no reader sees them, and a failure removes their files, so a failed ingest leaves the
index exactly as it was.

Batches are turned into segments by worker processes (one per core, two at most) while
this process goes on reading the sources, so parsing and indexing overlap. A batched
ingest (:mod:`threadsearch.ingest`), which commits every few thousand entries, keeps
the same workers for all its commits (:class:`SegmentBuilders`) and cuts each commit
into at least one segment per worker, so that every commit keeps all of them busy.

The same entry can arrive twice (a comment in a saved page and in the post's feed, a
message archived in two months), in one run or in two. An earlier copy still in the
batch being collected is replaced in memory; one already written is read back from its
segment, or from the index when an earlier commit holds it, deleted there, and merged
with the later one by the rules of :mod:`threadsearch.merge`.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from .errors import IndexBusyError
from .merge import merge_documents
from .model import Entry
from .schema import (
    AUTHOR,
    BODY,
    ID_FIELD,
    KIND,
    LANG,
    QUOTED,
    THREAD,
    TIME_TEXT,
    TIMESTAMP,
    TITLE,
    text_fields,
    title_text,
    to_index_time,
)

#: Documents per segment: large enough for few segments, small enough that the batch's
#: postings sort in memory (no run files) within the pool limit.
BATCH_DOCUMENTS = 10_000
#: Characters of text (titles, bodies, quoted text) per segment at most. Past its pool
#: limit Whoosh pickles every posting to a run file and reads it back: a third more
#: time, and more memory, for the segment. 3 million characters of R-help's text give
#: about 700,000 postings, which Whoosh counts as about 115 MB, under ``POOL_MB``.
#: (Text with more postings per character, such as Han bigrams, may still spill.)
BATCH_CHARS = 3_000_000
#: The smallest segment a batched ingest's commit is cut into for its workers.
MIN_SEGMENT_DOCUMENTS = 500
POOL_MB = 128
#: Seconds between two tries for the write lock while waiting for another writer.
LOCK_POLL = 0.05
#: Name prefix of the marker a writer waiting for the lock leaves in the index folder.
WAITING_PREFIX = ".threadsearch-waiting-"


def open_writer(
    ix: Any, *, wait: float = 0.0, on_busy: Callable[[], None] | None = None, **options: Any
) -> Any:
    """A Whoosh writer holding the index's write lock, or :class:`IndexBusyError`.

    Whoosh lets one writer at a time hold an index (a lock file, released when its
    process ends). When another writer (a thread, a ``threadsearch ingest``, a server
    worker) holds it, this tries again for up to ``wait`` seconds, calling ``on_busy``
    once before the first wait, then raises :class:`IndexBusyError` (never Whoosh's
    ``LockError``).
    """
    deadline = time.monotonic() + max(wait, 0.0)
    waited = False
    # The lock is taken here and handed to the writer, so that a writer failing to start
    # (its first files cannot be created on a full disk) still releases it.
    lock = ix.lock("WRITELOCK")
    folder = Path(ix.storage.folder)
    marker = folder / f"{WAITING_PREFIX}{os.getpid()}-{threading.get_ident()}"
    try:
        while not lock.acquire(False):
            left = deadline - time.monotonic()
            if left <= 0:
                raise busy_error(str(folder), wait) from None
            if not waited:
                marker.touch()  # see let_waiters_in
                if on_busy is not None:
                    on_busy()
            waited = True
            time.sleep(min(LOCK_POLL, left))
    finally:
        if waited:
            marker.unlink(missing_ok=True)
    try:
        writer = SegmentWriter(ix, _lk=False, **options)
    except BaseException:
        lock.release()
        raise
    writer.writelock = lock
    return writer


def let_waiters_in(ix: Any) -> None:
    """Between two commits of one run: if another writer is waiting for the lock, give
    it the time of a few of its tries before taking the lock again.

    Whoosh's lock is not fair: a writer that releases it and takes it again at once
    would starve one polling every :data:`LOCK_POLL` s. Waiting writers leave a marker
    file in the index folder (dot-named, so Whoosh's cleanup leaves it alone).
    """
    folder = Path(ix.storage.folder)
    if any(folder.glob(f"{WAITING_PREFIX}*")):
        time.sleep(3 * LOCK_POLL)


def busy_error(directory: str, wait: float) -> IndexBusyError:
    """The error for an index whose write lock another writer held for ``wait`` seconds."""
    held = f"held its write lock for the {wait:g} s waited" if wait > 0 else "holds its write lock"
    return IndexBusyError(
        f"the index at {directory} is busy: another writer (a `threadsearch ingest`, "
        f"a POST /threads, another program) {held}",
        hint="Nothing was written. Try again when that writer finishes, or wait for it: "
        "wait=SECONDS in Python, `--wait SECONDS` on the command line, ?wait=SECONDS over HTTP.",
    )


def close_files(writer: Any) -> None:
    """Close every file a failed writer still holds open (Whoosh's failed cancel leaves
    its new segment's files open): the file objects reachable from its attributes."""
    seen: set[int] = set()
    todo: list[Any] = [writer]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, io.IOBase):
            with suppress(OSError):
                item.close()  # closes the descriptor even when the flush fails
        elif isinstance(item, dict | list | tuple):
            todo.extend(item.values() if isinstance(item, dict) else item)
        elif type(item).__module__.startswith(("whoosh", "threadsearch")):
            todo.extend(getattr(item, "__dict__", {}).values())


def _build_segment(directory: str, indexname: str, docs: list[dict[str, Any]]) -> Any:
    """In a worker process: write one batch as an unpublished segment, return it."""
    import whoosh.index as whoosh_index

    ix = whoosh_index.open_dir(directory, indexname=indexname)
    # Not a compound file: whoosh3 reads a compound segment's postings and term index
    # into memory when a searcher opens it (4 GB per serving worker on R-help); plain
    # files are read on demand.
    writer = SegmentWriter(ix, _lk=False, limitmb=POOL_MB, compound=False)
    try:
        for doc in docs:
            writer.add_document(**doc)
        segment = writer._finalize_segment()
    except BaseException:
        close_files(writer)  # the caller removes the files
        raise
    # Facet and filter columns for this segment, saved beside it while its files are
    # warm in the page cache (see threadsearch.query.columns).
    from .query.columns import write_sidecar

    write_sidecar(ix.storage, ix.schema, segment)
    return segment


class SegmentSize(NamedTuple):
    """Where a batch closes into a segment: at ``documents`` documents or at
    ``characters`` characters of text, whichever comes first."""

    documents: int
    characters: int


class BatchWriter:
    """Writes documents in segment batches, built in worker processes, for one commit.

    The calling process reads the sources and collects batches; up to ``workers``
    processes turn batches into segments meanwhile, so parsing and indexing overlap
    on a machine's cores.
    """

    def __init__(
        self,
        ix: Any,
        *,
        replace_existing: bool,
        builders: SegmentBuilders | None = None,
        segment_size: SegmentSize | None = None,
        wait: float = 0.0,
        on_busy: Callable[[], None] | None = None,
    ) -> None:
        self._ix = ix
        # Holds the lock (IndexBusyError after ``wait`` s); deletes in old segments; commits.
        self._main = open_writer(ix, wait=wait, on_busy=on_busy)
        self._replace_existing = replace_existing
        # Workers of its own, stopped at the commit, unless the caller lends some.
        self._own = builders is None
        self._builders = builders if builders is not None else SegmentBuilders()
        documents, characters = segment_size or SegmentSize(BATCH_DOCUMENTS, BATCH_CHARS)
        self._segment_documents = max(1, documents)
        self._segment_chars = max(1, characters)
        self._pending: list[Future[Any]] = []  # one per batch sent, in order
        self._docs: list[dict[str, Any]] = []  # the batch being collected
        self._chars = 0  # the batch's characters of text
        # entry id -> (batch number, position in the batch, thread size)
        self._where: dict[str, tuple[int, int, int]] = {}
        # The committed segments' id hashes, sorted (None: some segment has no id table,
        # so every entry is looked up); read at the first look-up.
        self._committed_ids: NDArray[np.uint64] | None = None
        self._committed_ids_read = False

    @property
    def generation(self) -> int:
        """The generation :meth:`commit` writes."""
        return int(self._main.generation)

    @property
    def entry_count(self) -> int:
        return len(self._where)

    def add(self, doc: dict[str, Any], thread_size: int) -> None:
        entry_id = doc[ID_FIELD]
        found = self._where.get(entry_id)
        current = len(self._pending)
        if found is not None:
            batch, slot, old_size = found
            old = self._docs[slot] if batch == current else self._take_back(batch, slot)
            doc = merge_documents(old, doc, old_size=old_size, new_size=thread_size)
            thread_size = max(thread_size, old_size)
            if batch == current:
                # Still in memory: replace it where it stands.
                self._docs[slot] = doc
                self._where[entry_id] = (current, slot, thread_size)
                return
        elif self._replace_existing:
            committed = self._take_committed(entry_id)
            if committed is not None:
                old, old_size = committed
                doc = merge_documents(old, doc, old_size=old_size, new_size=thread_size)
                thread_size = max(thread_size, old_size)
        self._where[entry_id] = (current, len(self._docs), thread_size)
        self._docs.append(doc)
        self._chars += _text_size(doc)
        if len(self._docs) >= self._segment_documents or self._chars >= self._segment_chars:
            self._send(last=False)

    def _take_committed(self, entry_id: str) -> tuple[dict[str, Any], int] | None:
        """An entry an earlier commit holds, deleted, and the entries of its thread then.

        The copy is merged with the new one as a copy in this commit would be, so what an
        ingest gives does not depend on where its batches (or the runs of a command
        killed and run again) were cut.
        """
        if not self._may_be_committed(entry_id):
            return None
        searcher = self._main.searcher()  # the writer keeps one until it ends
        found = list(searcher.document_numbers(**{ID_FIELD: entry_id}))
        if not found:
            return None
        old = dict(searcher.stored_fields(found[-1]))
        thread_id = old.get(THREAD)
        size = sum(1 for _ in searcher.document_numbers(**{THREAD: thread_id})) if thread_id else 1
        for docnum in found:
            self._main.delete_document(docnum)
        return _as_added(old), size

    def _may_be_committed(self, entry_id: str) -> bool:
        """False when no committed segment holds the entry, told from the segments' id
        tables; a term look-up in each segment (tens of them in a large batched
        ingest, for every entry) is then spared."""
        from .query.columns import committed_id_hashes, id_hash

        if not self._committed_ids_read:
            self._committed_ids = committed_id_hashes(self._ix.storage, self._main.segments)
            self._committed_ids_read = True
        known = self._committed_ids
        if known is None:
            return True
        wanted = np.uint64(id_hash(entry_id))
        at = int(np.searchsorted(known, wanted))
        return at < len(known) and bool(known[at] == wanted)

    def _take_back(self, batch: int, slot: int) -> dict[str, Any]:
        """Read an entry back from a written batch's segment and delete it there."""
        segment = self._pending[batch].result()
        reader = SegmentReader(self._ix.storage, self._ix.schema, segment)
        try:
            old = dict(reader.stored_fields(slot))
        finally:
            reader.close()
        segment.delete_document(slot)
        return _as_added(old)

    def _send(self, *, last: bool) -> None:
        docs, self._docs, self._chars = self._docs, [], 0
        if not docs:
            return
        storage = self._ix.storage
        args = (str(storage.folder), self._ix.indexname, docs)
        builders = self._builders
        # A run of one batch (most ingests) is written here: no worker to start.
        if builders.workers <= 1 or (last and not builders.started):
            done: Future[Any] = Future()
            done.set_result(_build_segment(*args))
            self._pending.append(done)
            return
        # Keep at most one batch queued per worker, so memory stays bounded.
        unfinished = [f for f in self._pending if not f.done()]
        if len(unfinished) >= builders.workers:
            wait(unfinished, return_when=FIRST_COMPLETED)
        self._pending.append(builders.submit(*args))

    def commit(self) -> None:
        self._send(last=True)
        added = [future.result() for future in self._pending]
        self._shutdown()
        self._main.commit(mergetype=lambda writer, segments: list(segments) + added)

    def cancel(self) -> None:
        """Drop everything written; the caller then removes the unpublished files."""
        for future in self._pending:
            future.cancel()
        # None may be left writing the files the caller removes.
        wait(self._pending)
        self._shutdown()
        if not self._main.is_closed:  # a failed commit has closed it already
            self._main.cancel()

    def _shutdown(self) -> None:
        if self._own:
            self._builders.shutdown()


class SegmentBuilders:
    """The worker processes that write batches as segments: one per core, two at most.

    Started when the first batch is sent to them, stopped by :meth:`shutdown` (or on
    leaving a ``with`` block). A :class:`BatchWriter` makes its own for one commit; a
    batched ingest lends one to all its commits, so its workers start once.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def share(self, entries: int, characters: int) -> SegmentSize:
        """Where to cut a commit of ``entries`` entries and ``characters`` characters of
        text (:func:`entry_text_size`) so that the workers finish together: into segments
        of equal text (a segment's writing time follows its text), as many for each
        worker, none over :data:`BATCH_DOCUMENTS` or :data:`BATCH_CHARS`. Past those
        limits, a commit is not cut into segments of under :data:`MIN_SEGMENT_DOCUMENTS`
        entries for the workers' sake (a small commit makes fewer, down to one).

        >>> SegmentBuilders(workers=2).share(10_700, 15_000_000)  # 6 segments
        SegmentSize(documents=10000, characters=2500000)
        """
        workers = max(1, self.workers)
        needed = max(
            1, -(-entries // max(1, BATCH_DOCUMENTS)), -(-characters // max(1, BATCH_CHARS))
        )
        segments = workers * -(-needed // workers)
        segments = max(needed, min(segments, entries // max(1, MIN_SEGMENT_DOCUMENTS)))
        if characters <= 0:  # no text: cut by entries
            return SegmentSize(min(BATCH_DOCUMENTS, -(-entries // segments)), BATCH_CHARS)
        return SegmentSize(BATCH_DOCUMENTS, -(-characters // segments))

    def submit(self, directory: str, indexname: str, docs: list[dict[str, Any]]) -> Future[Any]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_worker_context())
        return self._pool.submit(_build_segment, directory, indexname, docs)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> SegmentBuilders:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def entry_text_size(entry: Entry) -> int:
    """An entry's characters of text, as a batch counts them for its segment."""
    return len(entry.title or "") + len(entry.body) + len(entry.quoted)


def _text_size(doc: dict[str, Any]) -> int:
    return sum(len(doc.get(f"_stored_{name}") or "") for name in (TITLE, BODY, QUOTED))


def _worker_context() -> Any:
    # Not fork: this process may run threads (a progress bar, a web server), and forking
    # a threaded process can deadlock. A fork server starts clean workers cheaply.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _as_added(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored document in the form :func:`~.schema.entry_document` gives, for a re-add:
    its text fields rebuilt from the stored text by :func:`~.schema.text_fields`."""
    title = stored.get(TITLE) or ""
    searchable = title_text(title, str(stored.get(KIND) or ""), stored.get(AUTHOR))
    body, quoted = stored.get(BODY) or "", stored.get(QUOTED) or ""
    doc = stored | text_fields(title, searchable, body, quoted, stored.get(LANG))
    if stored.get(TIME_TEXT):
        doc[TIMESTAMP] = to_index_time(datetime.fromisoformat(stored[TIME_TEXT]))
    return doc
