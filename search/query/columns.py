"""Per-document arrays for filtering, faceting and date sorting.

Counting facets document by document in Python is what makes naive Whoosh slow. Here,
each exact-valued field becomes an array of value codes over all documents (``-1`` for
no value), timestamps an int64 array, and the multi-valued ``tag`` field a list of
document arrays per value. Filters and facet counts are then numpy operations.

The arrays are put together per index generation from one small record per segment
(:class:`SegmentColumns`). Reading a segment's record from its postings costs a
posting-list look-up per distinct thread and author, seconds for a large index, so the
writer saves it beside the segment at ingest as ``<segment id>.cols`` (a NumPy ``.npz``
file, no pickles). Whoosh names that file as one of the segment's own, so it is removed
with the segment. A segment without a readable file (one Whoosh merged, or an index
from an earlier release) is read from its postings instead, and records stay cached by
segment, so a commit costs only the segments it adds.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from whoosh.columns import NumericColumn
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher

from ..schema import AUTHOR, ID_FIELD, KIND, LANG, SITE, TAG, THREAD, TIMESTAMP

#: Value of ``Columns.time`` for an entry with no timestamp.
NO_TIME = np.iinfo(np.int64).min
# Whoosh stores a DATETIME column as unsigned microseconds since 0001-01-01, with
# 2**64-1 for "no value".
_WHOOSH_NO_TIME = np.uint64(2**64 - 1)

SINGLE_FIELDS = (AUTHOR, KIND, THREAD, SITE, LANG)

#: The file beside each segment; bump the version when its layout changes. The id
#: table (``id.hash``, ``id.docs``) is optional within version 2: files written before
#: it keep their facet columns, and their segments' ids are looked up by a term query.
SIDECAR_EXT = ".cols"
SIDECAR_VERSION = 2


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


@dataclass
class IdTable:
    """A segment's entry ids as a sorted key table: ``hashes`` ascending (see
    :func:`id_hash`), ``docs[i]`` the document of ``hashes[i]``. A deleted document
    keeps its row until Whoosh merges the segment."""

    hashes: NDArray[np.uint64]
    docs: NDArray[np.int32]


@dataclass
class SegmentColumns:
    """One segment's values, with codes and document numbers local to the segment
    (``ids`` is None for a file written before the id table existed)."""

    doc_count: int
    keyword: dict[str, KeywordColumn]
    tags: MultiColumn
    time: NDArray[np.int64]
    ids: IdTable | None = None


def id_hash(entry_id: str) -> int:
    """A stable 64-bit hash of an entry id (the same in every process and release,
    unlike ``hash()``). Equal hashes are candidates only: readers check the stored id."""
    digest = hashlib.blake2b(entry_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


# --- reading a segment --------------------------------------------------------------------


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


def _terms(reader: Any, field: str) -> Iterable[tuple[str, Any]]:
    for term in reader.lexicon(field):
        yield (term.decode("utf-8") if isinstance(term, bytes) else str(term)), term


def _segment_times(reader: Any) -> NDArray[np.int64]:
    doc_count = reader.doc_count_all()
    if not reader.has_column(TIMESTAMP):
        return np.full(doc_count, NO_TIME, dtype=np.int64)  # no entry here has a time
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
    return times


def _segment_ids(reader: Any) -> IdTable:
    """The id table from the id field's terms: a unique id has one posting, whose
    document the term record holds; an id written twice (once deleted) is read from
    its postings."""
    hashes: list[int] = []
    docs: list[int] = []
    for term, info in reader.iter_field(ID_FIELD):
        value = term.decode("utf-8") if isinstance(term, bytes) else str(term)
        found = (
            [info.min_id()]
            if info.doc_frequency() == 1
            else posting_ids(reader, ID_FIELD, term).tolist()
        )
        hashes.extend([id_hash(value)] * len(found))
        docs.extend(found)
    return sorted_ids(np.array(hashes, dtype=np.uint64), np.array(docs, dtype=np.int32))


def sorted_ids(hashes: NDArray[np.uint64], docs: NDArray[np.int32]) -> IdTable:
    """An id table sorted by hash (then document)."""
    order = np.lexsort((docs, hashes))
    return IdTable(hashes[order], docs[order])


def read_segment(reader: Any) -> SegmentColumns:
    """A segment's values, read from its postings and its timestamp column."""
    doc_count = reader.doc_count_all()
    keyword = {}
    for field in SINGLE_FIELDS:
        column = KeywordColumn([], np.full(doc_count, -1, dtype=np.int32))
        for value, term in _terms(reader, field):
            column.codes[posting_ids(reader, field, term)] = len(column.values)
            column.values.append(value)
        keyword[field] = column
    tags = MultiColumn([], [])
    for value, term in _terms(reader, TAG):
        tags.values.append(value)
        tags.docs.append(posting_ids(reader, TAG, term))
    return SegmentColumns(doc_count, keyword, tags, _segment_times(reader), _segment_ids(reader))


