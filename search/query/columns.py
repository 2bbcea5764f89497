"""Per-document arrays for filtering, faceting and date sorting, built once per generation.

Counting facets document by document in Python is what makes naive Whoosh slow. Here,
each exact-valued field becomes an array of value codes over all documents (``-1`` for
no value), timestamps an int64 array, and the multi-valued ``tag`` field a list of
document arrays per value. They are built from the postings and columns of each
segment, cached on the open index for the current generation, and dropped when a
commit makes a new one. Filters and facet counts are then numpy operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh.columns import NumericColumn
from whoosh.searching import Searcher

from ..index import AUTHOR, KIND, SITE, TAG, THREAD, TIMESTAMP, ThreadIndex

#: Value of ``Columns.time`` for an entry with no timestamp.
NO_TIME = np.iinfo(np.int64).min
# Whoosh stores a DATETIME column as unsigned microseconds since 0001-01-01, with
# 2**64-1 for "no value".
_WHOOSH_NO_TIME = np.uint64(2**64 - 1)

SINGLE_FIELDS = (AUTHOR, KIND, THREAD, SITE)


@dataclass
class KeywordColumn:
    """A single-valued field: ``codes[doc]`` indexes ``values``; -1 means no value."""

    values: list[str]
    codes: NDArray[np.int32]

    def code_of(self, value: str) -> int:
        try:
            return self.values.index(value)
        except ValueError:
            return -2  # matches no document, unlike -1 (no value)


@dataclass
class MultiColumn:
    """A multi-valued field: the sorted document numbers of each value."""

    values: list[str]
    docs: list[NDArray[np.int64]]


@dataclass
class Columns:
    doc_count: int
    live: NDArray[np.bool_]
    keyword: dict[str, KeywordColumn]
    tags: MultiColumn
    time: NDArray[np.int64]


def posting_ids(reader: Any, field: str, term: Any) -> NDArray[np.int64]:
    """The document numbers of one term in one segment, read a block at a time."""
    matcher = reader.postings(field, term)
    # The pinned whoosh3 leaf matcher decodes a whole block of ids at once; reading
    # those blocks avoids a Python step per posting.
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        chunks: list[Any] = []
        while matcher.is_active():
            matcher._read_ids()
            chunks.append(matcher._ids)
            matcher._next_block()
        if not chunks:
            return np.empty(0, dtype=np.int64)
        return np.fromiter(
            (i for chunk in chunks for i in chunk), dtype=np.int64, count=sum(map(len, chunks))
        )
    return np.fromiter(matcher.all_ids(), dtype=np.int64)


def _keyword_segment(
    reader: Any,
    field: str,
    offset: int,
    codes: NDArray[np.int32],
    values: list[str],
    index_of: dict[str, int],
) -> None:
    for term in reader.lexicon(field):
        value = term.decode("utf-8") if isinstance(term, bytes) else str(term)
        code = index_of.setdefault(value, len(values))
        if code == len(values):
            values.append(value)
        codes[posting_ids(reader, field, term) + offset] = code


def _time_segment(reader: Any, offset: int, out: NDArray[np.int64]) -> None:
    doc_count = reader.doc_count_all()
    if not reader.has_column(TIMESTAMP):
        return  # a segment where no entry has a time: NO_TIME stays
    column = reader.column_reader(TIMESTAMP, translate=False)
    if isinstance(column, NumericColumn.Reader):
        # The column is fixed-width big-endian numbers; read it in one go.
        raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
        stored = np.frombuffer(raw, dtype=">u8")
        values = np.full(doc_count, _WHOOSH_NO_TIME, dtype=np.uint64)
        values[: len(stored)] = stored
    else:
        values = np.fromiter(column, dtype=np.uint64, count=doc_count)
    times = np.where(values == _WHOOSH_NO_TIME, np.uint64(0), values).astype(np.int64)
    times[values == _WHOOSH_NO_TIME] = NO_TIME
    out[offset : offset + doc_count] = times


def build_columns(searcher: Searcher) -> Columns:
    reader = searcher.reader()
    doc_count = reader.doc_count_all()
    live = np.ones(doc_count, dtype=bool)
    time = np.full(doc_count, NO_TIME, dtype=np.int64)
    keyword = {f: KeywordColumn([], np.full(doc_count, -1, dtype=np.int32)) for f in SINGLE_FIELDS}
    indexes: dict[str, dict[str, int]] = {f: {} for f in SINGLE_FIELDS}
    tag_docs: dict[str, list[NDArray[np.int64]]] = {}
    for leaf, offset in searcher.leaf_searchers():
        leaf_reader = leaf.reader()
        if leaf_reader.has_deletions():
            deleted = np.fromiter(leaf_reader.deleted_docs_set, dtype=np.int64)
            live[deleted + offset] = False
        for field in SINGLE_FIELDS:
            column = keyword[field]
            _keyword_segment(
                leaf_reader, field, offset, column.codes, column.values, indexes[field]
            )
        for term in leaf_reader.lexicon(TAG):
            value = term.decode("utf-8") if isinstance(term, bytes) else str(term)
            tag_docs.setdefault(value, []).append(posting_ids(leaf_reader, TAG, term) + offset)
        _time_segment(leaf_reader, offset, time)
    tag_values = sorted(tag_docs)
    tags = MultiColumn(tag_values, [np.concatenate(tag_docs[v]) for v in tag_values])
    return Columns(doc_count, live, keyword, tags, time)


def columns_for(index: ThreadIndex) -> Columns:
    """The columns of the index's current generation."""
    columns: Columns = index.cache("columns", build_columns)
    return columns
