"""Saved blog post pages: the two real pages in tests/data/html and small hand-made ones."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from threadsearch.dates import parse_page_date
from threadsearch.errors import SourceFormatError
from threadsearch.model import Entry, Thread, canonical_url, entry_id_for, thread_id_for
from threadsearch.sources import SourceContext, get_source

DATA = Path(__file__).parent / "data" / "html"
WHIZZY = DATA / "whizzy-org-cisco-7941-asterisk-and-sip.html"
NETAPP = DATA / "aboutnetapp-ru-archives-1272.html"
WHIZZY_URL = "https://whizzy.org/2017/02/23/cisco-7941-asterisk-and-sip/"
WHIZZY_NUMBERS = [*range(136, 172), 6648, 7480]
LONDON = ZoneInfo("Europe/London")


def parse(path: Path, **options: Any) -> list[Thread]:
    with open(path, "rb") as stream:
        return list(get_source("html").parse(stream, SourceContext(str(path), **options)))


def parse_text(markup: str, **options: Any) -> list[Thread]:
    stream = io.BytesIO(markup.encode("utf-8"))
    return list(get_source("html").parse(stream, SourceContext("page.html", **options)))


def by_number(thread: Thread, number: int) -> Entry:
    wanted = entry_id_for(thread.id, str(number))
    return next(entry for entry in thread.entries if entry.id == wanted)


@pytest.mark.parametrize(
    ("name", "comments", "declared"),
    [(WHIZZY.name, 38, 38), (NETAPP.name, 92, 92)],
)
def test_webpage_sample_files_yield_one_thread(name: str, comments: int, declared: int) -> None:
    (thread,) = parse(DATA / name)
    kinds = Counter(entry.kind for entry in thread.entries)
    assert kinds == {"post": 1, "comment": comments}
    assert thread.entries[0].kind == "post"
    assert [entry.position for entry in thread.entries] == list(range(comments + 1))
    assert thread.declared_count == declared
    assert all(entry.body for entry in thread.entries)


# --- whizzy.org: threaded, mangled <liclass> items, host-relative links ----------------


def test_webpage_whizzy_thread_id_matches_the_feed_convention() -> None:
    warnings: list[str] = []
    (thread,) = parse(WHIZZY, warn=warnings.append)
    tid = thread_id_for(canonical_url(WHIZZY_URL))
    assert thread.id == tid
    assert thread.url == WHIZZY_URL
    assert thread.site == "whizzy.org"
    assert thread.title == "Cisco 7941, Asterisk and SIP"
    assert thread.tags == ["asterisk", "Making the world a better place", "RaspberryPi"]
    assert warnings == [
        f"{WHIZZY}: the page's links are host-relative; took the host whizzy.org from the site name"
    ]


def test_webpage_whizzy_comment_ids_are_wordpress_comment_numbers() -> None:
    (thread,) = parse(WHIZZY)
    tid = thread_id_for(canonical_url(WHIZZY_URL))
    ids = [entry.id for entry in thread.entries[1:]]
    assert sorted(ids) == sorted(entry_id_for(tid, str(n)) for n in WHIZZY_NUMBERS)
    assert thread.entries[0].id == entry_id_for(tid, "post")


def test_webpage_whizzy_depths_follow_the_reply_lists() -> None:
    (thread,) = parse(WHIZZY)
    depths = Counter(entry.depth for entry in thread.entries[1:])
    assert depths == {1: 28, 2: 8, 3: 2}


def test_webpage_whizzy_post() -> None:
    (thread,) = parse(WHIZZY)
    post = thread.entries[0]
    assert post.title == "Cisco 7941, Asterisk and SIP"
    assert post.author == "will"
    assert post.local_timestamp == datetime(2017, 2, 23)
    assert post.depth == 0 and post.parent_id is None
    assert post.url == WHIZZY_URL
    assert post.body.startswith("Edit: I heard that Cisco have now removed the SIP firmware")
    assert post.body.endswith("showing the boot up for a fully configured phone")
    assert "Posted by" not in post.body
    assert "Github Discussions" not in post.body


def test_webpage_whizzy_top_level_comment() -> None:
    (thread,) = parse(WHIZZY)
    comment = thread.entries[1]
    assert comment.id == entry_id_for(thread.id, "136")
    assert comment.kind == "comment"
    assert comment.author == "Adan"
    assert comment.author_url is None
    assert comment.local_timestamp == datetime(2017, 2, 26, 16, 48)
    assert comment.parent_id is None
    assert comment.depth == 1
    assert comment.url == WHIZZY_URL + "#comment-136"
    assert comment.body.startswith("Hey, wondering if you can help me")
    assert "\n\nAre you using SIP or PJSIP" in comment.body
    assert "Adan" not in comment.body and "February" not in comment.body


def test_webpage_whizzy_replies_know_their_parents() -> None:
    (thread,) = parse(WHIZZY)
    reply = by_number(thread, 137)
    assert reply.author == "Will Cooke"
    assert reply.author_url == "https://whizzy.org/"
    assert reply.local_timestamp == datetime(2017, 2, 27, 20, 30)
    assert reply.parent_id == entry_id_for(thread.id, "136")
    assert reply.depth == 2
    assert reply.body.startswith("Hi Adan!\n\nI read somewhere")
    nested = by_number(thread, 158)
    assert nested.author == "Ashok kumar"
    assert nested.parent_id == reply.id
    assert nested.depth == 3
    # The export lost the top-level </li> tags; later top-level comments are still top level.
    assert by_number(thread, 138).parent_id is None
    assert by_number(thread, 7480).depth == 1


def test_webpage_whizzy_with_timezone_gives_utc() -> None:
    (thread,) = parse(WHIZZY, timezone=LONDON)
    winter = by_number(thread, 136)
    assert winter.local_timestamp == datetime(2017, 2, 26, 16, 48, tzinfo=timezone.utc)
    summer = by_number(thread, 6648)  # April 22, 2021 at 5:11 pm, British Summer Time
    assert summer.local_timestamp == datetime(2021, 4, 22, 16, 11, tzinfo=timezone.utc)
    assert thread.entries[0].local_timestamp == datetime(2017, 2, 23, tzinfo=timezone.utc)


def feed_times(corpora: Path) -> dict[str, datetime]:
    """Comment number -> the per-post feed's UTC pubDate, cut to the minute as the page is."""
    feed = corpora / "rss" / "whizzy-org-cisco-7941-post-comments-feed.rss.xml"
    times: dict[str, datetime] = {}
    for item in etree.parse(str(feed)).iter("item"):
        number = item.findtext("link", "").rpartition("#comment-")[2]
        published = parsedate_to_datetime(item.findtext("pubDate", ""))
        times[number] = published.astimezone(timezone.utc).replace(second=0)
    return times