# --- the file beside a segment ------------------------------------------------------------


def sidecar_path(folder: Path, segment: Any) -> Path:
    return folder / f"{segment.segment_id()}{SIDECAR_EXT}"


def _pack(values: list[str]) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    encoded = [value.encode("utf-8") for value in values]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


def _unpack(text: NDArray[np.uint8], ends: NDArray[np.int64]) -> list[str]:
    if len(ends) == 0:
        return []
    data = text.tobytes()
    starts = [0, *ends[:-1].tolist()]
    return [data[a:b].decode("utf-8") for a, b in zip(starts, ends.tolist(), strict=True)]


def save_segment(path: Path, columns: SegmentColumns) -> None:
    """Write a segment's values to ``path`` (atomically: a reader sees all or nothing)."""
    arrays: dict[str, Any] = {
        "version": np.array([SIDECAR_VERSION]),
        "doc_count": np.array([columns.doc_count]),
        "time": columns.time,
    }
    for field, column in columns.keyword.items():
        arrays[f"{field}.codes"] = column.codes
        arrays[f"{field}.text"], arrays[f"{field}.ends"] = _pack(column.values)
    arrays["tag.text"], arrays["tag.ends"] = _pack(columns.tags.values)
    arrays["tag.sizes"] = np.array([len(d) for d in columns.tags.docs], dtype=np.int64)
    arrays["tag.docs"] = np.concatenate([np.empty(0, dtype=np.int64), *columns.tags.docs])
    if columns.ids is not None:
        arrays["id.hash"], arrays["id.docs"] = columns.ids.hashes, columns.ids.docs
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as out:
        np.savez(out, **arrays)
    os.replace(partial, path)


def _current(saved: Any, doc_count: int) -> bool:
    """Whether a segment's file is of this release's layout and of the segment as it is."""
    return bool(saved["version"][0] == SIDECAR_VERSION and saved["doc_count"][0] == doc_count)


def load_segment(path: Path, doc_count: int) -> SegmentColumns | None:
    """A segment's values from its file, or None if there is none it can trust."""
    try:
        # Our own file handle: np.load leaks its own when the archive is damaged.
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as saved:
            if not _current(saved, doc_count):
                return None
            keyword = {
                field: KeywordColumn(
                    _unpack(saved[f"{field}.text"], saved[f"{field}.ends"]),
                    saved[f"{field}.codes"],
                )
                for field in SINGLE_FIELDS
            }
            sizes = saved["tag.sizes"]
            tag_docs = np.split(saved["tag.docs"], np.cumsum(sizes)[:-1]) if len(sizes) else []
            tags = MultiColumn(_unpack(saved["tag.text"], saved["tag.ends"]), tag_docs)
            time = saved["time"]
            ids = IdTable(saved["id.hash"], saved["id.docs"]) if "id.hash" in saved else None
    except (OSError, ValueError, KeyError, IndexError, UnicodeDecodeError, zipfile.BadZipFile):
        return None
    if any(len(c.codes) != doc_count for c in keyword.values()) or len(time) != doc_count:
        return None
    if ids is not None and (
        len(ids.hashes) != len(ids.docs)
        or ids.hashes.dtype != np.uint64
        or (len(ids.docs) and not 0 <= ids.docs.min() <= ids.docs.max() < doc_count)
    ):
        ids = None
    return SegmentColumns(doc_count, keyword, tags, time, ids)


def load_id_hashes(path: Path, doc_count: int) -> NDArray[np.uint64] | None:
    """A segment's id hashes, ascending, read alone from its file (the other arrays
    stay on disk), or None if the file has no id table it can trust."""
    try:
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as saved:
            if not _current(saved, doc_count):
                return None
            hashes: NDArray[np.uint64] = saved["id.hash"]
    except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile):
        return None
    if hashes.dtype != np.uint64 or len(hashes) > doc_count:
        return None
    return hashes


def committed_id_hashes(storage: Any, segments: Iterable[Any]) -> NDArray[np.uint64] | None:
    """Every id hash of the segments (deleted documents' too), sorted: an id whose hash
    is absent is in none of them. None when a segment has no id table to read."""
    folder = _folder(storage)
    if folder is None:
        return None
    tables = []
    for segment in segments:
        hashes = load_id_hashes(sidecar_path(folder, segment), segment.doc_count_all())
        if hashes is None:
            return None
        tables.append(hashes)
    return np.sort(np.concatenate([np.empty(0, dtype=np.uint64), *tables]))


def _folder(storage: Any) -> Path | None:
    folder = getattr(storage, "folder", None)  # None for an in-memory storage
    return Path(folder) if folder else None


