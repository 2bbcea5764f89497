"""The Disqus export parser, against the two real exports in tests/data/disqus/."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from threadsearch.errors import SourceFormatError
from threadsearch.model import Thread, canonical_url, entry_id_for, thread_id_for
from threadsearch.sources import SourceContext, get_source

DATA = Path(__file__).parent / "data" / "disqus"
LAISKY = DATA / "laisky-blog-2015-2024.disqus.xml"
TANGLEI = DATA / "tanglei-name-zh-2010-2016.disqus.xml"


def parse(path: Path, *, include_hidden: bool = False, warnings: list[str] | None = None):
    context = SourceContext(str(path), include_hidden=include_hidden)
    if warnings is not None:
        context.warn = warnings.append
    with path.open("rb") as stream:
        return list(get_source("disqus").parse(stream, context))


def parse_bytes(data: bytes, *, warnings: list[str] | None = None) -> list[Thread]:
    context = SourceContext("export.xml")
    if warnings is not None:
        context.warn = warnings.append
    return list(get_source("disqus").parse(io.BytesIO(data), context))


def entry_by_local(threads: list[Thread], local: str):
    for thread in threads:
        for entry in thread.entries:
            if entry.id.endswith(f"-{local}"):
                return thread, entry
    raise AssertionError(f"no entry {local}")


# laisky: 61 Disqus threads have posts; one (itnews-2021-11) has only a deleted post, and
# two are the same page (".../第三种黑猩猩" with and without a trailing slash), so 59.
@pytest.mark.parametrize(
    ("path", "include_hidden", "threads", "entries"),
    [
        (LAISKY, False, 59, 204),
        (LAISKY, True, 60, 209),
        (TANGLEI, False, 340, 2687),
        (TANGLEI, True, 340, 2693),
    ],
)
def test_disqus_counts_per_file(path, include_hidden, threads, entries):
    warnings: list[str] = []
    parsed = parse(path, include_hidden=include_hidden, warnings=warnings)
    assert len(parsed) == threads
    assert sum(len(t.entries) for t in parsed) == entries
    assert warnings == []


@pytest.mark.parametrize("path", [LAISKY, TANGLEI])
def test_disqus_entries_are_comments_numbered_from_one(path):
    for thread in parse(path):
        assert [e.position for e in thread.entries] == list(range(1, len(thread.entries) + 1))
        assert {e.kind for e in thread.entries} == {"comment"}
        stamps = [e.timestamp for e in thread.entries]
        assert stamps == sorted(stamps)
        assert all(s is not None and s.tzinfo == timezone.utc for s in stamps)


def test_disqus_first_laisky_entry():
    threads = parse(LAISKY)
    thread = threads[0]
    link = "http://localhost:27850/p/%e7%ac%ac%e4%b8%89%e7%a7%8d%e9%bb%91%e7%8c%a9%e7%8c%a9"
    assert thread.title == "《第三种黑猩猩》"
    assert thread.url == link
    assert thread.id == thread_id_for(canonical_url(link))
    assert thread.site == "laisky"
    entry = thread.entries[0]
    assert entry.id == entry_id_for(thread.id, "d1927173747")
    assert entry.author == "ppcelery"
    assert entry.timestamp == datetime(2015, 3, 25, 14, 10, 41, tzinfo=timezone.utc)
    assert entry.kind == "comment"
    assert entry.parent_id is None
    assert entry.depth == 1
    assert entry.body == "test"
    assert entry.status == "approved"


def test_disqus_same_page_under_two_links_is_one_thread():
    # Disqus threads 3625466831 (".../第三种黑猩猩", post 1927173747) and 3770271600
    # (".../第三种黑猩猩/", post 2033855128) are one page.
    threads = parse(LAISKY)
    thread = threads[0]
    assert len([t for t in threads if t.id == thread.id]) == 1
    assert [e.id.rpartition("-")[2] for e in thread.entries] == ["d1927173747", "d2033855128"]


def test_disqus_thread_whose_only_post_is_deleted_is_skipped():
    url = "https://blog.laisky.com/p/itnews-2021-11/"
    assert [t for t in parse(LAISKY) if t.url == url] == []
    (thread,) = [t for t in parse(LAISKY, include_hidden=True) if t.url == url]
    assert thread.title == "laisky-blog: 技术文摘 2021-11"
    (entry,) = thread.entries
    assert entry.status == "deleted"
    assert entry.author is None
    assert entry.body == ""


def test_disqus_hidden_posts_keep_their_status():
    statuses = Counter(e.status for t in parse(LAISKY, include_hidden=True) for e in t.entries)
    assert statuses == Counter({"approved": 204, "deleted": 4, "spam": 1})
    _, spam = entry_by_local(parse(LAISKY, include_hidden=True), "d6472777036")
    assert spam.status == "spam"
    assert spam.author == "surfsharp"
    assert spam.depth == 3


def test_disqus_empty_author_and_message_only_on_deleted_posts():
    # The three posts with an empty <name> are the three with an empty <message>, all
    # deleted: they appear only with include_hidden, as entries with no author or body.
    shown = [e for t in parse(LAISKY) for e in t.entries]
    assert all(e.author and e.body for e in shown)
    hidden = [e for t in parse(LAISKY, include_hidden=True) for e in t.entries]
    empty = sorted(e.id.rpartition("-")[2] for e in hidden if e.author is None)
    assert empty == ["d2579656643", "d2580697267", "d5631192037"]
    assert all(e.body == "" and e.status == "deleted" for e in hidden if e.author is None)


def test_disqus_reply_keeps_parent_and_depth():
    thread, reply = entry_by_local(parse(TANGLEI), "d2473619930")
    assert thread.title == "CSU软件0804答辩视频第一次"
    assert thread.site == "hexo-tanglei"
    assert reply.parent_id == entry_id_for(thread.id, "d2473619928")
    assert reply.depth == 2
    assert reply.author == "tl3shi"
    assert reply.timestamp == datetime(2010, 12, 17, 15, 22, 30, tzinfo=timezone.utc)
    assert (
        reply.body
        == "还通过了呀。我的还没有通过。google怎么只搞顶级域名啊。\n我那个博客就不行了呀。呵呵"
    )


def test_disqus_reply_depths_per_file():
    laisky = Counter(e.depth for t in parse(LAISKY) for e in t.entries)
    assert laisky == Counter({1: 90, 2: 70, 3: 19, 4: 9, 5: 5, 6: 6, 7: 4, 8: 1})
    tanglei = Counter(e.depth for t in parse(TANGLEI) for e in t.entries)
    assert tanglei == Counter({1: 2248, 2: 348, 3: 51, 4: 25, 5: 10, 6: 5})
    thread, deepest = entry_by_local(parse(LAISKY), "d2400626171")
    assert deepest.depth == 8
    assert deepest.parent_id == entry_id_for(thread.id, "d2400608569")


def test_disqus_reply_to_hidden_post_hangs_from_visible_ancestor():
    # 2580408508 replies to 2579656643, which is deleted.
    thread, reply = entry_by_local(parse(LAISKY), "d2580408508")
    assert reply.parent_id is None
    assert reply.depth == 1
    thread, reply = entry_by_local(parse(LAISKY, include_hidden=True), "d2580408508")
    assert reply.parent_id == entry_id_for(thread.id, "d2579656643")
    assert reply.depth == 2


def test_disqus_truncated_export_raises_with_line_and_column():
    data = LAISKY.read_bytes()[:200_000]
    with pytest.raises(SourceFormatError) as caught:
        parse_bytes(data)
    assert caught.value.path == "export.xml"
    assert caught.value.line == 7283
    assert caught.value.column == 28
    assert "not well-formed XML" in caught.value.reason


EXPORT = b"""<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
<thread dsq:id="1"><forum>f</forum><link>https://example.org/a/</link><title>A</title></thread>
%s
</disqus>
"""


def test_disqus_post_of_unlisted_thread_raises():
    post = b"""<post dsq:id="9"><message>x</message><createdAt>2020-01-01T00:00:00Z</createdAt>
