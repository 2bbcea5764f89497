"""The WordPress WXR parser against the five real exports in tests/data/wxr/ and hand-made
files for the edge cases (WXR 1.0, the GMT-zero fallback, truncation, entity attacks)."""

from __future__ import annotations

import io
from datetime import datetime, timezone, tzinfo
from pathlib import Path

import pytest
from threadsearch.errors import SourceFormatError
from threadsearch.model import Entry, Thread, canonical_url, entry_id_for, thread_id_for
from threadsearch.sources import SourceContext, get_source

DATA = Path(__file__).parent / "data" / "wxr"
TIMOTHYFITZ = DATA / "timothyfitz-wordpresscom-2009-2012.wxr.xml"
CEDRICPORTER = DATA / "cedricporter-zh-2012-threaded.wxr.xml"
ALIENLEBARGE = DATA / "alienlebarge-fr-2007-2013.wxr.xml"
DMACVICAR = DATA / "dmacvicar-wordpresscom-2005-2015.wxr.xml"
CC_LABS = DATA / "cc-labs-creativecommons-2007-2013.wxr.xml"


def parse(path: Path, *, include_hidden: bool = False) -> tuple[list[Thread], list[str]]:
    warnings: list[str] = []
    context = SourceContext(str(path), include_hidden=include_hidden, warn=warnings.append)
    with path.open("rb") as stream:
        threads = list(get_source("wxr").parse(stream, context))
    return threads, warnings


def parse_bytes(
    data: bytes, *, include_hidden: bool = False, zone: tzinfo | None = None
) -> tuple[list[Thread], list[str]]:
    warnings: list[str] = []
    context = SourceContext(
        "sample.xml", timezone=zone, include_hidden=include_hidden, warn=warnings.append
    )
    return list(get_source("wxr").parse(io.BytesIO(data), context)), warnings


def stem(value: object) -> str | None:
    return value.stem if isinstance(value, Path) else None


def comments(threads: list[Thread]) -> list[Entry]:
    return [entry for thread in threads for entry in thread.entries if entry.position > 0]


def find_comment(threads: list[Thread], native_id: str) -> tuple[Thread, Entry]:
    for thread in threads:
        for entry in thread.entries:
            if entry.url and entry.url.endswith(f"#comment-{native_id}"):
                return thread, entry
    raise AssertionError(f"no comment {native_id}")


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)


# -- counts ---------------------------------------------------------------------------

# threads = published posts and pages (with or without comments); entries = approved
# comments, pingbacks and trackbacks on them, not counting the post entries.
COUNTS = [
    (TIMOTHYFITZ, 12, 357),
    (CEDRICPORTER, 101, 163),
    (ALIENLEBARGE, 571, 401),
    (DMACVICAR, 372, 688),
    (CC_LABS, 224, 181),
]


@pytest.mark.parametrize(("path", "threads", "entries"), COUNTS, ids=stem)
def test_wxr_counts_default_policy(path: Path, threads: int, entries: int) -> None:
    parsed, _ = parse(path)
    assert len(parsed) == threads
    assert len(comments(parsed)) == entries
    assert all(t.entries[0].kind == "post" and t.entries[0].position == 0 for t in parsed)
    assert sum(e.kind == "post" for t in parsed for e in t.entries) == threads
    assert {e.status for t in parsed for e in t.entries} == {"approved"}


HIDDEN_COUNTS = [
    # +1 pending post; +24 unapproved comments
    (TIMOTHYFITZ, 13, 381, {"pending": 1, "unapproved": 24}),
    # +6 drafts, +1 private post; +1 trashed comment (2 comments on attachments never count)
    (CEDRICPORTER, 108, 164, {"draft": 6, "private": 1, "trash": 1}),
    # +15 drafts, +2 pending posts; +4 unapproved comments
    (ALIENLEBARGE, 588, 405, {"draft": 15, "pending": 2, "unapproved": 4}),
    # +15 trashed, +6 draft posts; +2 comments trashed with their post
    (DMACVICAR, 393, 690, {"trash": 15, "draft": 6, "post-trashed": 2}),
    # nothing hidden in this export
    (CC_LABS, 224, 181, {}),
]


@pytest.mark.parametrize(("path", "threads", "entries", "hidden"), HIDDEN_COUNTS, ids=stem)
def test_wxr_counts_include_hidden(
    path: Path, threads: int, entries: int, hidden: dict[str, int]
) -> None:
    parsed, _ = parse(path, include_hidden=True)
    assert len(parsed) == threads
    assert len(comments(parsed)) == entries
    statuses: dict[str, int] = {}
    for entry in (e for t in parsed for e in t.entries if e.status != "approved"):
        statuses[entry.status] = statuses.get(entry.status, 0) + 1
    assert statuses == hidden


