"""The same comments from a saved page and two comment feeds are one thread."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from threadsearch import get_thread, ingest_paths, open_index, search
from threadsearch.model import SearchRequest, canonical_url, entry_id_for, thread_id_for

from tests.conftest import DATA

CISCO = thread_id_for(canonical_url("https://whizzy.org/2017/02/23/cisco-7941-asterisk-and-sip/"))
WHIZZY = [
    DATA / "html" / "whizzy-org-cisco-7941-asterisk-and-sip.html",
    DATA / "feed" / "whizzy-org-cisco-7941-post-comments-feed.rss.xml",
    DATA / "feed" / "whizzy-org-site-comments-feed.rss.xml",
]


def test_three_whizzy_files_give_one_thread_of_38_comments(tmp_path: Path) -> None:
    with open_index(tmp_path, create=True) as index:
        ingest_paths(index, list(WHIZZY))
        thread = get_thread(index, CISCO)
        result = search(index, SearchRequest(q="", thread=[CISCO], per_page=1))
    kinds = [e.kind for e in thread.entries]
    assert thread.title == "Cisco 7941, Asterisk and SIP"
    assert kinds.count("comment") == 38 and kinds.count("post") == 1
    assert [e.position for e in thread.entries] == list(range(39))
    # The page knows the threading, the feeds do not: the merge keeps it.
    depths = [e.depth for e in thread.entries if e.kind == "comment"]
    assert (depths.count(1), depths.count(2), depths.count(3)) == (28, 8, 2)
    # The feeds know the zone, the page does not: the merge keeps UTC.
    first = next(e for e in thread.entries if e.id == entry_id_for(CISCO, "136"))
    assert first.timestamp == datetime(2017, 2, 26, 16, 48, 15, tzinfo=timezone.utc)
    assert first.utc_offset == 0  # the feed's "+0000"; the page states no zone
    assert result.total == 39


def test_order_of_files_does_not_matter(tmp_path: Path) -> None:
    counts = []
    for name, files in (("forward", WHIZZY), ("backward", list(reversed(WHIZZY)))):
        with open_index(tmp_path / name, create=True) as index:
            ingest_paths(index, list(files))
            counts.append(get_thread(index, CISCO).entry_count)
    assert counts == [39, 39]