<isDeleted>false</isDeleted><isSpam>false</isSpam><author><name>a</name></author>
<thread dsq:id="2" /></post>"""
    with pytest.raises(SourceFormatError) as caught:
        parse_bytes(EXPORT % post)
    assert caught.value.record == "post dsq:id=9"
    assert caught.value.line == 4


def test_disqus_unreadable_created_at_raises():
    post = b"""<post dsq:id="9"><message>x</message><createdAt>yesterday</createdAt>
<author><name>a</name></author><thread dsq:id="1" /></post>"""
    with pytest.raises(SourceFormatError, match="unreadable createdAt 'yesterday'"):
        parse_bytes(EXPORT % post)


def test_disqus_reply_to_missing_post_is_warned_and_top_level():
    post = b"""<post dsq:id="9"><message><![CDATA[<p>hi &amp; bye</p>]]></message>
<createdAt>2020-01-01T00:00:00Z</createdAt><author><name> </name></author>
<thread dsq:id="1" /><parent dsq:id="8" /></post>"""
    warnings: list[str] = []
    (thread,) = parse_bytes(EXPORT % post, warnings=warnings)
    (entry,) = thread.entries
    assert thread.id == thread_id_for("https://example.org/a")
    assert entry.id == entry_id_for(thread.id, "d9")
    assert (entry.parent_id, entry.depth, entry.author, entry.body) == (None, 1, None, "hi & bye")
    assert warnings == [
        "export.xml, line 4: post dsq:id=9 replies to post 8, which is not in the export; "
        "shown as a top-level post"
    ]


def test_disqus_export_without_threads_raises():
    with pytest.raises(SourceFormatError, match="no <thread> records"):
        parse_bytes(b'<disqus xmlns="http://disqus.com"></disqus>')
