"""Comment feeds: RSS 2.0 (and RSS 1.0) ``<item>`` or Atom ``<entry>``, one per comment.

Blogs publish comments as feeds, per post ("Comments on: X") or site-wide ("Comments for
Y"). Each item is one comment on the post its link points to, so we group items by post
URL and yield one :class:`~threadsearch.model.Thread` per post.

* Post URL: the item link without its fragment, resolved against the base URL: the
  ``base_url`` the source was built with, else the channel link when it is absolute, else
  (for a static mirror whose links lost their host) ``https://<host>/`` when a site-wide
  feed's title holds one host name ("Comments for whizzy.org"), with a warning.
  Thread id ``thread_id_for(canonical_url(post_url))``, as every source keys a post.
* Entry id ``entry_id_for(thread_id, local)``, where ``local`` is the WordPress comment
  number from ``#comment-136`` in the link (or the guid), so a feed and a saved page of the
  same post give the same ids; else the link's fragment (``#cmt_5``), else the guid, else
  a key made of the link, date and author.
* Author: ``dc:creator``, else ``<author>`` (Atom: its ``<name>``). RSS 2.0 wants an
  e-mail there but feeds put a nickname: we take it as the name; ``email (Name)`` gives
  Name, and a bare e-mail address gives no author (it names no one, and we do not index
  addresses).
* Body: ``content:encoded``, else ``description`` (HTML); Atom ``content``, else
  ``summary`` (by their ``type``). Timestamp: ``pubDate``, else ``published``, ``updated``
  or ``dc:date``, in UTC when the feed states a zone.
* Entries are kind ``comment`` at positions 1.. in chronological order (feeds list newest
  first, so ties keep the reverse of feed order); a feed carries no threading, so every
  parent is None and every depth 1. There is no post entry: feeds hold no post body.
* Thread title: item titles are localised templates ("Comment on X by Y", "By: Y",
  "(X) - excerpt...") and are never parsed. A per-post feed (every item on the post the
  channel links to) takes the channel title after its first ": " ("Comments on: X" ->
  "X"); otherwise the title is the last path segment of the post URL, de-slugified
  (``/721272-vzhled-google-chrome.php`` -> "Vzhled google chrome").
* ``Thread.site``: the host of the channel link (``www.`` dropped), else of the post URL.

Policy: an item without a link (we cannot tell which post it belongs to) and a repeated
comment id within one post are warned about and skipped; an unreadable date is warned about
and the entry kept without a timestamp; a feed with no items at all, or broken XML,
stops the run with :class:`~threadsearch.errors.SourceFormatError`. Relative links with no
base URL to resolve them are warned about and keyed by their path alone.

Memory: items are read with the streaming :func:`~threadsearch.sources.xmlsafe.iterparse` and
cleared as we go, but a site-wide feed lists comments of many posts interleaved and a
Thread is yielded whole, so the compact item records are held until the end of the file
(comment feeds are small: WordPress serves the latest few dozen).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from dateutil import parser as date_parser
from lxml import etree

from ..errors import SourceFormatError
from ..model import (
    Entry,
    EntryKind,
    Thread,
    canonical_url,
    entry_id_for,
    offset_minutes,
    thread_id_for,
)
from ..text import html_to_text, repair_text, tidy_paragraphs, unescape_fully
from .base import SourceContext
from .xmlsafe import iterparse, local_name, release

_TAGS = ("item", "entry", "title", "link")
_FEED_TAGS = ("channel", "feed")
_WP_COMMENT = re.compile(r"comment-(\d+)")
_EMAIL = re.compile(r"[^\s@()]+@[^\s@()]+")
_EMAIL_WITH_NAME = re.compile(r"[^\s@()]+@[^\s@()]+\s*\((.+)\)")
_NUMERIC_PREFIX = re.compile(r"^\d+[-_]+(?=\D)")
_HOST_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")
_PAGE_SUFFIX = re.compile(r"\.(?:php\d?|html?|aspx?|jsp|cgi)$", re.IGNORECASE)


@dataclass
class _Item:
    """One comment, reduced to what an Entry needs; links are resolved at the end."""

    link: str
    guid: str
    author: str | None
    body: str
    timestamp: datetime | None
    order: int
    line: int | None


@dataclass
class _Feed:
    """The channel's own title and link, and the items gathered so far."""

    title: str = ""
    link: str = ""
    items: list[_Item] = field(default_factory=list)


class FeedSource:
    """Reads an RSS or Atom comment feed (see the module docstring for the policy).

    :param base_url: resolves relative links, for feeds saved from a static mirror whose
        links have lost their host (``/2017/02/23/post/#comment-136``).
    """

    name = "feed"

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = base_url

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        feed = _Feed()
        for element in iterparse(stream, context, _TAGS):
            tag = local_name(str(element.tag))
            if tag in ("item", "entry"):
                _read_item(element, feed, context)
                release(element)
            elif _parent_name(element) in _FEED_TAGS:
                _read_channel_field(element, tag, feed)
        if not feed.items:
            raise SourceFormatError(
                context.path,
                "the feed has no items: nothing to ingest",
                hint="Comment feeds list one <item> (RSS) or <entry> (Atom) per comment.",
            )
        base = self.base_url or context.base_url
        yield from _build_threads(feed, base, context)


