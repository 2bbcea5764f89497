"""The comment feed parser, against the three real feeds in tests/data/feed/."""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from threadsearch.errors import SourceFormatError
from threadsearch.model import Thread, canonical_url, entry_id_for, thread_id_for
from threadsearch.sources import SourceContext, get_source
from threadsearch.sources.feed import FeedSource

DATA = Path(__file__).parent / "data" / "feed"
SITE_WIDE = DATA / "whizzy-org-site-comments-feed.rss.xml"
PER_POST = DATA / "whizzy-org-cisco-7941-post-comments-feed.rss.xml"
CZECH = DATA / "jasnapaka-bloguje-cz-comments-iso-8859-2.rss.xml"
CISCO_URL = "https://whizzy.org/2017/02/23/cisco-7941-asterisk-and-sip/"


def parse(path: Path, *, base_url: str | None = None, warnings: list[str] | None = None):
    context = SourceContext(str(path))
    if warnings is not None:
        context.warn = warnings.append
    source = FeedSource(base_url=base_url) if base_url else get_source("feed")
    with path.open("rb") as stream:
        return list(source.parse(stream, context))


def parse_bytes(data: bytes, *, warnings: list[str] | None = None) -> list[Thread]:
    context = SourceContext("feed.xml")
    if warnings is not None:
        context.warn = warnings.append
    return list(get_source("feed").parse(io.BytesIO(data), context))


@pytest.mark.parametrize(
    ("path", "threads", "entries"),
    [(SITE_WIDE, 10, 50), (PER_POST, 1, 38), (CZECH, 10, 10)],
)
def test_feed_counts_per_file(path, threads, entries):
    parsed = parse(path, base_url="https://whizzy.org/")
    assert len(parsed) == threads
    assert sum(len(t.entries) for t in parsed) == entries
    for thread in parsed:
        assert [e.position for e in thread.entries] == list(range(1, len(thread.entries) + 1))
        assert {(e.kind, e.parent_id, e.depth) for e in thread.entries} == {("comment", None, 1)}
        stamps = [e.timestamp for e in thread.entries]
        assert stamps == sorted(stamps)


def test_feed_per_post_matches_saved_page_ids():
    # The saved HTML page of this post (html/whizzy-org-cisco-7941-asterisk-and-sip.html)
    # keys its thread and comments the same way, so both files give one set of documents.
    (thread,) = parse(PER_POST, base_url="https://whizzy.org/")
    tid = thread_id_for(canonical_url(CISCO_URL))
    numbers = re.findall(r"#comment-(\d+)</link>", PER_POST.read_text("utf-8"))
    assert len(numbers) == 38
    assert thread.id == tid
    assert sorted(e.id for e in thread.entries) == sorted(entry_id_for(tid, n) for n in numbers)
    assert thread.title == "Cisco 7941, Asterisk and SIP"
    assert thread.url == CISCO_URL
    assert thread.site == "whizzy.org"


def test_feed_per_post_first_entry():
    (thread,) = parse(PER_POST, base_url="https://whizzy.org/")
    first = thread.entries[0]
    assert first.id == entry_id_for(thread.id, "136")
    assert first.author == "Adan"
    assert first.timestamp == datetime(2017, 2, 26, 16, 48, 15, tzinfo=timezone.utc)
    assert first.kind == "comment"
    assert first.parent_id is None
    assert first.url == CISCO_URL + "#comment-136"
    assert first.body.startswith("Hey, wondering if you can help me, also have a 7941")
    last = thread.entries[-1]
    assert (last.author, last.timestamp) == (
        "Ricardo",
        datetime(2021, 5, 19, 18, 49, 15, tzinfo=timezone.utc),
    )
    # content:encoded wins over description: its paragraphs and curly quote survive.
    assert "it wouldn’t upgrade" in last.body
    assert "\n\nThank you for the tutorial" in last.body