def write_sidecar(storage: Any, schema: Any, segment: Any) -> None:
    """Save a (written, maybe unpublished) segment's values beside it."""
    folder = _folder(storage)
    if folder is None:
        return
    reader = SegmentReader(storage, schema, segment)
    try:
        save_segment(sidecar_path(folder, segment), read_segment(reader))
    finally:
        reader.close()


def write_missing_sidecars(ix: Any) -> None:
    """Give every segment of the index's latest generation its file (after a commit
    that merged segments). Best effort: without the file a reader reads postings."""
    folder = _folder(ix.storage)
    if folder is None or ix.latest_generation() < 0:
        return
    for segment in ix._segments():
        if not sidecar_path(folder, segment).exists():
            try:
                write_sidecar(ix.storage, ix.schema, segment)
            except OSError:
                return


# --- the whole index ----------------------------------------------------------------------


def _segment_columns(
    reader: Any, known: dict[str, SegmentColumns]
) -> tuple[str | None, SegmentColumns]:
    """A segment's id (None for a reader without one) and its record: cached, from its
    file, or read from its postings."""
    segment = reader.segment()
    key = segment.segment_id() if segment is not None else None
    if key is not None and key in known:
        return key, known[key]
    folder = _folder(reader.storage())
    doc_count = reader.doc_count_all()
    columns = None
    if folder is not None and segment is not None:
        columns = load_segment(sidecar_path(folder, segment), doc_count)
    if columns is None:
        columns = read_segment(reader)
    if key is not None:
        known[key] = columns
    return key, columns


def segment_records(searcher: Searcher, known: dict[str, SegmentColumns]) -> list[SegmentColumns]:
    """Each segment's record, in the order of ``searcher.leaf_searchers()`` (cached in
    ``known`` as :func:`build_columns` caches them; hold the segment lock)."""
    return [_segment_columns(leaf.reader(), known)[1] for leaf, _ in searcher.leaf_searchers()]


def build_columns(searcher: Searcher, known: dict[str, SegmentColumns] | None = None) -> Columns:
    """The index's columns, from each segment's record (``known`` caches them by
    segment id across generations; entries of segments gone are dropped)."""
    known = {} if known is None else known
    reader = searcher.reader()
    doc_count = reader.doc_count_all()
    live = np.ones(doc_count, dtype=bool)
    time = np.full(doc_count, NO_TIME, dtype=np.int64)
    keyword = {f: KeywordColumn([], np.full(doc_count, -1, dtype=np.int32)) for f in SINGLE_FIELDS}
    indexes: dict[str, dict[str, int]] = {f: {} for f in SINGLE_FIELDS}
    tag_docs: dict[str, list[NDArray[np.int64]]] = {}
    current: set[str] = set()
    for leaf, offset in searcher.leaf_searchers():
        leaf_reader = leaf.reader()
        key, segment = _segment_columns(leaf_reader, known)
        if key is not None:
            current.add(key)
        end = offset + segment.doc_count
        if leaf_reader.has_deletions():
            deleted = np.fromiter(leaf_reader.deleted_docs_set, dtype=np.int64)
            live[deleted + offset] = False
        for field in SINGLE_FIELDS:
            column, local, index_of = keyword[field], segment.keyword[field], indexes[field]
            # Local code -> global code; the extra last slot maps -1 (no value) to -1.
            to_global = np.full(len(local.values) + 1, -1, dtype=np.int32)
            for code, value in enumerate(local.values):
                to_global[code] = index_of.setdefault(value, len(column.values))
                if to_global[code] == len(column.values):
                    column.values.append(value)
            column.codes[offset:end] = to_global[local.codes]
        for value, docs in zip(segment.tags.values, segment.tags.docs, strict=True):
            tag_docs.setdefault(value, []).append(docs + offset)
        time[offset:end] = segment.time
    for key in set(known) - current:
        del known[key]
    tag_values = sorted(tag_docs)
    tags = MultiColumn(tag_values, [np.concatenate(tag_docs[v]) for v in tag_values])
    return Columns(doc_count, live, keyword, tags, time)


class CachingIndex(Protocol):
    """What :func:`columns_for` needs of an open index: a ``ThreadIndex``, or one of its
    ``Snapshot`` objects."""

    @property
    def segment_cache(self) -> dict[str, Any]: ...

    @property
    def segment_lock(self) -> threading.Lock: ...

    def searcher(self) -> Searcher: ...

    def cache(self, name: str, build: Callable[[Searcher], Any]) -> Any: ...


def columns_for(index: CachingIndex) -> Columns:
    """The columns of the read's generation (built once, shared by its readers)."""

    def build(searcher: Searcher) -> Columns:
        with index.segment_lock:
            return build_columns(searcher, index.segment_cache)

    columns: Columns = index.cache("columns", build)
    return columns