def test_wxr_kinds_per_file() -> None:
    parsed, _ = parse(TIMOTHYFITZ)
    kinds = [e.kind for e in comments(parsed)]
    assert (kinds.count("comment"), kinds.count("pingback"), kinds.count("trackback")) == (
        206,
        150,
        1,
    )


# -- one entry per file, exactly as the file states it --------------------------------


def test_wxr_timothyfitz_reply() -> None:
    parsed, _ = parse(TIMOTHYFITZ)
    thread, entry = find_comment(parsed, "421")
    assert entry.kind == "comment"
    assert entry.author == "Erik A. Brandstadmoen"
    assert entry.author_url is None
    # comment_date 12:43:34 is Pacific; the GMT field says 20:43:34
    assert entry.timestamp == utc(2010, 4, 26, 20, 43, 34)
    assert entry.parent_id == entry_id_for(thread.id, "420")
    assert entry.depth == 2
    assert entry.body == "@Sean C: Thank you for supporting my view. Nice analogy, by the way... :)"
    # the reply comes after its parent although the file lists it first
    _, parent = find_comment(parsed, "420")
    assert parent.position < entry.position
    assert parent.depth == 1 and parent.parent_id is None


def test_wxr_timothyfitz_pingback_author_entities() -> None:
    parsed, _ = parse(TIMOTHYFITZ)
    thread, entry = find_comment(parsed, "209")
    assert entry.kind == "pingback"
    assert entry.author == "Giant Communist Robots \u00bb Time Out"
    assert entry.author_url == "http://giant-communist-robots.com/?p=133"
    assert entry.timestamp == utc(2009, 2, 23, 3, 23, 38)
    assert entry.parent_id is None
    assert entry.url == "http://timothyfitz.wordpress.com/2009/02/07/3/#comment-209"
    assert thread.url == "http://timothyfitz.wordpress.com/2009/02/07/3/"
    assert thread.id == thread_id_for(canonical_url(thread.url))
    assert thread.title == "Blood Pact Blogging"
    assert thread.site == "timothyfitz.wordpress.com"
    assert not any("&raquo;" in (e.author or "") for e in comments(parsed))


def test_wxr_timothyfitz_undeclared_prefix_warns_with_line() -> None:
    _, warnings = parse(TIMOTHYFITZ)
    assert any(
        "line 49:" in w and "Namespace prefix atom" in w and "(recovered)" in w for w in warnings
    )


def test_wxr_cedricporter_reply_depth() -> None:
    parsed, _ = parse(CEDRICPORTER)
    thread, entry = find_comment(parsed, "975")
    assert thread.title == "探索wordpress验证码插件Clickcha"
    assert thread.tags == ["Captcha", "Wordpress", "技术类"]
    assert entry.kind == "comment"
    assert entry.author == "Fish"
    assert entry.author_url == "http://xuyufish.com"
    # local time is GMT+8 (17:37:21); the entry keeps UTC
    assert entry.timestamp == utc(2012, 8, 16, 9, 37, 21)
    assert entry.parent_id == entry_id_for(thread.id, "974")
    # 971 <- 972 <- 973 <- 974 <- 975, four replies below a top-level comment
    chain = [find_comment(parsed, cid)[1].depth for cid in ("971", "972", "973", "974", "975")]
    assert chain == [1, 2, 3, 4, 5]
    depths = [e.depth for e in comments(parsed)]
    assert max(depths) == 5
    assert sum(d >= 2 for d in depths) == 84


def test_wxr_cedricporter_post_entry() -> None:
    parsed, _ = parse(CEDRICPORTER)
    thread = next(t for t in parsed if t.url == "http://everet.org/2012/07/clickcha.html")
    post = thread.entries[0]
    assert post.kind == "post"
    assert post.id == entry_id_for(thread.id, "post")
    assert post.author == "cedricporter"
    assert post.timestamp == utc(2012, 7, 16, 4, 42, 2)
    assert post.title == "探索wordpress验证码插件Clickcha"
    assert post.url == thread.url
    assert post.depth == 0 and post.parent_id is None
    assert post.body.startswith("Clickcha是一种新型的图像验证码")
    assert "\r" not in post.body and "<h2>" not in post.body
    assert thread.site == "everet.org"