def test_feed_site_wide_groups_items_by_post():
    threads = parse(SITE_WIDE, base_url="https://whizzy.org/")
    sizes = {t.url.removeprefix("https://whizzy.org"): len(t.entries) for t in threads}
    assert sizes == {
        "/2017/02/23/cisco-7941-asterisk-and-sip/": 25,
        "/2021/01/02/double-helping-of-pi-hole/": 4,
        "/2014/01/04/raspberry-pi-powered-heating-controller-part-1/": 1,
        "/2015/06/11/howto-very-low-power-usage-on-pro-mini-v2-arduino-clone/": 5,
        "/2012/03/08/over-engineering-ftw/": 3,
        "/2014/02/04/raspberry-pi-powered-heating-controller-part-4/": 2,
        "/2015/05/23/multipathrouting-rasppi2/": 1,
        "/2017/03/27/retrieving-user-profile-data-from-login-with-amazon-on-alexa/": 5,
        "/2016/10/13/apache-20-second-lag-before-serving-pages/": 1,
        "/2016/12/05/howto-add-oauth-to-your-alexa-smart-home-skill-in-10-minutes/": 3,
    }
    cisco = threads[0]
    # "Comment on Cisco 7941, Asterisk and SIP by amar": the post's own title, not the
    # slug ("cisco-7941-asterisk-and-sip").
    assert cisco.title == "Cisco 7941, Asterisk and SIP"
    assert {t.url.removeprefix("https://whizzy.org"): t.title for t in threads[1:4]} == {
        "/2021/01/02/double-helping-of-pi-hole/": "Double helping of Pi Hole",
        "/2014/01/04/raspberry-pi-powered-heating-controller-part-1/": (
            "Raspberry Pi powered heating controller (Part 1)"
        ),
        "/2015/06/11/howto-very-low-power-usage-on-pro-mini-v2-arduino-clone/": (
            "HOWTO: Very low power usage on Pro Mini V2 (Arduino clone)"
        ),
    }
    assert cisco.id == thread_id_for(canonical_url(CISCO_URL))
    first = cisco.entries[0]
    assert first.id == entry_id_for(cisco.id, "149")
    assert first.author == "amar"
    assert first.timestamp == datetime(2017, 12, 2, 21, 53, 56, tzinfo=timezone.utc)


def test_feed_relative_links_without_base_are_warned_about():
    warnings: list[str] = []
    (thread,) = parse(PER_POST, warnings=warnings)
    assert thread.site is None
    assert thread.url == "/2017/02/23/cisco-7941-asterisk-and-sip/"
    assert thread.id == thread_id_for(canonical_url("/2017/02/23/cisco-7941-asterisk-and-sip/"))
    assert warnings == [
        f"{PER_POST}: the item links are relative and the feed names no site; threads are "
        "keyed by the URL path alone (give a base URL to fix this)"
    ]


def test_feed_czech_iso_8859_2_with_control_character():
    warnings: list[str] = []
    threads = parse(CZECH, warnings=warnings)
    assert warnings == [f"{CZECH}, line 62: removed a control character XML forbids"]
    first = threads[0]
    assert first.url == "http://jasnapaka.bloguje.cz/721272-vzhled-google-chrome-pro-firefox.php"
    assert first.id == thread_id_for(canonical_url(first.url))
    # The item title "(Vzhled Google Chrome pro Firefox) - excerpt..." names the post.
    assert first.title == "Vzhled Google Chrome pro Firefox"
    assert first.site == "jasnapaka.bloguje.cz"
    (entry,) = first.entries
    assert entry.id == entry_id_for(first.id, "cmt_5")
    assert entry.author == "Honzisko"
    assert entry.timestamp == datetime(2010, 1, 9, 17, 22, 59, tzinfo=timezone.utc)
    assert entry.kind == "comment"
    assert entry.parent_id is None
    assert "dlouhá léta sem byl věrný firefoxu" in entry.body


def test_feed_czech_empty_author_is_none():
    threads = parse(CZECH)
    authors = [t.entries[0].author for t in threads]
    assert authors.count(None) == 1
    (skyfire,) = [t for t in threads if "skyfire" in (t.url or "")]
    assert skyfire.entries[0].author is None
    # +0100 in the feed, so 11:45:30 local is 10:45:30 UTC.
    assert skyfire.entries[0].timestamp == datetime(2009, 11, 27, 10, 45, 30, tzinfo=timezone.utc)