def _parent_name(element: etree._Element) -> str:
    parent = element.getparent()
    return local_name(str(parent.tag)) if parent is not None else ""


def _read_channel_field(element: etree._Element, tag: str, feed: _Feed) -> None:
    if tag == "title" and not feed.title:
        feed.title = _clean(element.text or "")
    elif tag == "link" and not feed.link:
        # RSS writes the link as text; Atom (and atom:link in RSS) as an href, where only
        # the "alternate" one is the site (rel="self" is the feed itself).
        if element.get("href") is None:
            feed.link = (element.text or "").strip()
        elif element.get("rel", "alternate") == "alternate":
            feed.link = element.get("href", "").strip()


def _children(element: etree._Element) -> dict[str, etree._Element]:
    """An item's children by local name; the first of each name wins."""
    found: dict[str, etree._Element] = {}
    for child in element:
        if isinstance(child.tag, str):
            found.setdefault(local_name(child.tag), child)
    return found


def _read_item(element: etree._Element, feed: _Feed, context: SourceContext) -> None:
    children = _children(element)
    link = _item_link(element)
    guid = _text(children.get("guid")) or _text(children.get("id"))
    if not link:
        context.warn(
            f"{context.path}, line {element.sourceline}: an item has no link, so the post "
            "it comments on is unknown; skipped"
        )
        return
    feed.items.append(
        _Item(
            link=link,
            guid=guid,
            author=_author(children),
            body=_body(children),
            timestamp=_timestamp(children, element.sourceline, context),
            order=len(feed.items),
            line=element.sourceline,
        )
    )


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _clean(text: str) -> str:
    """Entities unescaped, mojibake repaired, whitespace runs collapsed."""
    return " ".join(unescape_fully(repair_text(text)).split())


def _item_link(element: etree._Element) -> str:
    """The comment's URL: RSS ``<link>`` text, or Atom's alternate ``<link href>``."""
    for child in element:
        if not isinstance(child.tag, str) or local_name(child.tag) != "link":
            continue
        href = child.get("href")
        if href is None and (child.text or "").strip():
            return (child.text or "").strip()
        if href and child.get("rel", "alternate") == "alternate":
            return str(href).strip()
    return ""


def _author(children: dict[str, etree._Element]) -> str | None:
    creator = _clean(_text(children.get("creator")))
    if creator:
        return creator
    author = children.get("author")
    if author is None:
        return None
    name = _children(author).get("name")
    raw = _clean(_text(name) if name is not None else author.text or "")
    with_name = _EMAIL_WITH_NAME.fullmatch(raw)
    if with_name:
        return with_name.group(1).strip() or None
    if _EMAIL.fullmatch(raw):
        return None
    return raw or None


def _body(children: dict[str, etree._Element]) -> str:
    for name in ("encoded", "description"):
        markup = _text(children.get(name))
        if markup:
            return html_to_text(repair_text(markup))
    for name in ("content", "summary"):
        element = children.get(name)
        if element is not None:
            return _atom_text(element)
    return ""


def _atom_text(element: etree._Element) -> str:
    """An Atom text construct: ``type`` says text (the default), html or xhtml."""
    kind = element.get("type", "text")
    if kind == "xhtml":
        inner = "".join(etree.tostring(child, encoding="unicode") for child in element)
        return html_to_text(repair_text((element.text or "") + inner))
    if kind == "html":
        return html_to_text(repair_text(element.text or ""))
    return tidy_paragraphs(repair_text(element.text or ""))


def _timestamp(
    children: dict[str, etree._Element], line: int | None, context: SourceContext
) -> datetime | None:
    for name in ("pubDate", "published", "updated", "date"):
        raw = _text(children.get(name))
        if not raw:
            continue
        value = _parse_date(raw)
        if value is None:
            context.warn(f"{context.path}, line {line}: unreadable date {raw!r}; kept undated")
            return None
        return context.localize(value)
    return None


def _parse_date(raw: str) -> datetime | None:
    """RFC 822 (RSS) first, then ISO 8601 (Atom, dc:date) and other common spellings."""
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        value: datetime = date_parser.parse(raw)
    except (ValueError, OverflowError):
        return None
    return value


