"""The ingest writer: batches of documents as segments, published in one commit.

Whoosh's writer keeps every posting of an ingest in one pool, and past its memory
limit pickles the pool to disk in sorted runs and merges them at commit: for a large
archive most of the time goes to that. Here each batch of documents becomes a segment
of its own, sorted and written from memory; the segments stay unpublished until the
single commit at the end adds them all to the index's table of contents. Until then
no reader sees them, and a failure removes their files, so a failed ingest leaves the
index exactly as it was.

The same entry can arrive twice in one run (a comment in a saved page and in the
post's feed, a message archived in two months). The earlier copy is then read back
from its segment, deleted there, and merged with the later one (see
:func:`merge_documents`); an earlier copy still in the batch being built is first
flushed to its own segment, since Whoosh cannot delete a buffered document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from .index import (
    BODY,
    DEPTH,
    ID_FIELD,
    PARENT,
    POSITION,
    SPELL,
    TIME_TEXT,
    TIMESTAMP,
    TITLE,
    to_index_time,
)

#: Documents per segment: large enough for few segments, small enough that the batch's
#: postings sort in memory (no run files) within the pool limit.
BATCH_DOCUMENTS = 25_000
POOL_MB = 384


def merge_documents(
    old: dict[str, Any], new: dict[str, Any], *, old_size: int, new_size: int
) -> dict[str, Any]:
    """One document from two copies of the same entry.

    The later copy wins field by field where it has a value, except that a known
    parent and depth survive a copy that knows none (a feed knows no threading), a
    time with a zone beats one without, and the position comes from the copy whose
    thread had more entries (the page, not a feed that holds some of its comments).
    """
    merged = old | {key: value for key, value in new.items() if value not in (None, "")}
    if PARENT in old and PARENT not in new:
        merged[PARENT], merged[DEPTH] = old[PARENT], old[DEPTH]
    old_time, new_time = old.get(TIME_TEXT) or "", new.get(TIME_TEXT) or ""
    if _has_zone(old_time) and new_time and not _has_zone(new_time):
        merged[TIME_TEXT] = old_time
        merged[TIMESTAMP] = old[TIMESTAMP]
    if old_size >= new_size:
        merged[POSITION] = old[POSITION]
    return merged


def _has_zone(iso: str) -> bool:
    return len(iso) > 19 and iso[19:].lstrip(".0123456789")[:1] in ("+", "-", "Z")


class BatchWriter:
    """Writes documents in segment batches for one commit of ``ix``."""

    def __init__(self, ix: Any, *, replace_existing: bool) -> None:
        self._ix = ix
        self._main = ix.writer()  # holds the lock; deletes in old segments; commits
        self._replace_existing = replace_existing
        self._segments: list[Any] = []
        self._batch: SegmentWriter | None = None
        self._batch_ids: list[str] = []
        # entry id -> (segment number, or -1 for the current batch; docnum; thread size)
        self._where: dict[str, tuple[int, int, int]] = {}

    @property
    def entry_count(self) -> int:
        return len(self._where)

    def add(self, doc: dict[str, Any], thread_size: int) -> None:
        entry_id = doc[ID_FIELD]
        found = self._where.get(entry_id)
        if found is not None:
            doc = self._take_back(entry_id, found, doc, thread_size)
            thread_size = max(thread_size, found[2])
        elif self._replace_existing:
            self._main.delete_by_term(ID_FIELD, entry_id)
        batch = self._current()
        self._where[entry_id] = (-1, batch.docnum, thread_size)
        self._batch_ids.append(entry_id)
        batch.add_document(**doc)
        if batch.docnum >= BATCH_DOCUMENTS:
            self._flush()

    def _take_back(
        self, entry_id: str, found: tuple[int, int, int], doc: dict[str, Any], size: int
    ) -> dict[str, Any]:
        """Delete the earlier copy of an entry and return the merged document."""
        segment_no, docnum, old_size = found
        if segment_no == -1:
            self._flush()
            segment_no = len(self._segments) - 1
        segment = self._segments[segment_no]
        reader = SegmentReader(self._ix.storage, self._ix.schema, segment)
        try:
            old = dict(reader.stored_fields(docnum))
        finally:
            reader.close()
        segment.delete_document(docnum)
        old.update(_indexed_only(old))
        return merge_documents(old, doc, old_size=old_size, new_size=size)

    def _current(self) -> SegmentWriter:
        if self._batch is None:
            self._batch = SegmentWriter(self._ix, _lk=False, limitmb=POOL_MB)
        return self._batch

    def _flush(self) -> None:
        batch, self._batch = self._batch, None
        if batch is None or batch.docnum == 0:
            return
        number = len(self._segments)
        self._segments.append(batch._finalize_segment())
        for entry_id in self._batch_ids:
            segment_no, docnum, size = self._where[entry_id]
            if segment_no == -1:
                self._where[entry_id] = (number, docnum, size)
        self._batch_ids = []

    def commit(self) -> None:
        self._flush()
        added = self._segments
        self._main.commit(mergetype=lambda writer, segments: list(segments) + added)

    def cancel(self) -> None:
        """Drop everything written; the caller then removes the unpublished files."""
        if self._batch is not None:
            self._batch._close_segment()
            self._batch = None
        self._main.cancel()


def _indexed_only(stored: dict[str, Any]) -> dict[str, Any]:
    """Fields that are indexed but not stored, rebuilt from stored ones for a re-add."""
    rebuilt: dict[str, Any] = {SPELL: " ".join(filter(None, (stored.get(TITLE), stored.get(BODY))))}
    if stored.get(TIME_TEXT):
        rebuilt[TIMESTAMP] = to_index_time(datetime.fromisoformat(stored[TIME_TEXT]))
    return rebuilt
