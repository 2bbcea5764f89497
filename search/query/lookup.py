"""Threads and entries found by id through the column arrays, not a term query.

Whoosh answers "which documents have thread id X" with a term look-up per segment (a
hash probe, a term record, a posting matcher), which is most of a thread fetch. The
columns (:mod:`.columns`) already hold every document's thread code, so once per index
generation :class:`Lookup` sorts the live documents by thread (a thread is then one
slice) and joins the segments' id tables into one sorted key array (an entry id is
then one ``searchsorted``). Only the returned documents' stored fields are read.

An id key is the segment's ordinal in the high bits and the top bits of the id's hash
below it, so the segments' own sorted tables, laid end to end, are sorted as a whole,
and one ``searchsorted`` with a key per segment probes every segment at once. Keys are
candidates: the caller keeps a document only if its stored id is the id asked for. A
segment whose column file has no id table is probed by Whoosh's term query, as before.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh.searching import Searcher

from ..schema import ID_FIELD, THREAD
from .columns import (
    CachingIndex,
    Columns,
    SegmentColumns,
    columns_for,
    id_hash,
    posting_ids,
    segment_records,
)


@dataclass
class Lookup:
    """One generation's id look-ups (build with :func:`lookup_for`)."""

    #: Thread id -> code of ``Columns.keyword[THREAD]``.
    thread_codes: dict[str, int]
    #: Live documents ordered by thread code, then document; thread ``c`` is
    #: ``thread_docs[thread_starts[c]:thread_starts[c + 1]]``.
    thread_docs: NDArray[np.int64]
    thread_starts: NDArray[np.int64]
    #: Bits of the segment ordinal in a key, and the sorted keys with their documents.
    ordinal_bits: int
    id_keys: NDArray[np.uint64]
    id_docs: NDArray[np.int64]
    #: How many segments have an id table (ordinals ``0 .. n-1``).
    id_segments: int
    #: Positions in ``searcher.leaf_searchers()`` of segments without an id table.
    unkeyed: list[int]
    live: NDArray[np.bool_]
    #: The first document of each segment, ascending.
    leaf_starts: list[int]

    def thread(self, thread_id: str) -> NDArray[np.int64]:
        """The live documents of a thread, ascending."""
        code = self.thread_codes.get(thread_id)
        if code is None:
            return np.empty(0, dtype=np.int64)
        return self.thread_docs[self.thread_starts[code] : self.thread_starts[code + 1]]

    def entry_candidates(self, searcher: Searcher, entry_id: str) -> list[int]:
        """Live documents that may hold the entry, ascending (check their stored id);
        ``searcher`` is one of the look-ups' generation."""
        found: list[int] = []
        if self.id_segments:
            wanted = np.uint64(id_hash(entry_id)) >> np.uint64(self.ordinal_bits)
            shift = np.uint64(64 - self.ordinal_bits)
            probes = (np.arange(self.id_segments, dtype=np.uint64) << shift) | wanted
            starts = np.searchsorted(self.id_keys, probes, side="left")
            ends = np.searchsorted(self.id_keys, probes, side="right")
            for start, end in zip(starts[ends > starts], ends[ends > starts], strict=True):
                found.extend(self.id_docs[start:end].tolist())
        leaves = searcher.leaf_searchers() if self.unkeyed else []
        for position in self.unkeyed:
            leaf, offset = leaves[position]
            reader = leaf.reader()
            if reader.doc_frequency(ID_FIELD, entry_id):
                found.extend((posting_ids(reader, ID_FIELD, entry_id) + offset).tolist())
        return sorted(doc for doc in found if self.live[doc])

    def stored_fields(self, searcher: Searcher, docs: list[int]) -> list[dict[str, Any]]:
        """The stored fields of ``docs``, read from their segments directly."""
        leaves = searcher.leaf_searchers()
        found = []
        for doc in docs:
            leaf, offset = leaves[bisect_right(self.leaf_starts, doc) - 1]
            reader = leaf.reader()
            # Whoosh's reader copies each record to drop fields no longer in the schema;
            # a threadsearch schema only changes with its version, so read the record
            # as stored (the pinned whoosh3 per-document reader), else the public way.
            perdoc = getattr(reader, "_perdoc", None)
            if perdoc is not None:
                found.append(perdoc.stored_fields(doc - offset))
            else:
                found.append(reader.stored_fields(doc - offset))
        return found


def _ordinal_bits(segments: int) -> int:
    return max(1, (segments - 1).bit_length())


def build_lookup(searcher: Searcher, columns: Columns, segments: list[SegmentColumns]) -> Lookup:
    """The look-ups of a generation from its columns and its segments' records (in
    the order of ``searcher.leaf_searchers()``)."""
    thread = columns.keyword[THREAD]
    codes = thread.codes
    live_docs = np.flatnonzero(columns.live & (codes >= 0))
    # Stable: a thread's documents stay in ascending order.
    thread_docs = live_docs[np.argsort(codes[live_docs], kind="stable")]
    counts = np.bincount(codes[live_docs], minlength=len(thread.values))
    thread_starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    keyed: list[tuple[SegmentColumns, int]] = []
    unkeyed: list[int] = []
    leaves = searcher.leaf_searchers()
    for position, ((_, offset), segment) in enumerate(zip(leaves, segments, strict=True)):
        if segment.ids is None:
            unkeyed.append(position)
        else:
            keyed.append((segment, offset))
    bits = _ordinal_bits(len(keyed))
    shift = np.uint64(64 - bits)
    keys = [
        (np.uint64(n) << shift) | (s.ids.hashes >> np.uint64(bits))
        for n, (s, _) in enumerate(keyed)
        if s.ids is not None
    ]
    docs = [s.ids.docs.astype(np.int64) + o for s, o in keyed if s.ids is not None]
    return Lookup(
        thread_codes={value: code for code, value in enumerate(thread.values)},
        thread_docs=thread_docs,
        thread_starts=thread_starts,
        ordinal_bits=bits,
        id_keys=np.concatenate([np.empty(0, dtype=np.uint64), *keys]),
        id_docs=np.concatenate([np.empty(0, dtype=np.int64), *docs]),
        id_segments=len(keyed),
        unkeyed=unkeyed,
        live=columns.live,
        leaf_starts=[offset for _, offset in leaves],
    )


def lookup_for(index: CachingIndex) -> Lookup:
    """The look-ups of the read's generation (built once, shared by its readers)."""

    def build(searcher: Searcher) -> Lookup:
        columns = columns_for(index)
        with index.segment_lock:
            segments = segment_records(searcher, index.segment_cache)
        return build_lookup(searcher, columns, segments)

    lookup: Lookup = index.cache("lookup", build)
    return lookup
