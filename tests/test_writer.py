"""Batched ingest: many segments, built by worker processes, still one consistent index."""

from __future__ import annotations

from pathlib import Path

import pytest
from threadsearch import SearchRequest, get_thread, ingest_paths, open_index, search, stats
from threadsearch import writer as batched
from threadsearch.model import canonical_url, thread_id_for

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


def test_small_batches_in_workers_equal_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = open_index(tmp_path / "one", create=True)
    ingest_paths(one, FILES)
    one.close()
    # Batches of 7 documents: dozens of segments, written by two worker processes,
    # with the whizzy comments repeated across batches that are already written.
    monkeypatch.setattr(batched, "BATCH_DOCUMENTS", 7)
    many = open_index(tmp_path / "many", create=True)
    report = ingest_paths(many, FILES)
    segments = len(many.whoosh._segments())
    many.close()
    assert segments > 10
    assert report.entries == 27 + 39 + 25  # the seed, the Cisco page, 25 other comments
    assert _snapshot(tmp_path / "many") == _snapshot(tmp_path / "one")


def test_reingest_in_batches_replaces_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batched, "BATCH_DOCUMENTS", 5)
    index = open_index(tmp_path, create=True)
    ingest_paths(index, [SEED])
    ingest_paths(index, [SEED])
    assert stats(index).entries == 27
    index.close()
