"""The same comments from a saved page and two comment feeds are one thread."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from threadsearch import get_thread, ingest_paths, open_index, search
from threadsearch.merge import MERGE_RULES, merge_documents
from threadsearch.model import (
    Entry,
    SearchRequest,
    Thread,
    canonical_url,
    entry_id_for,
    thread_id_for,
)

from tests.conftest import DATA
from tests.test_faults_ingest import documents

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


# --- the merge rule table (threadsearch.merge.MERGE_RULES), one test per rule ----------

HARBOUR = thread_id_for(canonical_url("https://kueste.example/2012/der-hafen/"))
HARBOUR_FILES = [
    DATA / "merge" / "harbour-comments.rss.xml",
    DATA / "merge" / "harbour-page.html",
]
BIGREDTIN = thread_id_for(
    canonical_url("http://bigredtin.com/2009/including-wordpress-comment-reply-js/")
)


def merged_thread(tmp_path: Path, files: list[Path], thread_id: str) -> Thread:
    with open_index(tmp_path, create=True) as index:
        ingest_paths(index, list(files))
        return get_thread(index, thread_id)


def both_orders(tmp_path: Path, files: list[Path], thread_id: str) -> list[dict[str, Entry]]:
    """The merged thread's entries by local id, with the files given forward and backward."""
    threads = [
        merged_thread(tmp_path / "forward", files, thread_id),
        merged_thread(tmp_path / "backward", list(reversed(files)), thread_id),
    ]
    return [{e.id.removeprefix(thread_id + "-"): e for e in t.entries} for t in threads]


def test_merge_rule_time_feed_utc_beats_page_time_claiming_utc(tmp_path: Path) -> None:
    # The page's <time datetime="2012-06-01T09:00:00+00:00"> is local (CEST) time.
    for entries in both_orders(tmp_path, HARBOUR_FILES, HARBOUR):
        assert entries["11"].timestamp == datetime(2012, 6, 1, 7, 0, tzinfo=timezone.utc)
        assert entries["11"].utc_offset == 0
        assert entries["12"].timestamp == datetime(2012, 6, 1, 8, 15, tzinfo=timezone.utc)


def test_merge_rule_time_real_feed_beats_real_page(corpora: Path, tmp_path: Path) -> None:
    """bigredtin: comment-2939 reads 10:03 am (AEDT, no zone) on the page, 23:03:37Z in
    the site's Atom feed. The page names no host; ingest gives it the feed's."""
    files = [
        DATA / "html" / "bigredtin-including-wordpress-comment-reply-js.html",
        corpora / "atom" / "bigredtin-comments-feed.atom.xml",
    ]
    for entries in both_orders(tmp_path, files, BIGREDTIN):
        assert entries["2939"].timestamp == datetime(2012, 12, 3, 23, 3, 37, tzinfo=timezone.utc)
        assert entries["2939"].utc_offset == 0
        assert entries["2939"].author == "Yun"
        # The page's 9 comments (threading kept), the feed's newer 3858, and the post.
        assert len(entries) == 11
        assert entries["1813"].parent_id == entries["1812"].id


def test_merge_rule_kind_pingback_beats_comment(tmp_path: Path) -> None:
    # The feed lists the pingback as a comment "Von: Fahrplan 2012"; the page says pingback.
    for entries in both_orders(tmp_path, HARBOUR_FILES, HARBOUR):
        assert entries["13"].kind == "pingback"
        assert entries["13"].author_url == "https://faehre.example/plan"
        assert entries["13"].timestamp == datetime(2012, 6, 2, 6, 30, tzinfo=timezone.utc)


def test_merge_rule_body_full_text_beats_truncated_excerpt(tmp_path: Path) -> None:
    full = (
        "Wann fährt die erste Fähre? Ich habe den Fahrplan gesucht, aber nur den vom "
        "letzten Sommer gefunden, und der gilt sicher nicht mehr."
    )
    for entries in both_orders(tmp_path, HARBOUR_FILES, HARBOUR):
        assert entries["11"].body == full


def test_merge_rule_parent_and_position_come_from_the_page(tmp_path: Path) -> None:
    for entries in both_orders(tmp_path, HARBOUR_FILES, HARBOUR):
        assert (entries["12"].parent_id, entries["12"].depth) == (entries["11"].id, 2)
        assert [entries[n].position for n in ("post", "11", "12", "13")] == [0, 1, 2, 3]


def test_merge_rule_author_and_link_a_value_beats_none() -> None:
    old = {"id": "t-1", "author": "Ann", "author_url": "https://ann.example/", "position": 1}
    assert merge_documents(old, {"id": "t-1", "position": 1}, old_size=2, new_size=2) == old
    new = {"id": "t-1", "author": "Ann B.", "author_url": "https://b.example/", "position": 3}
    merged = merge_documents(old, new, old_size=2, new_size=5)
    assert merged == {
        "id": "t-1",
        "author": "Ann B.",
        "author_url": "https://b.example/",
        "position": 3,
    }


def test_merge_rules_are_the_readmes_table() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Merging sources", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [rule.name for rule in MERGE_RULES]
    for row, rule in zip(rows, MERGE_RULES, strict=True):
        assert rule.rule in row


def test_a_copy_an_earlier_ingest_holds_is_merged_as_in_one_ingest(tmp_path: Path) -> None:
    # One ingest of both reads the page last (its links name no host, so it waits for
    # the feed's URL). The same files in two ingests, feed first, give exactly those
    # documents: the copy in the index is merged by the table, not replaced. Page first,
    # only what no rule decides differs: the later copy's source file and language.
    with open_index(tmp_path / "together", create=True) as index:
        ingest_paths(index, list(HARBOUR_FILES))
    together = documents(tmp_path / "together")
    assert len(together) == 4  # the post, two comments and a pingback
    for name, files in (("feed first", HARBOUR_FILES), ("page first", HARBOUR_FILES[::-1])):
        with open_index(tmp_path / name, create=True) as index:
            for path in files:
                ingest_paths(index, [path])
            entries = {
                e.id.removeprefix(HARBOUR + "-"): e for e in get_thread(index, HARBOUR).entries
            }
        assert entries["11"].timestamp == datetime(2012, 6, 1, 7, 0, tzinfo=timezone.utc)
        assert (entries["13"].kind, entries["12"].parent_id) == ("pingback", entries["11"].id)
        apart = documents(tmp_path / name)
        differ = {
            (entry, field)
            for entry, doc in together.items()
            for field in doc.keys() | apart[entry].keys()
            if doc.get(field) != apart[entry].get(field)
        }
        if name == "feed first":
            assert differ == set()
        else:
            assert {field for _, field in differ} == {"source", "lang"}