def test_feed_without_items_raises():
    with pytest.raises(SourceFormatError, match="no items: nothing to ingest"):
        parse_bytes(b'<rss version="2.0"><channel><title>Empty</title></channel></rss>')


def test_feed_truncated_raises_with_line_and_column():
    with pytest.raises(SourceFormatError) as caught:
        parse_bytes(SITE_WIDE.read_bytes()[:30_000])
    assert caught.value.path == "feed.xml"
    assert (caught.value.line, caught.value.column) == (518, 2)
    assert "not well-formed XML" in caught.value.reason


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Comments on: Hello World</title>
  <link rel="self" href="https://example.org/hello-world/feed/atom/"/>
  <link rel="alternate" href="https://www.example.org/hello-world/"/>
  <entry>
    <title>By: Bob</title>
    <link rel="alternate" href="https://www.example.org/hello-world/#comment-12"/>
    <author><name>Bob</name></author>
    <published>2020-01-02T09:30:00+01:00</published>
    <content type="html">&lt;p&gt;Second.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>By: Alice</title>
    <link rel="alternate" href="https://www.example.org/hello-world/#comment-11"/>
    <author><name>alice@example.org (Alice)</name></author>
    <updated>2020-01-01T12:00:00Z</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>First <b>comment</b>.</p>
      <p>Two.</p></div></content>
  </entry>
