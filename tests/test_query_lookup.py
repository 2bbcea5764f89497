"""Thread and entry fetches through the column arrays return exactly what Whoosh's term
query returns on the same index: every thread and every entry, over many segments,
with deleted documents, a segment without a column file and one whose file has no id
table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from threadsearch import (
    Entry,
    NotFoundError,
    Thread,
    ThreadIndex,
    add_threads,
    get_entry,
    get_thread,
    ingest_paths,
    open_index,
)
from threadsearch import writer as batched
from threadsearch.query import columns, lookup
from threadsearch.query.columns import id_hash, load_segment, save_segment, sidecar_path
from threadsearch.query.engine import entry_from_fields, thread_from_fields
from threadsearch.schema import ID_FIELD, POSITION, THREAD
from whoosh import query as wq

from tests.conftest import SEED
from tests.test_columns import FILES


@pytest.fixture
def many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadIndex]:
    """Many small segments with deletions; segment 1 has no column file and segment 2
    a file without the id table (as written before it existed)."""
    monkeypatch.setattr(batched, "BATCH_DOCUMENTS", 40)
    index = open_index(tmp_path / "index", create=True)
    ingest_paths(index, FILES)
    # The seed again, edited: replaces its 27 documents (same ids, new bodies), and
    # the first copies stay in their segments as deleted documents.
    edited = tmp_path / SEED.name
    edited.write_bytes(SEED.read_bytes().replace(b"bounty hunters", b"bounty seekers"))
    ingest_paths(index, [edited])
    segments = index.whoosh._segments()
    sidecar_path(index.path, segments[1]).unlink()
    old = sidecar_path(index.path, segments[2])
    record = load_segment(old, segments[2].doc_count_all())
    assert record is not None and record.ids is not None
    record.ids = None
    save_segment(old, record)
    index.segment_cache.clear()
    yield index
    index.close()


def _obvious_docs(index: ThreadIndex, field: str, value: str) -> list[int]:
    return sorted(index.searcher().docs_for_query(wq.Term(field, value)))


def _obvious_thread(index: ThreadIndex, thread_id: str) -> Thread:
    """A thread read the obvious way: a term query, every record, sorted by position."""
    searcher = index.searcher()
    stored = [searcher.stored_fields(d) for d in _obvious_docs(index, THREAD, thread_id)]
    return thread_from_fields(sorted(stored, key=lambda f: f[POSITION]))


def _obvious_entry(index: ThreadIndex, entry_id: str) -> Entry:
    doc = _obvious_docs(index, ID_FIELD, entry_id)[0]
    return entry_from_fields(index.searcher().stored_fields(doc))


def _all_ids(index: ThreadIndex) -> tuple[list[str], list[str]]:
    """Every thread id and entry id in the index, from its lexicons."""
    reader = index.searcher().reader()
    threads = [t.decode() for t in reader.lexicon(THREAD)]
    entries = [t.decode() for t in reader.lexicon(ID_FIELD)]
    return threads, entries


def test_the_fixture_has_what_the_fast_path_must_handle(many: ThreadIndex) -> None:
    segments = many.whoosh._segments()
    assert len(segments) > 5
    assert not sidecar_path(many.path, segments[1]).exists()
    old = load_segment(sidecar_path(many.path, segments[2]), segments[2].doc_count_all())
    assert old is not None and old.ids is None
    with many.reading():
        found = lookup.lookup_for(many)
        assert found.unkeyed == [2]  # segment 1 was read from its postings, ids and all
        assert found.id_segments == len(segments) - 1
        searcher = many.searcher()
        deleted = [s.reader().deleted_docs_set for s, _ in searcher.leaf_searchers()]
        assert sum(len(d) for d in deleted) == 27  # the seed's first copy
        assert searcher.doc_count() == searcher.doc_count_all() - 27


def test_every_thread_equals_the_term_query_s(many: ThreadIndex) -> None:
    threads, _ = _all_ids(many)
    assert len(threads) == 1 + 12 + 10
    for thread_id in threads:
        assert get_thread(many, thread_id) == _obvious_thread(many, thread_id), thread_id


def test_every_entry_equals_the_term_query_s(many: ThreadIndex) -> None:
    _, entries = _all_ids(many)
    assert len(entries) == many.searcher().doc_count()  # no id twice among live entries
    for entry_id in entries:
        assert get_entry(many, entry_id) == _obvious_entry(many, entry_id), entry_id


def test_unknown_ids_are_not_found(many: ThreadIndex) -> None:
    with pytest.raises(NotFoundError, match="no thread with id 'nope'"):
        get_thread(many, "nope")
    with pytest.raises(NotFoundError, match="no entry with id 'nope'"):
        get_entry(many, "nope")


def test_deleted_documents_are_not_returned(many: ThreadIndex) -> None:
    thread = get_thread(many, many.searcher().stored_fields(0)[THREAD])
    assert len(thread.entries) == 27
    assert "bounty seekers" in thread.entries[0].body
    assert "bounty hunters" not in thread.entries[0].body
    assert "bounty hunters" not in get_entry(many, thread.entries[0].id).body


def test_a_written_entry_shows_in_its_thread_on_the_next_fetch(many: ThreadIndex) -> None:
    thread = get_thread(many, _all_ids(many)[0][0])
    last = thread.entries[-1]
    added = Entry(
        "added-1",
        thread.id,
        "comment",
        last.position + 1,
        body="One more.",
        timestamp=datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc),
        utc_offset=0,
    )
    add_threads(many, [Thread(thread.id, thread.title, entries=[*thread.entries, added])])
    fetched = get_thread(many, thread.id)
    assert fetched == _obvious_thread(many, thread.id)
    assert [e.id for e in fetched.entries] == [e.id for e in thread.entries] + ["added-1"]
    assert get_entry(many, "added-1") == _obvious_entry(many, "added-1")


def test_entries_whose_ids_share_a_hash_are_told_apart_by_their_stored_id(
    many: ThreadIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 64-bit collision cannot be found to order: give every id of one segment the
    # same hash, in its file and in the function the look-up probes with.
    segment = many.whoosh._segments()[0]
    path = sidecar_path(many.path, segment)
    record = load_segment(path, segment.doc_count_all())
    assert record is not None and record.ids is not None
    same = np.uint64(id_hash("shared"))
    record.ids = columns.sorted_ids(np.full(len(record.ids.docs), same), record.ids.docs)
    save_segment(path, record)
    many.segment_cache.clear()
    docs = record.ids.docs.tolist()
    reader = many.searcher().reader()
    ids = [reader.stored_fields(d)[ID_FIELD] for d in docs if not reader.is_deleted(d)]
    monkeypatch.setattr(lookup, "id_hash", lambda entry_id: int(same))
    # The segment's documents all share the key; other segments' ids are missed under
    # the fake hash, so only this segment's are asked for.
    assert len(ids) > 1
    for entry_id in ids:
        assert get_entry(many, entry_id) == _obvious_entry(many, entry_id)


def test_two_commits_by_another_handle_show_on_the_next_fetch(many: ThreadIndex) -> None:
    # The generation check looks for the next table of contents and the current one:
    # after two commits, the first is gone, the second deleted by the second commit.
    thread = get_thread(many, _all_ids(many)[0][0])
    other = open_index(many.path)
    try:
        for n in (1, 2):
            extra = replace(thread.entries[-1], id=f"extra-{n}", position=100 + n)
            thread = replace(thread, entries=[*thread.entries, extra])
            add_threads(other, [thread])
    finally:
        other.close()
    assert [e.id for e in get_thread(many, thread.id).entries][-2:] == ["extra-1", "extra-2"]
    assert get_entry(many, "extra-2").position == 102
