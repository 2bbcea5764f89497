"""Facet and filter columns saved beside each segment: always there, always equal to
what the postings say, and never trusted when damaged."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from threadsearch import SearchRequest, ThreadIndex, ingest_paths, open_index, search
from threadsearch import writer as batched
from threadsearch.errors import SearchError
from threadsearch.ingest import IngestOptions
from threadsearch.query.columns import (
    SIDECAR_EXT,
    Columns,
    SegmentColumns,
    build_columns,
    load_segment,
    sidecar_path,
)
from threadsearch.schema import AUTHOR, THREAD

from tests.conftest import DATA, SEED

FILES = [
    SEED,
    DATA / "wxr" / "timothyfitz-wordpresscom-2009-2012.wxr.xml",
    DATA / "feed" / "whizzy-org-site-comments-feed.rss.xml",
]


@pytest.fixture
def many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadIndex]:
    """An index of many small segments written by worker processes, with deletions."""
    monkeypatch.setattr(batched, "BATCH_DOCUMENTS", 40)
    index = open_index(tmp_path / "index", create=True)
    ingest_paths(index, FILES)
    ingest_paths(index, [SEED])  # replaces the seed's 27 documents: deletions
    yield index
    index.close()


def _column_files(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir() if p.name.endswith(SIDECAR_EXT)}


def _segment_files(index: ThreadIndex) -> set[str]:
    return {sidecar_path(index.path, s).name for s in index.whoosh._segments()}


def _loaded(index: ThreadIndex) -> list[SegmentColumns]:
    found = []
    for segment in index.whoosh._segments():
        loaded = load_segment(sidecar_path(index.path, segment), segment.doc_count_all())
        assert loaded is not None, segment
        found.append(loaded)
    return found


def _from_postings(index: ThreadIndex, scratch: Path) -> Columns:
    """The columns of a copy of the index without its column files."""
    copy = scratch / "postings-only"
    shutil.copytree(index.path, copy)
    for name in _column_files(copy):
        (copy / name).unlink()
    other = open_index(copy)
    try:
        return build_columns(other.searcher())
    finally:
        other.close()


def _assert_same(a: Columns, b: Columns) -> None:
    """Equal on every live document (a file keeps the values of documents deleted
    since it was written; the postings no longer list them)."""
    assert a.doc_count == b.doc_count
    live = a.live
    assert np.array_equal(live, b.live)
    assert np.array_equal(a.time, b.time)
    for field, column in a.keyword.items():
        assert column.values == b.keyword[field].values, field
        assert np.array_equal(column.codes[live], b.keyword[field].codes[live]), field
    assert a.tags.values == b.tags.values
    for x, y in zip(a.tags.docs, b.tags.docs, strict=True):
        assert np.array_equal(x[live[x]], y[live[y]])


def test_every_segment_has_its_column_file_and_no_other(many: ThreadIndex) -> None:
    segments = _segment_files(many)
    assert len(segments) > 5
    assert _column_files(many.path) == segments
    # ... and each one is read back (a file that fails to load is silently replaced by
    # the postings, which would hide a bug here).
    assert any(not loaded.tags.values for loaded in _loaded(many))  # the seed's: no tags


def test_columns_from_files_equal_columns_from_postings(many: ThreadIndex, tmp_path: Path) -> None:
    from_files = build_columns(many.searcher())
    _assert_same(from_files, _from_postings(many, tmp_path))
    # The seed's author once (its re-ingested copy replaced the first); threads: the
    # seed, timothyfitz's 12 and the 10 posts the whizzy site feed comments on.
    author = from_files.keyword[AUTHOR]
    live = from_files.live
    assert np.count_nonzero((author.codes == author.code_of("Martyn")) & live) == 1
    threads = from_files.keyword[THREAD]
    assert len({threads.values[c] for c in threads.codes[live]}) == 1 + 12 + 10


def test_a_damaged_column_file_is_read_from_postings_instead(
    many: ThreadIndex, tmp_path: Path
) -> None:
    segment = many.whoosh._segments()[0]
    path = sidecar_path(many.path, segment)
    path.write_bytes(path.read_bytes()[:100])  # truncated, as after a crash
    assert load_segment(path, segment.doc_count_all()) is None
    many.segment_cache.clear()
    _assert_same(build_columns(many.searcher(), many.segment_cache), _from_postings(many, tmp_path))


def test_a_column_file_for_another_segment_size_is_not_trusted(many: ThreadIndex) -> None:
    segments = many.whoosh._segments()
    first = segments[0]
    second = next(s for s in segments if s.doc_count_all() != first.doc_count_all())
    shutil.copyfile(sidecar_path(many.path, second), sidecar_path(many.path, first))
    assert load_segment(sidecar_path(many.path, first), first.doc_count_all()) is None


def test_a_merging_commit_writes_the_merged_segments_files(
    many: ThreadIndex, tmp_path: Path
) -> None:
    before = search(many, SearchRequest(q="", facets=["author"])).facets["author"]
    segments_before = _segment_files(many)
    # Deleting goes through Whoosh's own writer, which merges small segments.
    assert many.delete_thread(search(many, SearchRequest(q="asterisk")).hits[0].thread_id) > 0
    assert _segment_files(many) - segments_before  # a merged segment, new to the index
    assert _column_files(many.path) == _segment_files(many)
    after = search(many, SearchRequest(q="", facets=["author"])).facets["author"]
    assert after != before
    _assert_same(build_columns(many.searcher()), _from_postings(many, tmp_path))


def test_a_failed_ingest_leaves_no_column_files(many: ThreadIndex, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in many.path.iterdir()}
    bad = tmp_path / "truncated.wxr.xml"
    bad.write_bytes(FILES[1].read_bytes()[:5000])
    # Batches of the other files are written (with their column files) before the
    # truncated file fails. One commit: batched, the 3.3 MB file, over a sixteenth of
    # the run's input, would be a commit of its own and stay.
    with pytest.raises(SearchError):
        ingest_paths(
            many,
            [DATA / "wxr" / "dmacvicar-wordpresscom-2005-2015.wxr.xml", bad],
            IngestOptions(atomic=True),
        )
    assert {p.name: p.read_bytes() for p in many.path.iterdir()} == before