def page_times(**options: Any) -> dict[str, datetime]:
    (thread,) = parse(WHIZZY, **options)
    return {
        e.id.rpartition("-")[2]: e.local_timestamp for e in thread.entries[1:] if e.local_timestamp
    }


def test_webpage_whizzy_local_times_are_the_feeds_plus_0_or_1_hour(corpora: Path) -> None:
    utc = feed_times(corpora)
    local = page_times()
    assert sorted(utc) == sorted(local) == sorted(map(str, WHIZZY_NUMBERS))
    offsets = {n: local[n] - utc[n].replace(tzinfo=None) for n in utc}
    assert Counter(offsets.values()) == {timedelta(0): 36, timedelta(hours=1): 2}
    # The +1 h pair are the two 2021 comments: the blog showed UTC until late 2020, even
    # in British Summer Time, and Europe/London time from then on.
    assert {n for n, offset in offsets.items() if offset} == {"6648", "7480"}


def test_webpage_whizzy_with_london_time_agrees_with_the_feed(corpora: Path) -> None:
    """Europe/London makes the page agree with the feed to the minute, except for the
    comments of 2017-2020 written in summer time, which the blog then showed in UTC."""
    utc = feed_times(corpora)
    london = page_times(timezone=LONDON)
    for number, feed_time in utc.items():
        in_bst = bool(feed_time.astimezone(LONDON).dst())
        early = timedelta(hours=1) if in_bst and feed_time.year < 2021 else timedelta(0)
        assert london[number] == feed_time - early, number
    agreeing = sorted(int(n) for n in utc if london[n] == utc[n])
    # Winter comments, and the two of 2021 (in British Summer Time): 16 of 38.
    winter = [136, 137, 138, 139, 147, 148, 149, 150, 157, 158, 159, 160, 164, 165]
    assert agreeing == [*winter, 6648, 7480]


# --- aboutnetapp.ru: Russian, flat, unclosed <cite>, no host anywhere ------------------


def test_webpage_netapp_thread() -> None:
    warnings: list[str] = []
    (thread,) = parse(NETAPP, warn=warnings.append)
    assert thread.title == "Что HP думает о NetApp, и как все обстоит на самом деле. Часть 1"
    assert thread.url is None
    assert thread.site == "about NetApp"
    assert thread.id == thread_id_for("1272/trackback.html")
    assert thread.tags == ["3Par", "fud", "hp", "netapp", "storeserv", "justread", "techtalk"]
    assert warnings == [
        f"{NETAPP}: the page names no host, so its thread id comes from "
        "'1272/trackback.html' and will not match a feed or export of the same post"
    ]