</feed>"""


def test_feed_atom_per_post():
    (thread,) = parse_bytes(ATOM)
    assert thread.title == "Hello World"
    assert thread.id == thread_id_for("https://example.org/hello-world")
    assert thread.site == "example.org"
    alice, bob = thread.entries
    assert (alice.id, alice.author, alice.body) == (
        entry_id_for(thread.id, "11"),
        "Alice",
        "First comment.\n\nTwo.",
    )
    assert alice.timestamp == datetime(2020, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert (bob.author, bob.body, bob.position) == ("Bob", "Second.", 2)
    assert bob.timestamp == datetime(2020, 1, 2, 8, 30, tzinfo=timezone.utc)


RSS = b"""<rss version="2.0"><channel><title>Comments</title><link>http://blog.example/</link>
<item><link>http://blog.example/p/1</link><guid>c-7</guid><author>me@example.org</author>
<pubDate>Tue, 08 Dec 2009 07:29:11 -0000</pubDate><description>plain &amp;amp; simple</description>
</item>
<item><author>x@example.org (X)</author><description>no link</description></item>
<item><link>http://blog.example/p/1</link><guid>c-7</guid><pubDate>not a date</pubDate></item>
</channel></rss>"""


def test_feed_odd_items_are_warned_about():
    warnings: list[str] = []
    (thread,) = parse_bytes(RSS, warnings=warnings)
    (entry,) = thread.entries
    assert thread.title == "1"
    assert entry.id == entry_id_for(thread.id, "c-7")
    assert entry.author is None  # a bare e-mail address names no one
    # -0000: zone unknown, so naive (the index reads it as UTC) with no offset
    assert entry.timestamp == datetime(2009, 12, 8, 7, 29, 11)
    assert entry.utc_offset is None
    assert entry.body == "plain & simple"
    assert warnings == [
        "feed.xml, line 5: an item has no link, so the post it comments on is unknown; skipped",
        "feed.xml, line 6 (http://blog.example/p/1): unreadable date 'not a date'; kept undated",
        "feed.xml, line 6: a second item for the same comment (http://blog.example/p/1); skipped",
    ]


def test_feed_site_wide_takes_host_from_channel_title():
    # "Comments for whizzy.org": the only host-shaped word in a site-wide feed's title.
    warnings: list[str] = []
    threads = parse(SITE_WIDE, warnings=warnings)
    assert warnings == [
        f"{SITE_WIDE}: the feed's links are host-relative; took the host whizzy.org from "
        "the channel title"
    ]
    assert threads[0].id == thread_id_for(canonical_url(CISCO_URL))
    assert {t.site for t in threads} == {"whizzy.org"}


def test_feed_czech_truncated_item_title_falls_back_to_the_slug():
    # "(Arora...) - excerpt": the site cut the title short; the slug says more.
    titles = {t.url.rsplit("/", 1)[1]: t.title for t in parse(CZECH)}
    assert titles["727744-arora-zajimavy-webovy-prohlizec-postaveny-na-webkitu.php"] == (
        "Arora zajimavy webovy prohlizec postaveny na webkitu"
    )
    assert titles["404022-jak-do-firefoxu-2-0-pridat-webovou-rss-ctecku.php"] == (
        "Jak do Firefoxu 2.0 přidat webovou RSS čtečku"
    )


BIGREDTIN = DATA / "bigredtin-comments-feed.atom.xml"


def test_feed_atom_in_reply_to_threads_replies():
    # SOURCES.md: 8 entries answer their post, 2 a comment: comment-2323 (in the feed)
    # and comment-2321 (not in the feed, so named but absent).
    threads = parse(BIGREDTIN)
    (themes,) = [t for t in threads if t.url == "http://bigredtin.com/2011/wordpress-theme-elements/"]
    assert themes.title == "WordPress Theme Elements"
    tid = themes.id
    shape = [(e.id, e.author, e.parent_id, e.depth) for e in themes.entries]
    assert shape == [
        (entry_id_for(tid, "2322"), "Peter Wilson", entry_id_for(tid, "2321"), 2),
        (entry_id_for(tid, "2323"), "Thao", None, 1),
        (entry_id_for(tid, "2324"), "Peter Wilson", entry_id_for(tid, "2323"), 2),
        (entry_id_for(tid, "2326"), "Edward Caissie", None, 1),
    ]
    others = [e for t in threads if t is not themes for e in t.entries]
    assert {(e.parent_id, e.depth) for e in others} == {(None, 1)}
    assert [t.title for t in threads] == [
        "Including WordPress’s comment-reply.js (the right way)",
        "Selectivizr with CSS on a sub-domain",
        "Usability, Trust and the iPad",
        "!important is Important",
        "WordPress Theme Elements",
    ]


def test_feed_atom_in_reply_to_another_entrys_id():
    # Blogger-style: the ref is the parent entry's <id>, with no #comment-N anywhere.
    feed = b"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0">
<title>Comments</title><link rel="alternate" href="https://b.example/"/>
<entry><id>tag:b.example,1999:post-1.c-2</id><title>Re</title>
<link rel="alternate" href="https://b.example/p.html#c2"/><author><name>B</name></author>
<published>2020-01-02T00:00:00Z</published><content type="text">Two</content>
<thr:in-reply-to ref="tag:b.example,1999:post-1.c-1"/></entry>
<entry><id>tag:b.example,1999:post-1.c-1</id><title>Hi</title>
<link rel="alternate" href="https://b.example/p.html#c1"/><author><name>A</name></author>
<published>2020-01-01T00:00:00Z</published><content type="text">One</content>
<thr:in-reply-to ref="tag:b.example,1999:post-1"/></entry></feed>"""
    threads = parse_bytes(feed)
    entries = sorted((e for t in threads for e in t.entries), key=lambda e: e.body)
    one, two = entries
    assert (one.body, one.parent_id, one.depth) == ("One", None, 1)
    assert (two.body, two.depth) == ("Two", 2)
    assert two.parent_id == one.id