def _build_threads(feed: _Feed, base: str | None, context: SourceContext) -> Iterator[Thread]:
    if base is None and urlsplit(feed.link).netloc:
        base = feed.link
    if base is None:
        base = _host_from_title(feed, context)
    channel_link = urljoin(base, feed.link) if base else feed.link
    groups, urls = _group_by_post(feed.items, base)
    first_url = next(iter(urls.values()))
    if any(not urlsplit(url).netloc for url in urls.values()):
        context.warn(
            f"{context.path}: the item links are relative and the feed names no site; "
            "threads are keyed by the URL path alone (give a base URL to fix this)"
        )
    # A per-post feed's channel links to the one post all its items are about.
    per_post = (
        len(groups) == 1
        and bool(feed.link)
        and canonical_url(channel_link) == canonical_url(first_url)
    )
    site = _site(channel_link) or _site(first_url)
    for thread_id, items in groups.items():
        post_url = urls[thread_id]
        title = _channel_post_title(feed.title) if per_post else _title_from_url(post_url)
        yield Thread(
            id=thread_id,
            title=title or post_url,
            url=post_url,
            site=site,
            entries=_build_entries(thread_id, items, base, context),
        )


def _host_from_title(feed: _Feed, context: SourceContext) -> str | None:
    """A base URL for host-relative links from a channel title naming the site's host.

    Static mirrors lose the host from every link, but a blog named after its domain keeps
    it in its site-wide feed's title ("Comments for whizzy.org"). We take a host-shaped
    word, whatever the localised words around it, only when it is the title's only one
    and the feed is not about one post (a post title may well say "Node.js").
    """
    if all(urlsplit(item.link).netloc for item in feed.items):
        return None
    posts = {canonical_url(_without_fragment(item.link)) for item in feed.items}
    if posts == {canonical_url(feed.link)}:
        return None
    words = {w.lower().strip(".,:;()'\"") for w in feed.title.split()}
    hosts = [w for w in words if _HOST_NAME.fullmatch(w)]
    if len(hosts) != 1:
        return None
    context.warn(
        f"{context.path}: the feed's links are host-relative; took the host {hosts[0]} "
        "from the channel title"
    )
    return f"https://{hosts[0]}/"


def _group_by_post(
    items: list[_Item], base: str | None
) -> tuple[dict[str, list[_Item]], dict[str, str]]:
    """Items per thread id, and each thread's post URL, in order of first appearance."""
    groups: dict[str, list[_Item]] = {}
    urls: dict[str, str] = {}
    for item in items:
        post_url = _without_fragment(urljoin(base, item.link) if base else item.link)
        thread_id = thread_id_for(canonical_url(post_url))
        groups.setdefault(thread_id, []).append(item)
        urls.setdefault(thread_id, post_url)
    return groups, urls


def _without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def _site(url: str) -> str | None:
    if not urlsplit(url).netloc:
        return None
    return urlsplit(canonical_url(url)).netloc or None


def _channel_post_title(channel_title: str) -> str:
    """ "Comments on: X" -> "X"; the prefix is localised but the colon is not."""
    _, colon, rest = channel_title.partition(": ")
    return rest.strip() if colon else channel_title


def _title_from_url(url: str) -> str:
    """The post's slug as words: ``/2017/02/23/cisco-7941-and-sip/`` -> "Cisco 7941 and sip"."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if not segments:
        return ""
    slug = _PAGE_SUFFIX.sub("", unquote(segments[-1]))
    slug = _NUMERIC_PREFIX.sub("", slug)
    words = " ".join(re.split(r"[-_+\s]+", slug)).strip()
    return words[:1].upper() + words[1:]


def _local_id(item: _Item, resolved_link: str) -> str:
    """The comment's id within its post (see the module docstring for the order)."""
    for candidate in (urlsplit(resolved_link).fragment, urlsplit(item.guid).fragment):
        match = _WP_COMMENT.fullmatch(candidate)
        if match:
            return match.group(1)
    fragment = urlsplit(resolved_link).fragment
    if fragment:
        return fragment
    if item.guid:
        return item.guid
    stamp = item.timestamp.isoformat() if item.timestamp else ""
    return "\x1f".join((resolved_link, stamp, item.author or ""))


def _sort_key(item: _Item) -> tuple[int, float, int]:
    if item.timestamp is None:
        return 1, 0.0, -item.order
    stamp = item.timestamp
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return 0, stamp.timestamp(), -item.order


def _build_entries(
    thread_id: str, items: list[_Item], base: str | None, context: SourceContext
) -> list[Entry]:
    entries: list[Entry] = []
    seen: set[str] = set()
    for item in sorted(items, key=_sort_key):
        link = urljoin(base, item.link) if base else item.link
        entry_id = entry_id_for(thread_id, _local_id(item, link))
        if entry_id in seen:
            context.warn(
                f"{context.path}, line {item.line}: a second item for the same comment "
                f"({link}); skipped"
            )
            continue
        seen.add(entry_id)
        entries.append(
            Entry(
                id=entry_id,
                thread_id=thread_id,
                kind=EntryKind.COMMENT.value,
                position=len(entries) + 1,
                body=item.body,
                author=item.author,
                timestamp=item.timestamp,
                utc_offset=offset_minutes(item.timestamp),
                depth=1,
                url=link,
            )
        )
    return entries