def test_webpage_netapp_post() -> None:
    (thread,) = parse(NETAPP)
    post = thread.entries[0]
    assert post.author is None
    assert post.local_timestamp == datetime(2013, 8, 5, 8, 0)
    assert post.body.startswith("Пару недель назад мне в руки попал текст")
    assert post.body.endswith("вторая половина документа – в следующем посте. Продолжение следует.")
    assert "Метки" not in post.body


def test_webpage_netapp_comments_are_flat() -> None:
    (thread,) = parse(NETAPP)
    comments = thread.entries[1:]
    assert {(entry.depth, entry.parent_id) for entry in comments} == {(1, None)}
    first = comments[0]
    assert first.id == entry_id_for(thread.id, "8837")
    assert first.kind == "comment"
    assert first.author == "Евгений"
    assert first.local_timestamp == datetime(2013, 8, 5, 12, 52)
    assert first.body.startswith("Я так понимаю у HP это нормальная практика")
    assert first.url is None
    assert comments[-1].author == "litweg"
    assert comments[-1].local_timestamp == datetime(2013, 9, 30, 3, 12)


def test_webpage_netapp_linked_author_loses_the_colon() -> None:
    (thread,) = parse(NETAPP)
    linked = by_number(thread, 8855)
    assert linked.author == "Андрей Вахитов"
    assert linked.author_url == "http://vmind.ru"
    assert linked.local_timestamp == datetime(2013, 8, 6, 0, 38)
    assert by_number(thread, 8840).author == "romx"
    assert by_number(thread, 8840).author_url is None  # "../index.html" names no host
    assert by_number(thread, 8840).body.startswith("Евгений:\n\nТолерантнее надо быть.")


def test_webpage_netapp_with_timezone_gives_utc() -> None:
    (thread,) = parse(NETAPP, timezone=ZoneInfo("Europe/Moscow"))
    linked = by_number(thread, 8855)
    assert linked.timestamp == datetime(2013, 8, 5, 20, 38, tzinfo=timezone.utc)
    assert linked.utc_offset == 240  # Moscow, 2013


# --- hand-made pages -------------------------------------------------------------------

POST_ONLY = """<!DOCTYPE html><html><head><title>Hello &#8211; Example</title>
<link rel="canonical" href="https://www.example.org/2020/01/hello/"></head><body>
<nav><a href="/">Home</a></nav>
<article id="post-7" class="post-7 post type-post hentry">
<h1 class="entry-title">Hello</h1>
<div class="entry-meta"><time class="entry-date published" datetime="2020-01-05T10:00:00+01:00">
January 5, 2020</time> by <span class="author vcard"><a class="url fn n" href="/author/ann/">Ann
</a></span></div>
<div class="entry-content"><p>First.</p><p>Second.</p></div>
</article><aside id="sidebar"><p>Recent posts</p></aside><footer>Powered by WordPress</footer>
</body></html>"""


def test_webpage_page_without_comments_still_gives_the_post() -> None:
    (thread,) = parse_text(POST_ONLY)
    assert thread.id == thread_id_for("https://example.org/2020/01/hello")
    assert thread.site == "example.org"
    assert thread.declared_count is None
    (post,) = thread.entries
    assert post.id == entry_id_for(thread.id, "post")
    assert post.title == "Hello"
    assert post.author == "Ann"
    assert post.local_timestamp == datetime(2020, 1, 5, 9, 0, tzinfo=timezone.utc)
    assert post.body == "First.\n\nSecond."


THREADED = """<html><head><meta property="og:url" content="http://blog.example.com/p/1">
</head><body><div class="post" id="post-1"><h2 class="posttitle">A post</h2>
<div class="entry"><p>Body.</p></div></div>
<div id="comments"><h3 class="comments-title">4 Responses</h3><ol class="commentlist">
<li class="comment depth-1" id="comment-1"><div class="comment-author vcard">
<cite class="fn">Bob</cite> <span class="says">says:</span></div>
<div class="comment-meta commentmetadata"><a href="#comment-1">3 March 2015 at 9:05 am</a></div>
<p>Hello</p><p>Second paragraph</p>
<div class="reply"><a class="comment-reply-link" href="#">Reply</a></div>
<ol class="children"><li class="comment depth-2" id="comment-2">
<div class="comment-author vcard"><cite class="fn">Eve</cite></div>
<em class="comment-awaiting-moderation">Your comment is awaiting moderation.</em>
<div class="comment-meta">3 March 2015 at 10:00 am</div><p>Spam?</p>
<ol class="children"><li class="comment depth-3" id="li-comment-3"><div id="comment-3">
<div class="comment-author vcard"><cite class="fn">Carl</cite></div>
<div class="comment-meta">4 March 2015 at 12:30 pm</div><p>Reply to Eve</p></div></li></ol>
</li></ol></li>
<li class="pingback" id="comment-4"><div class="comment-author"><cite class="fn">
<a href="http://other.example/post">Other blog</a></cite></div><p>Pinged</p></li>
</ol></div></body></html>"""


