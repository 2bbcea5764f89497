"""Saved pages from themes other than WordPress's default: comments found by structure.

The small pages in tests/data/html/shapes/ were written for these tests, one per shape
(microformats, schema.org microdata and JSON-LD, Blogger old and new, Drupal, a theme of its own,
WordPress pingbacks printed bare). The two real pages (bigredtin's ``ol.commentsList``,
thesocietea's Disqus fallback in a page-cache file) are in tests/data/html/.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from threadsearch.model import Entry, Thread, canonical_url, entry_id_for, thread_id_for
from threadsearch.sources import SourceContext, get_source

HTML = Path(__file__).parent / "data" / "html"
SHAPES = HTML / "shapes"
BIGREDTIN = HTML / "bigredtin-including-wordpress-comment-reply-js.html"
THESOCIETEA = HTML / "thesocietea-json-api-rails-part-1-wpsupercache.html"


def parse_bytes(data: bytes, name: str = "page.html", **options: Any) -> Thread:
    stream = io.BytesIO(data)
    (thread,) = get_source("html").parse(stream, SourceContext(name, **options))
    return thread


def parse(path: Path, **options: Any) -> Thread:
    return parse_bytes(path.read_bytes(), str(path), **options)


def rows(thread: Thread) -> list[tuple[Any, ...]]:
    """(local id or None, kind, author, parent's local id, depth, local time, body) per comment."""

    def local(entry_id: str | None) -> str | None:
        if entry_id is None:
            return None
        rest = entry_id.removeprefix(thread.id + "-")
        return rest if rest.isdigit() else "~"  # a content-derived id

    return [
        (
            local(e.id),
            e.kind,
            e.author,
            local(e.parent_id),
            e.depth,
            e.local_timestamp,
            e.body,
        )
        for e in thread.entries
        if e.kind != "post"
    ]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# --- the hand-made shapes --------------------------------------------------------------


def test_webpage_microformats_h_cite_comments_nest_without_a_list() -> None:
    thread = parse(SHAPES / "microformats.html")
    assert thread.id == thread_id_for(canonical_url("https://kettle.example/2019/notes-on-tea"))
    assert thread.entries[0].kind == "post" and thread.entries[0].body == "Green, then black."
    assert rows(thread) == [
        # A page's "Z" / "+00:00" is no zone: themes print local time so (see merge rules).
        ("~", "comment", "Lee", None, 1, datetime(2019, 5, 2, 10, 30), "Oolong first!"),
        ("~", "comment", "Kim", "~", 2, utc(2019, 5, 2, 10, 0), "Noted."),
        ("~", "comment", "Max", None, 1, None, "No date on this one."),
    ]
    lee, kim, _ = thread.entries[1:]
    assert kim.parent_id == lee.id and kim.utc_offset == 120
    assert lee.author_url == "https://lee.example/"


def test_webpage_schema_org_microdata_comments() -> None:
    thread = parse(SHAPES / "schema-microdata.html")
    assert thread.title == "Bread"
    assert rows(thread) == [
        ("~", "comment", "Ana", None, 1, utc(2014, 3, 5, 13, 5), "And yeast?"),
        ("~", "comment", "Bo", "~", 2, datetime(2014, 3, 5, 15, 0), "Sourdough."),
    ]
    assert thread.entries[1].author_url == "https://ana.example/"
    assert [e.utc_offset for e in thread.entries[1:]] == [60, None]


def test_webpage_schema_org_json_ld_comments_with_an_unreadable_date() -> None:
    warnings: list[str] = []
    thread = parse(SHAPES / "schema-jsonld.html", warn=warnings.append)
    assert rows(thread) == [
        ("41", "comment", "Cy", None, 1, utc(2020, 2, 3, 4, 5, 6), "Wash it first."),
        ("~", "comment", "Di", "41", 2, None, "Always."),
        ("~", "comment", "Ed", None, 1, None, "Basmati."),
    ]
    assert thread.entries[1].url == "https://grain.example/rice#comment-41"
    assert thread.entries[1].author_url == "https://cy.example/"
    assert warnings == [
        f"{SHAPES / 'schema-jsonld.html'}: the date of a comment by Ed ('someday') is not "
        "readable; recorded as unknown"
    ]


def test_webpage_blogger_comment_threads() -> None:
    thread = parse(SHAPES / "blogger.html")
    assert thread.declared_count == 3
    first, second, third = "1111111111111111111", "2222222222222222222", "3333333333333333333"
    assert rows(thread) == [
        (first, "comment", "Fay", None, 1, datetime(2014, 3, 5, 14, 5), "Which port?"),
        (second, "comment", "Gus", first, 2, datetime(2014, 3, 5, 15, 0), "Dover."),
        (third, "comment", "Anonymous", None, 1, datetime(2014, 3, 6, 9, 15), "Thanks!"),
    ]
    assert thread.entries[1].author_url == "https://www.blogger.com/profile/1"
    url = "http://sea.blogspot.com/2014/03/tide-tables.html"
    assert [e.url for e in thread.entries[1:]] == [f"{url}#c{n}" for n in (first, second, third)]


def test_webpage_classic_blogger_dt_and_dd_make_one_comment() -> None:
    thread = parse(SHAPES / "blogger-classic.html")
    assert thread.declared_count == 2
    first, second = "4444444444444444444", "5555555555555555555"
    assert rows(thread) == [
        (first, "comment", "Pat", None, 1, datetime(2008, 9, 7, 17, 40), "Where do you fly?"),
        (
            second,
            "comment",
            "Anonymous",
            None,
            1,
            datetime(2008, 9, 8, 9, 2),
            "On the beach, at low tide.",
        ),
    ]
    # An <a name> anchor is not the commenter's site.
    assert [e.author_url for e in thread.entries[1:]] == ["http://www.blogger.com/profile/44", None]


def test_webpage_drupal_replies_follow_their_parent_in_div_indented() -> None:
    warnings: list[str] = []
    path = SHAPES / "drupal.html"
    thread = parse(path, warn=warnings.append)
    assert thread.entries[0].kind == "post" and thread.entries[0].body == "Epoxy and patience."
    assert rows(thread) == [
        ("7", "comment", "Hal", None, 1, None, "Which epoxy?"),
        ("8", "comment", "Ivy", "7", 2, datetime(2014, 3, 5, 16, 30), "West System."),
        ("9", "comment", "Jo", None, 1, datetime(2014, 3, 6, 8, 0), "Sand first."),
    ]
    # A slashed numeric date is day/month or month/day: unknown, never guessed.
    assert warnings == [
        f"{path}: the date of comment 7 ('Wed, 05/03/2014 - 14:05') is not readable; "
        "recorded as unknown"
    ]


def test_webpage_fallback_finds_repeated_blocks_with_author_date_and_body() -> None:
    thread = parse(SHAPES / "generic.html")
    assert thread.title == "Fixing a bike chain"
    assert rows(thread) == [
        ("~", "comment", "Kit", None, 1, datetime(2018, 4, 12, 10, 20), "Which tool do you use?"),
        (
            "~",
            "comment",
            "Lou",
            "~",
            2,
            datetime(2018, 4, 12, 11, 45),
            "A Park Tool CT-3, since April 2010.",
        ),
        ("~", "comment", "Mo", None, 1, datetime(2018, 4, 13, 9, 0), "Quick links are easier."),
    ]


def test_webpage_keeps_bare_pingbacks_and_trackbacks() -> None:
    """Five items, one without id, date or author block: all five are kept."""
    warnings: list[str] = []
    path = SHAPES / "wordpress-pingbacks.html"
    thread = parse(path, warn=warnings.append)
    assert thread.declared_count == 5
    assert rows(thread) == [
        ("1", "comment", "Nia", None, 1, datetime(2012, 6, 1, 9, 0), "First."),
        ("2", "pingback", "Other post A", None, 1, None, "Other post A"),
        ("~", "pingback", "Other post B", None, 1, None, "Other post B"),
        ("~", "trackback", "Third – C", None, 1, None, "Third – C"),
        ("3", "comment", "Oz", None, 1, None, "Last."),
    ]
    assert [e.author_url for e in thread.entries[2:5]] == [
        "https://other.example/a",
        "https://other.example/b",
        "https://third.example/c",
    ]
    assert [e.position for e in thread.entries] == list(range(6))
    assert warnings == [
        f"{path}: the date of comment 3 ('sometime in June') is not readable; recorded as unknown"
    ]


def test_webpage_bare_pingback_id_is_stable_when_the_page_changes_around_it() -> None:
    page = (SHAPES / "wordpress-pingbacks.html").read_bytes()
    before = parse_bytes(page)
    # The page saved again later: a new comment above, the trackback gone.
    newer = re.sub(
        rb'<li class="trackback">.*?</li>\n',
        b"",
        page.replace(
            b'<ol class="comment-list">',
            b'<ol class="comment-list"><li id="comment-9" class="comment"><b class="fn">Pia</b>'
            b"<p>New.</p></li>",
        ),
        flags=re.S,
    )
    after = parse_bytes(newer)
    ping_before = [e.id for e in before.entries if e.author == "Other post B"]
    ping_after = [e.id for e in after.entries if e.author == "Other post B"]
    assert ping_before == ping_after and len(ping_before) == 1
    assert ping_before[0] != entry_id_for(before.id, "2")
    assert len({e.id for e in after.entries}) == len(after.entries) == 6


def test_webpage_two_identical_bare_pingbacks_get_two_ids() -> None:
    page = (SHAPES / "wordpress-pingbacks.html").read_bytes()
    item = (
        b'<li class="pingback"><p>Pingback: <a href="https://other.example/b">'
        b"Other post B</a></p></li>"
    )
    thread = parse_bytes(page.replace(item, item + b"\n" + item))
    twins = [e for e in thread.entries if e.author == "Other post B"]
    assert len(twins) == 2 and twins[0].id != twins[1].id
    once = [e.id for e in parse_bytes(page).entries if e.author == "Other post B"]
    assert twins[0].id == once[0]


# --- the two real pages ----------------------------------------------------------------


def by_number(thread: Thread, number: str) -> Entry:
    return next(e for e in thread.entries if e.id == entry_id_for(thread.id, number))


def test_webpage_bigredtin_comments_list_and_ul_children() -> None:
    thread = parse(BIGREDTIN)
    assert thread.declared_count == 9
    assert thread.title == "Including WordPress’s comment-reply.js (the right way)"
    numbers = [e.id.removeprefix(thread.id + "-") for e in thread.entries[1:]]
    assert numbers == ["116", "1734", "1812", "1813", "1980", "1986", "2221", "2223", "2939"]
    replies = {n: by_number(thread, n).parent_id for n in ("1813", "1986", "2223")}
    assert replies == {
        "1813": entry_id_for(thread.id, "1812"),
        "1986": entry_id_for(thread.id, "1980"),
        "2223": entry_id_for(thread.id, "2221"),
    }
    assert {by_number(thread, n).author for n in replies} == {"Peter Wilson"}
    first = by_number(thread, "116")
    assert first.author == "Matt Hill"
    assert first.author_url == "http://www.friskdesign.com"
    assert first.local_timestamp == datetime(2009, 9, 16, 3, 31)
    assert first.body.startswith("Very handy. I’ve been transferring my base theme")
    assert "says" not in first.body and "September" not in first.body
    # comment-2939: 10:03 am local here, 2012-12-03T23:03:37Z in the site's Atom feed.
    assert by_number(thread, "2939").local_timestamp == datetime(2012, 12, 4, 10, 3)


def test_webpage_thesocietea_page_cache_file_parses_as_a_browser_would() -> None:
    """A PHP prefix, three <html> tags, stray </li>: the Disqus fallback list is all there."""
    data = THESOCIETEA.read_bytes()
    assert data.startswith(b"<?php die(); ?>") and data.count(b"<html") == 3
    thread = parse(THESOCIETEA)
    assert (
        thread.url
        == "https://thesocietea.org/2015/02/building-a-json-api-with-rails-part-1-getting-started/"
    )
    assert thread.title == "Building a JSON API with Rails – Part 1: Getting Started"
    post = thread.entries[0]
    assert post.kind == "post" and "<?php" not in post.body
    kinds = Counter(e.kind for e in thread.entries)
    assert kinds == {"post": 1, "comment": 13, "pingback": 5}
    # No comment or pingback on the page shows a date: all unknown.
    assert [e.timestamp for e in thread.entries[1:]] == [None] * 18
    authors = Counter(e.author for e in thread.entries if e.kind == "comment")
    assert len(authors) == 8 and authors["alkrauss48"] == 4
    pingbacks = [e for e in thread.entries if e.kind == "pingback"]
    assert [(e.depth, e.parent_id, e.url) for e in pingbacks] == [(1, None, None)] * 5
    assert (
        pingbacks[0].author
        == "Building a JSON API with Rails – Part 2: Serialization | Aaron Krauss"
    )
    # The same source under http:// and https:// is two pingbacks, with two ids.
    assert pingbacks[0].author == pingbacks[2].author
    assert pingbacks[0].author_url == pingbacks[2].author_url.replace("https:", "http:")
    assert len({e.id for e in thread.entries}) == 19
    deep = by_number(thread, "52")
    assert (deep.author, deep.depth, deep.parent_id) == (
        "Ismail Akram",
        3,
        entry_id_for(thread.id, "26"),
    )


# --- every page in the shared folder yields every comment it states --------------------

# Pages that print no count of their own: the count SOURCES.md states.
SOURCES_COUNTS = {"thesocietea-json-api-rails-part-1-wpsupercache.html": 18}


def test_webpage_every_shared_page_yields_its_stated_count(corpora: Path) -> None:
    pages = sorted((corpora / "html").glob("*.html"))
    assert len(pages) == 4
    for page in pages:
        thread = parse(page)
        listed = sum(1 for e in thread.entries if e.kind != "post")
        stated = thread.declared_count or SOURCES_COUNTS[page.name]
        assert (page.name, listed) == (page.name, stated)