def test_wxr_alienlebarge_trackback() -> None:
    parsed, _ = parse(ALIENLEBARGE)
    thread, entry = find_comment(parsed, "54")
    assert thread.url == "http://www.alienlebarge.ch/2007/05/10/joost/"
    assert thread.site == "alienlebarge.ch"
    assert entry.kind == "trackback"
    assert entry.author == "Weblog de Jean-Michel Maurer"
    assert entry.timestamp == utc(2007, 5, 13, 8, 37, 21)
    assert entry.parent_id is None
    assert entry.depth == 1
    assert entry.body.startswith("Joost lève 45 millions de dollars")


def test_wxr_alienlebarge_deep_reply() -> None:
    parsed, _ = parse(ALIENLEBARGE)
    thread, entry = find_comment(parsed, "1209")
    assert entry.author == "alienlebarge"
    assert entry.author_url == "http://www.alienlebarge.ch"
    assert entry.timestamp == utc(2009, 4, 22, 10, 49, 57)
    assert entry.parent_id == entry_id_for(thread.id, "1208")
    assert entry.depth == 5


def test_wxr_dmacvicar_reply() -> None:
    parsed, _ = parse(DMACVICAR)
    thread, entry = find_comment(parsed, "1231")
    assert thread.url == "http://duncan.mac-vicar.com/2012/01/04/new-ruby-rpm-bindings/"
    assert thread.site == "duncan.mac-vicar.com"
    assert entry.kind == "comment"
    assert entry.author == "the Rodent of Unusual Size"
    assert entry.timestamp == utc(2012, 11, 30, 14, 40, 9)
    assert entry.parent_id == entry_id_for(thread.id, "1229")
    assert entry.depth == 3


def test_wxr_dmacvicar_entities_resolved() -> None:
    parsed, _ = parse(DMACVICAR)
    _, entry = find_comment(parsed, "380")
    assert entry.author == "Klaas Groenier"
    assert entry.timestamp == utc(2007, 2, 7, 19, 34, 10)
    # "-&gt;" inside CDATA
    assert "YAST -> Security and Users -> User M" in entry.body
    bodies = {t.url: t.entries[0].body for t in parsed}
    # "&amp;gt;" and "&amp;lt;" inside CDATA: escaped twice
    assert any("tftpd-hpa stop 2>/dev/null" in body for body in bodies.values())
    assert any("RepoController < ApplicationController" in body for body in bodies.values())
    for thread in parsed:
        for e in thread.entries:
            for text in (e.body, e.author or "", e.title or ""):
                assert "&amp;" not in text and "&gt;" not in text and "&lt;" not in text


def test_wxr_cc_labs_mojibake_repaired() -> None:
    parsed, _ = parse(CC_LABS)
    titles = [t.title for t in parsed]
    assert (
        "Summer of Code Project: \u201cOpenOffice.org Writer Add-in for Publishing CC "
        "Licensed Documents\u201d" in titles
    )
    for thread in parsed:
        for e in thread.entries:
            for text in (e.body, e.author or "", e.title or "", thread.title):
                assert "â€" not in text and "Ã" not in text


def test_wxr_cc_labs_reply_and_page() -> None:
    parsed, _ = parse(CC_LABS)
    thread, entry = find_comment(parsed, "81")
    assert entry.kind == "comment"
    assert entry.author == "Nathan Kinkade"
    assert entry.author_url == "http://creativecommons.org"
    assert entry.timestamp == utc(2009, 8, 14, 21, 23, 2)
    assert entry.parent_id == entry_id_for(thread.id, "80")
    assert entry.depth == 2
    assert thread.site == "labs.creativecommons.org"
    first = parsed[0]
    assert first.title == "The CC Tech Blog"
    assert first.tags == ["techblog"]
    assert first.entries[0].author == "nathan"


# -- hand-made files ------------------------------------------------------------------

WXR_10 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
  xmlns:excerpt="http://wordpress.org/export/1.0/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/1.0/">