def test_webpage_threaded_page_skips_unmoderated_comments() -> None:
    (thread,) = parse_text(THREADED)
    tid = thread_id_for("https://blog.example.com/p/1")
    assert thread.id == tid
    assert thread.declared_count == 4
    rows = [(e.id, e.kind, e.author, e.parent_id, e.depth, e.position) for e in thread.entries]
    assert rows == [
        (f"{tid}-post", "post", None, None, 0, 0),
        (f"{tid}-1", "comment", "Bob", None, 1, 1),
        (f"{tid}-3", "comment", "Carl", f"{tid}-1", 2, 2),
        (f"{tid}-4", "pingback", "Other blog", None, 1, 3),
    ]
    bob = thread.entries[1]
    assert bob.body == "Hello\n\nSecond paragraph"
    assert bob.local_timestamp == datetime(2015, 3, 3, 9, 5)
    assert bob.url == "http://blog.example.com/p/1#comment-1"
    assert thread.entries[2].body == "Reply to Eve"
    assert thread.entries[3].author_url == "http://other.example/post"


def test_webpage_include_hidden_keeps_unmoderated_comments() -> None:
    (thread,) = parse_text(THREADED, include_hidden=True)
    tid = thread.id
    rows = [(e.author, e.status, e.parent_id, e.depth) for e in thread.entries[1:]]
    assert rows == [
        ("Bob", "approved", None, 1),
        ("Eve", "unapproved", f"{tid}-1", 2),
        ("Carl", "approved", f"{tid}-2", 3),
        ("Other blog", "approved", None, 1),
    ]
    assert thread.entries[2].body == "Spam?"


def test_webpage_not_a_blog_page_raises() -> None:
    with pytest.raises(SourceFormatError) as caught:
        parse_text("<html><body><p>hi</p></body></html>")
    assert caught.value.path == "page.html"
    assert caught.value.reason == "no blog post and no comment list found in the page"
    assert caught.value.hint is not None and "ol.commentlist" in caught.value.hint


def test_webpage_empty_file_raises() -> None:
    with pytest.raises(SourceFormatError, match="page.html: the file is empty"):
        parse_text("  \n")


def test_webpage_latin1_page_is_decoded_by_its_meta_charset() -> None:
    markup = POST_ONLY.replace("<p>First.</p>", "<p>Café.</p>").replace(
        "<head>", '<head><meta charset="iso-8859-1"><meta charset="iso-8859-1">'
    )
    stream = io.BytesIO(markup.encode("latin-1"))
    (thread,) = get_source("html").parse(stream, SourceContext("page.html"))
    assert thread.entries[0].body == "Café.\n\nSecond."


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("February 26, 2017 at 4:48 pm", datetime(2017, 2, 26, 16, 48)),
        ("March 1, 2017 at 12:05 am", datetime(2017, 3, 1, 0, 5)),
        ("Feb 26th, 2017", datetime(2017, 2, 26)),
        ("6 Август 2013, 0:38", datetime(2013, 8, 6, 0, 38)),
        ("30 Сентябрь 2013, 3:12", datetime(2013, 9, 30, 3, 12)),
        ("6 августа 2013 в 0:38", datetime(2013, 8, 6, 0, 38)),
        ("6 серпня 2013 о 10:38", datetime(2013, 8, 6, 10, 38)),
        ("26 février 2017 à 16 h 48", datetime(2017, 2, 26, 16, 48)),
        ("1er mai 2017", datetime(2017, 5, 1)),
        ("26. Februar 2017 um 16:48 Uhr", datetime(2017, 2, 26, 16, 48)),
        ("3. März 2017", datetime(2017, 3, 3)),
        ("26 de febrero de 2017 a las 16:48", datetime(2017, 2, 26, 16, 48)),
        ("26. února 2017 v 16:48", datetime(2017, 2, 26, 16, 48)),
        ("5. červenec 2016", datetime(2016, 7, 5)),
        ("12 października 2019, 08:15", datetime(2019, 10, 12, 8, 15)),
        ("2017-02-26 16:48:09", datetime(2017, 2, 26, 16, 48, 9)),
        ("26.02.2017 16:48", datetime(2017, 2, 26, 16, 48)),
        ("26 March 2017 16:48 UTC", datetime(2017, 3, 26, 16, 48, tzinfo=timezone.utc)),
    ],
)
def test_parse_page_date_reads_many_languages(text: str, expected: datetime) -> None:
    assert parse_page_date(text) == expected


@pytest.mark.parametrize("text", ["no date here", "02/03/2017", "31 February 2017", ""])
def test_parse_page_date_refuses_what_it_cannot_know(text: str) -> None:
    assert parse_page_date(text) is None