def site_wide_feed(*items: tuple[str, str, str | None]) -> bytes:
    """A site-wide RSS comment feed: (post slug, item title, dc:creator or None) per item."""
    parts = []
    for number, (slug, title, creator) in enumerate(items, start=1):
        who = f"<dc:creator>{creator}</dc:creator>" if creator else ""
        parts.append(
            f"<item><title>{title}</title><link>https://blog.example/{slug}/#comment-{number}"
            f"</link>{who}<description>c{number}</description></item>"
        )
    return (
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>Comments</title><link>https://blog.example/</link>"
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("title", "post", "author"),
    [
        ("Comment on Tea &#8220;for&#8221; two by Ann", "Tea “for” two", "Ann"),
        ("Kommentar zu Grüße aus „Köln“ von Jörg Müller", "Grüße aus „Köln“", "Jörg Müller"),
        ("Commentaire sur L’été à Paris par Zoé", "L’été à Paris", "Zoé"),
        ("Comentario en Año nuevo por José", "Año nuevo", "José"),
        ("Commento su Perché no di Luca", "Perché no", "Luca"),
        ("Commento su Perché no da Luca", "Perché no", "Luca"),
        ("Comentário sobre Coração por João", "Coração", "João"),
        ("Reactie op Één keer door Daan", "Één keer", "Daan"),
        ("Skomentuj Żółta łódź, którego autorem jest Paweł", "Żółta łódź", "Paweł"),
        ("Komentarz do Żółta łódź od Paweł", "Żółta łódź", "Paweł"),
        ("Komentář k Přílišná žluť od Jiří", "Přílišná žluť", "Jiří"),
    ],
)
def test_feed_localised_item_titles_give_post_title_and_author(title, post, author):
    # With no dc:creator the author comes from the title too.
    (with_creator,) = parse_bytes(site_wide_feed(("a-post", title, author)))
    (without,) = parse_bytes(site_wide_feed(("a-post", title, None)))
    assert (with_creator.title, with_creator.entries[0].author) == (post, author)
    assert (without.title, without.entries[0].author) == (post, author)


def test_feed_item_title_split_at_the_known_author():
    # The post title holds " by "; the item's dc:creator says where the author starts.
    feed = site_wide_feed(("p", "Comment on Stand by me by Ben E. King", "Ben E. King"))
    (thread,) = parse_bytes(feed)
    assert thread.title == "Stand by me"


def test_feed_item_titles_of_other_shapes_leave_the_slug():
    feed = site_wide_feed(("my-first-post", "Re: hello", "Ann"), ("other", "By: Bob", "Bob"))
    assert [t.title for t in parse_bytes(feed)] == ["My first post", "Other"]


def test_feed_guid_permalink_stands_in_for_a_missing_link():
    feed = b"""<rss version="2.0"><channel><title>C</title><link>https://blog.example/</link>
<item><guid>https://blog.example/p/#comment-4</guid><description>x</description></item>
<item><guid isPermaLink="false">c-5</guid><description>y</description></item>
</channel></rss>"""
    warnings: list[str] = []
    (thread,) = parse_bytes(feed, warnings=warnings)
    assert [e.id for e in thread.entries] == [entry_id_for(thread.id, "4")]
    assert thread.url == "https://blog.example/p/"
    assert warnings == [
        "feed.xml, line 3: an item has no link, so the post it comments on is unknown; skipped"
    ]


def test_feed_localised_dates_read_and_partial_dates_left_unknown():
    feed = b"""<rss version="2.0"><channel><title>C</title><link>https://blog.example/</link>
<item><link>https://blog.example/p/#comment-1</link>
<pubDate>31. Oktober 2011 um 08:56</pubDate></item><item>
<link>https://blog.example/p/#comment-2</link>
<pubDate>2014\xe5\xb9\xb43\xe6\x9c\x885\xe6\x97\xa5 14:05</pubDate></item>
<item><link>https://blog.example/p/#comment-3</link><pubDate>31 Oct 08:56</pubDate></item>
</channel></rss>"""
    warnings: list[str] = []
    (thread,) = parse_bytes(feed, warnings=warnings)
    stamps = {e.id: e.timestamp for e in thread.entries}
    assert stamps == {
        entry_id_for(thread.id, "1"): datetime(2011, 10, 31, 8, 56),
        entry_id_for(thread.id, "2"): datetime(2014, 3, 5, 14, 5),
        entry_id_for(thread.id, "3"): None,
    }
    # No year: dateutil would take this year's; the entry stays undated instead.
    assert warnings == [
        "feed.xml, line 6 (https://blog.example/p/#comment-3): unreadable date "
        "'31 Oct 08:56'; kept undated"
    ]