<channel>
  <title>Old Blog</title>
  <link>http://www.old.example</link>
  <wp:wxr_version>1.0</wp:wxr_version>
  <item>
    <title>Hello &amp; welcome</title>
    <link>http://www.old.example/?p=1</link>
    <dc:creator>admin</dc:creator>
    <category domain="category" nicename="news"><![CDATA[News]]></category>
    <category domain="post_tag" nicename="hi"><![CDATA[hi]]></category>
    <category domain="category" nicename="news"><![CDATA[News]]></category>
    <content:encoded><![CDATA[<p>First <b>post</b></p><p>Second</p>]]></content:encoded>
    <excerpt:encoded><![CDATA[not the body]]></excerpt:encoded>
    <wp:post_id>1</wp:post_id>
    <wp:post_date>2008-01-02 03:04:05</wp:post_date>
    <wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>
    <wp:status>publish</wp:status>
    <wp:post_type>post</wp:post_type>
    <wp:comment>
      <wp:comment_id>7</wp:comment_id>
      <wp:comment_author><![CDATA[Ann]]></wp:comment_author>
      <wp:comment_author_url>http://</wp:comment_author_url>
      <wp:comment_date>2008-01-03 10:00:00</wp:comment_date>
      <wp:comment_date_gmt>0000-00-00 00:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[Local time only]]></wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved>
      <wp:comment_type></wp:comment_type>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
    <wp:comment>
      <wp:comment_id>8</wp:comment_id>
      <wp:comment_author><![CDATA[Spammer]]></wp:comment_author>
      <wp:comment_date>2008-01-03 11:00:00</wp:comment_date>
      <wp:comment_date_gmt>2008-01-03 11:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[buy]]></wp:comment_content>
      <wp:comment_approved>spam</wp:comment_approved>
      <wp:comment_type>comment</wp:comment_type>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
    <wp:comment>
      <wp:comment_id>9</wp:comment_id>
      <wp:comment_author><![CDATA[Bob]]></wp:comment_author>
      <wp:comment_date>2008-01-03 12:00:00</wp:comment_date>
      <wp:comment_date_gmt>2008-01-03 12:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[reply to the spam]]></wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved>
      <wp:comment_type></wp:comment_type>
      <wp:comment_parent>8</wp:comment_parent>
    </wp:comment>
  </item>
  <item>
    <title>photo.jpg</title>
    <link>http://www.old.example/photo.jpg</link>
    <wp:post_id>2</wp:post_id>
    <wp:status>inherit</wp:status>
    <wp:post_type>attachment</wp:post_type>
  </item>
</channel>
</rss>
"""


def test_wxr_version_10_namespace_read() -> None:
    parsed, warnings = parse_bytes(WXR_10)
    assert warnings == []
    assert len(parsed) == 1
    thread = parsed[0]
    assert thread.title == "Hello & welcome"
    assert thread.site == "old.example"
    assert thread.tags == ["News", "hi"]
    assert thread.entries[0].body == "First post\n\nSecond"
    assert [e.author for e in thread.entries] == ["admin", "Ann", "Bob"]


def test_wxr_gmt_zero_falls_back_to_local_time() -> None:
    parsed, _ = parse_bytes(WXR_10)
    post, ann, bob = parsed[0].entries
    # the local fields state no zone: naive, as context.localize leaves them
    assert post.timestamp == datetime(2008, 1, 2, 3, 4, 5)
    assert ann.timestamp == datetime(2008, 1, 3, 10, 0, 0)
    assert (post.utc_offset, ann.utc_offset, bob.utc_offset) == (None, None, 0)
    assert ann.author_url is None
    assert bob.timestamp == utc(2008, 1, 3, 12, 0, 0)


def test_wxr_gmt_zero_fallback_applies_timezone() -> None:
    parsed, _ = parse_bytes(WXR_10, zone=timezone.utc)
    assert parsed[0].entries[1].timestamp == utc(2008, 1, 3, 10, 0, 0)


def test_wxr_reply_to_hidden_comment_hangs_from_post() -> None:
    parsed, _ = parse_bytes(WXR_10)
    bob = parsed[0].entries[2]
    assert bob.parent_id is None
    assert bob.depth == 1


def test_wxr_include_hidden_keeps_spam_with_status() -> None:
    parsed, _ = parse_bytes(WXR_10, include_hidden=True)
    post, ann, spam, bob = parsed[0].entries
    assert (spam.author, spam.kind, spam.status) == ("Spammer", "comment", "spam")
    assert bob.parent_id == spam.id == entry_id_for(parsed[0].id, "8")
    assert bob.depth == 2
    assert [e.position for e in parsed[0].entries] == [0, 1, 2, 3]


def test_wxr_truncated_file_raises_with_line_and_column(tmp_path: Path) -> None:
    data = CEDRICPORTER.read_bytes()
    path = tmp_path / "truncated.xml"
    path.write_bytes(data[:5000])
    with pytest.raises(SourceFormatError) as caught:
        parse(path)
    assert caught.value.path == str(path)
    assert caught.value.line == 58
    assert caught.value.column == 117
    assert "not well-formed XML" in caught.value.reason


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>
<title>&lol3;</title><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
</item></channel></rss>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>
<title>&xxe;</title><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
</item></channel></rss>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomb", "xxe"])
def test_wxr_entity_declarations_refused(data: bytes) -> None:
    with pytest.raises(SourceFormatError) as caught:
        parse_bytes(data)
    assert caught.value.line == 2
    assert "declares XML entities" in caught.value.reason
