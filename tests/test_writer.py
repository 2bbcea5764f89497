"""Batched ingest: many segments, built by worker processes, still one consistent index."""

from __future__ import annotations

from pathlib import Path

import pytest
from threadsearch import SearchRequest, get_thread, ingest_paths, open_index, search, stats
from threadsearch import writer as batched
from threadsearch.ingest import IngestOptions
from threadsearch.model import canonical_url, thread_id_for
from threadsearch.query.columns import SIDECAR_EXT, committed_id_hashes, id_hash
from threadsearch.schema import ID_FIELD

from tests.conftest import DATA, SEED

CISCO = thread_id_for(canonical_url("https://whizzy.org/2017/02/23/cisco-7941-asterisk-and-sip/"))
FILES = [
    SEED,
    DATA / "feed" / "whizzy-org-site-comments-feed.rss.xml",
    DATA / "html" / "whizzy-org-cisco-7941-asterisk-and-sip.html",
    DATA / "feed" / "whizzy-org-cisco-7941-post-comments-feed.rss.xml",
]


def _snapshot(directory: Path) -> tuple[dict[str, object], list[tuple[str, int, int]]]:
    index = open_index(directory)
    try:
        body = stats(index)
        thread = get_thread(index, CISCO)
        entries = [(e.id, e.position, e.depth) for e in thread.entries]
        hits = search(index, SearchRequest(q="asterisk", per_page=100)).total
    finally:
        index.close()
    return {"entries": body.entries, "kinds": body.kinds, "hits": hits}, entries


@pytest.mark.parametrize(
    ("setting", "value", "batch_entries", "segments", "generation"),
    [
        # Batches of 7 documents: dozens of segments, written by two worker processes,
        # with the whizzy comments repeated across batches that are already written.
        ("BATCH_DOCUMENTS", 7, 20_000, range(11, 100), 1),
        # A batch closes at its characters of text too: one segment per document the
        # sources give (154, the whizzy comments repeated in the feeds included).
        ("BATCH_CHARS", 1, 20_000, range(154, 155), 1),
        # Four commits of about 30 entries, each cut into one segment per worker.
        ("MIN_SEGMENT_DOCUMENTS", 1, 30, range(4, 9), 3),
    ],
)
def test_small_batches_in_workers_equal_one_batch(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    value: int,
    batch_entries: int,
    segments: range,
    generation: int,
) -> None:
    one = open_index(tmp_path / "one", create=True)
    ingest_paths(one, FILES)
    one.close()
    monkeypatch.setattr(batched, setting, value)
    many = open_index(tmp_path / "many", create=True)
    report = ingest_paths(many, FILES, IngestOptions(batch_entries=batch_entries))
    assert len(many.whoosh._segments()) in segments
    assert many.whoosh.latest_generation() == generation
    many.close()
    assert report.entries == 27 + 39 + 25  # the seed, the Cisco page, 25 other comments
    assert _snapshot(tmp_path / "many") == _snapshot(tmp_path / "one")


@pytest.mark.parametrize("id_tables", [True, False])
def test_reingest_in_batches_replaces_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, id_tables: bool
) -> None:
    # Without the segments' column files (an index they could not be written for),
    # every entry is looked up by a term query instead of the id table.
    monkeypatch.setattr(batched, "BATCH_DOCUMENTS", 5)
    index = open_index(tmp_path, create=True)
    ingest_paths(index, [SEED])
    if not id_tables:
        for sidecar in tmp_path.glob(f"*{SIDECAR_EXT}"):
            sidecar.unlink()
    segments = index.whoosh._segments()
    assert (committed_id_hashes(index.whoosh.storage, segments) is None) is not id_tables
    ingest_paths(index, [SEED])
    assert stats(index).entries == 27
    index.close()


def test_a_batched_commit_gives_each_worker_an_equal_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batched, "MIN_SEGMENT_DOCUMENTS", 1)
    index = open_index(tmp_path, create=True)
    ingest_paths(index, [FILES[2]])  # the Cisco page: 39 entries, one commit
    sizes = [segment.doc_count_all() for segment in index.whoosh._segments()]
    with index.whoosh.searcher() as searcher:
        texts = [
            sum(len(fields.get(name) or "") for name in ("title", "body", "quoted"))
            for fields in searcher.all_stored_fields()
        ]
    index.close()
    if batched.SegmentBuilders().workers == 1:
        assert sizes == [39]
        return
    # The first segment closes at the entry that brings it to half the text.
    half = -(-sum(texts) // 2)
    first = next(n for n in range(1, 40) if sum(texts[:n]) >= half)
    assert sizes == [first, 39 - first]
    assert sizes == [1, 38]  # the post holds more than half the page's text


def test_the_committed_id_table_holds_every_entry_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A re-ingest asks this table before it looks an entry up in every segment.
    monkeypatch.setattr(batched, "BATCH_DOCUMENTS", 7)
    index = open_index(tmp_path, create=True)
    ingest_paths(index, [SEED])
    segments = index.whoosh._segments()
    with index.whoosh.searcher() as searcher:
        ids = [fields[ID_FIELD] for fields in searcher.all_stored_fields()]
    index.close()
    assert len(segments) >= 4 and len(ids) == 27  # at most 7 entries a segment
    hashes = committed_id_hashes(index.whoosh.storage, segments)
    assert hashes is not None
    assert hashes.tolist() == sorted(id_hash(entry_id) for entry_id in ids)
