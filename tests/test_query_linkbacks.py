"""Pingback and trackback titles are found by a plain query, not only by ``author:``.

A WXR export names a pingback by the linking post ("alienlebarge.ch · Grossière erreure")
in ``comment_author`` and gives no title; the seed's scraped trackbacks carry a title.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from threadsearch.index import ThreadIndex, open_index
from threadsearch.ingest import IngestOptions, Progress, iter_threads
from threadsearch.model import SearchRequest
from threadsearch.query.engine import search
from threadsearch.writes import add_threads

WXR = Path(__file__).parent / "data" / "wxr" / "alienlebarge-fr-2007-2013.wxr.xml"
LINK_KINDS = ("pingback", "trackback")


def hit_ids(index: ThreadIndex, q: str) -> list[str]:
    return sorted(hit.id for hit in search(index, SearchRequest(q=q, per_page=100)).hits)


def test_seed_trackbacks_found_by_words_of_their_titles(index: ThreadIndex) -> None:
    seed = "97c3c134e99d8917"
    assert hit_ids(index, "linklets") == [f"{seed}-22"]
    assert hit_ids(index, "expels") == [f"{seed}-23"]
    assert hit_ids(index, '"practical solution"') == [f"{seed}-26"]
    kinds = {h.id: h.kind for h in search(index, SearchRequest(q="maps", per_page=100)).hits}
    assert kinds == {f"{seed}-21": "comment", f"{seed}-26": "trackback"}


@pytest.fixture(scope="module")
def linkback_index(tmp_path_factory: pytest.TempPathFactory):
    """The 30 threads of the French export that hold a pingback or trackback (80 entries)."""
    threads = [
        t
        for t in iter_threads([WXR], IngestOptions(), Progress())
        if any(e.kind in LINK_KINDS for e in t.entries)
    ]
    index = open_index(tmp_path_factory.mktemp("linkbacks"), create=True)
    add_threads(index, threads)
    yield index, threads
    index.close()


def test_wxr_pingback_titles_found_by_a_plain_query(linkback_index) -> None:
    index, _ = linkback_index
    # Only in the pingback's author field ("alienlebarge.ch · Grossière erreure"), and in
    # the title of the post it links to, which is not among these threads.
    assert hit_ids(index, "grossière") == ["3cd5228812a98a70-32"]
    assert hit_ids(index, "Maurer") == ["86b21b591f6a4404-54"]
    # The pingback named "Þingvellir | alienlebarge", the post titled "Þingvellir", and a
    # pingback whose excerpt names it.
    assert hit_ids(index, "Þingvellir") == [
        "2ce841753a234a93-2052",
        "4da0a9c86f0a8f35-2065",
        "4da0a9c86f0a8f35-post",
    ]
    # The author stays as the export gave it, and author: still finds it.
    (hit,) = search(index, SearchRequest(q="Maurer")).hits
    assert (hit.kind, hit.author) == ("trackback", "Weblog de Jean-Michel Maurer")
    assert hit_ids(index, 'author:"Weblog de Jean-Michel Maurer"') == ["86b21b591f6a4404-54"]


def test_wxr_every_linkback_found_by_its_name(linkback_index) -> None:
    index, threads = linkback_index
    linkbacks = [e for t in threads for e in t.entries if e.kind in LINK_KINDS]
    assert len(linkbacks) == 30  # SOURCES.md: 26 pingbacks, 4 trackbacks
    missed = [e.id for e in linkbacks if e.id not in hit_ids(index, f'"{e.author}"')]
    assert missed == []
