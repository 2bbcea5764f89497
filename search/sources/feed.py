"""Comment feeds: RSS 2.0 (and RSS 1.0) ``<item>`` or Atom ``<entry>``, one per comment.

Blogs publish comments as feeds, per post ("Comments on: X") or site-wide ("Comments for
Y"). Each item is one comment on the post its link points to, so we group items by post
URL and yield one :class:`~threadsearch.model.Thread` per post.

Reading is feedparser's (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, their namespaces, encodings and
text constructs). Before it, :func:`~threadsearch.sources.xmlsafe.iterparse` checks the
bytes once, as for every XML source: a DOCTYPE declaring entities is refused, a stray
control character is removed with a warning, broken XML stops the run naming line and
column, and each item's line number is kept for the warnings below.

* Post URL: the item link without its fragment, resolved against the base URL: the
  ``base_url`` the source was built with, else the channel link when it is absolute, else
  (for a static mirror whose links lost their host) ``https://<host>/`` when a site-wide
  feed's title holds one host name ("Comments for whizzy.org"), with a warning.
  Thread id ``thread_id_for(canonical_url(post_url))``, as every source keys a post.
  An item with no ``<link>`` whose ``<guid>`` is a permalink (an absolute http(s) URL)
  links there.
* Entry id ``entry_id_for(thread_id, local)``, where ``local`` is the WordPress comment
  number from ``#comment-136`` in the link (or the guid), so a feed and a saved page of the
  same post give the same ids; else the link's fragment (``#cmt_5``), else the guid, else
  a key made of the link, date and author.
* Author: the first of ``dc:creator`` / ``<author>`` (Atom: its ``<name>``) in the item;
  else the author named in the item title (below). RSS 2.0 wants an e-mail there but
  feeds put a nickname: we take it as the name; ``email (Name)`` gives Name, and a bare
  e-mail address gives no author (it names no one, and we do not index addresses).
* Body: ``content:encoded``, else ``description`` (HTML); Atom ``content``, else
  ``summary`` (by their ``type``). Timestamp: ``pubDate`` or ``published``, else
  ``updated`` or ``dc:date``, in UTC when the feed states a zone; RFC 822, ISO 8601 and
  the localised spellings :func:`~threadsearch.dates.parse_page_date` reads. A date that
  is unreadable or incomplete (no year) is warned about, naming the item, and left
  unknown: never guessed.
* Threading: Atom's ``thr:in-reply-to`` (RFC 4685). A ``ref`` that is another item's id,
  or a ``ref``/``href`` ending in ``#comment-N``, makes the entry a reply to that comment;
  a ``ref`` to the post itself leaves it top-level. A feed is a window on the latest
  comments, so the parent is often not in it: the reply then names the parent's id all
  the same (the id a saved page or a later feed gives it) at depth 2, without a warning.
  Depth is 1 for a top-level comment, one more than the parent for a reply. RSS carries
  no threading: every parent None, every depth 1.
* Entries are kind ``comment`` at positions 1.. in chronological order (feeds list newest
  first, so ties keep the reverse of feed order). There is no post entry: feeds hold no
  post body.
* Thread title: the post's own title wherever the feed gives it. A per-post feed (every
  item on the post the channel links to) takes the channel title after its first ": "
  ("Comments on: X" -> "X"). Otherwise item titles are read: WordPress's "Comment on X by
  Y" in the languages of :data:`ITEM_TITLE_TEMPLATES`, and bloguje.cz's "(X) - excerpt...",
  the most frequent X of a post's items winning. Only when no item names its post is the
  title the last path segment of the post URL, de-slugified
  (``/721272-vzhled-google-chrome.php`` -> "Vzhled google chrome"), which loses accents
  and typographic quotes.
* ``Thread.site``: the host of the channel link (``www.`` dropped), else of the post URL.

Policy: an item without a link (we cannot tell which post it belongs to) and a repeated
comment id within one post are warned about and skipped; an unreadable date is warned about
and the entry kept without a timestamp; a feed with no items at all, or broken XML,
stops the run with :class:`~threadsearch.errors.SourceFormatError`. Relative links with no
base URL to resolve them are warned about and keyed by their path alone.

Memory: the whole feed is read at once (feedparser builds it whole); comment feeds are
small, WordPress serves the latest few dozen comments.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO, cast
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from dateutil import parser as date_parser

from ..dates import parse_page_date
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
from .xmlsafe import iterparse, release, strip_control_chars

_WP_COMMENT = re.compile(r"comment-(\d+)")
_EMAIL = re.compile(r"[^\s@()]+@[^\s@()]+")
_EMAIL_WITH_NAME = re.compile(r"[^\s@()]+@[^\s@()]+\s*\((.+)\)")
_NUMERIC_PREFIX = re.compile(r"^\d+[-_]+(?=\D)")
_HOST_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")
_PAGE_SUFFIX = re.compile(r"\.(?:php\d?|html?|aspx?|jsp|cgi)$", re.IGNORECASE)
# Two defaults for dateutil that differ in year, month and day: see _parse_date.
_FILL_IN_PROBES = (datetime(2001, 1, 1), datetime(2002, 2, 2))

#: WordPress's site-wide comment feed item title, "Comment on %1$s by %2$s" (post title,
#: comment author), as its translations write it: (language, text before the post title,
#: text between the post title and the author).
ITEM_TITLE_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("en", "Comment on ", " by "),
    ("de", "Kommentar zu ", " von "),
    ("fr", "Commentaire sur ", " par "),
    ("es", "Comentario en ", " por "),
    ("it", "Commento su ", " di "),
    ("it", "Commento su ", " da "),
    ("pt", "Comentário sobre ", " por "),
    ("nl", "Reactie op ", " door "),
    ("pl", "Skomentuj ", ", którego autorem jest "),
    ("pl", "Komentarz do ", " od "),
    ("cs", "Komentář k ", " od "),
)


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
    post_title: str | None = None
    reply_href: str = ""
    reply_ref: str = ""


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
        data = stream.read()
        lines = _item_lines(data, context)
        parsed = _read_feed(strip_control_chars(data), context)
        channel: Mapping[str, Any] = parsed["feed"]
        feed = _Feed(title=_clean(_get(channel, "title")), link=_alternate_link(channel))
        entries: list[Mapping[str, Any]] = parsed["entries"]
        if len(lines) != len(entries):
            lines = [None] * len(entries)
        for entry, line in zip(entries, lines, strict=True):
            _read_item(entry, line, feed, context)
        if not feed.items:
            raise SourceFormatError(
                context.path,
                "the feed has no items: nothing to ingest",
                hint="Comment feeds list one <item> (RSS) or <entry> (Atom) per comment.",
            )
        base = self.base_url or context.base_url
        yield from _build_threads(feed, base, context)


def _item_lines(data: bytes, context: SourceContext) -> list[int | None]:
    """Check the XML as every XML source does, and note the line each item starts on."""
    lines: list[int | None] = []
    for element in iterparse(io.BytesIO(data), context, ("item", "entry")):
        lines.append(element.sourceline)
        release(element)
    return lines


def _read_feed(data: bytes, context: SourceContext) -> Mapping[str, Any]:
    # Imported here: feedparser takes ~70 ms to import, paid only when a feed is read.
    import feedparser

    # A stream, never a string: feedparser fetches a string that looks like a URL. HTML
    # is turned into text by our own policy, and links are resolved by ours, so both of
    # feedparser's rewrites are off.
    try:
        result: Mapping[str, Any] = feedparser.parse(
            io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False
        )
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        # feedparser's loose parser, its fallback for markup that is not XML, has its own
        # bugs: ``<height>`` holding only unclosed elements ends in int(None).
        raise SourceFormatError(
            context.path,
            f"the feed's markup is too broken to read ({type(exc).__name__}: {exc})",
            hint="Export the feed again, or check it with an XML validator.",
        ) from exc
    return result


def _get(mapping: Mapping[str, Any], key: str) -> Any:
    """A stored key only: FeedParserDict's aliases (``updated`` falling back to
    ``published``) warn and would blur which element the value came from."""
    return dict.get(cast("dict[str, Any]", mapping), key)


def _clean(text: str | None) -> str:
    """Entities unescaped, mojibake repaired, whitespace runs collapsed."""
    return " ".join(unescape_fully(repair_text(text or "")).split())


def _alternate_link(mapping: Mapping[str, Any]) -> str:
    """The first ``alternate`` link (RSS ``<link>`` text is one; ``rel="self"`` is not)."""
    for link in _get(mapping, "links") or ():
        href = str(link.get("href") or "").strip()
        if href and link.get("rel", "alternate") == "alternate":
            return href
    return ""


def _read_item(
    entry: Mapping[str, Any], line: int | None, feed: _Feed, context: SourceContext
) -> None:
    guid = str(_get(entry, "id") or "").strip()
    link = _alternate_link(entry)
    if not link and _get(entry, "guidislink") and urlsplit(guid).scheme in ("http", "https"):
        link = guid
    if not link:
        context.warn(
            f"{context.path}, line {line}: an item has no link, so the post "
            "it comments on is unknown; skipped"
        )
        return
    author = _author(entry)
    post_title, title_author = split_item_title(_clean(_get(entry, "title")), author)
    reply_to = _get(entry, "thr_in-reply-to") or {}
    feed.items.append(
        _Item(
            link=link,
            guid=guid,
            author=author or title_author,
            body=_body(entry),
            timestamp=_timestamp(entry, f"line {line} ({link})", context),
            order=len(feed.items),
            line=line,
            post_title=post_title,
            reply_href=str(reply_to.get("href") or "").strip(),
            reply_ref=str(reply_to.get("ref") or "").strip(),
        )
    )


def split_item_title(title: str, author: str | None = None) -> tuple[str | None, str | None]:
    """The post title and comment author a comment-feed item title names, if it does.

    ``"Kommentar zu Grüße aus „Köln“ von Jörg"`` -> ``("Grüße aus „Köln“", "Jörg")`` (the
    templates of :data:`ITEM_TITLE_TEMPLATES`); bloguje.cz's ``"(Post) - excerpt..."`` ->
    ``("Post", None)``. With ``author`` known, a template must end with it, so a post
    title holding " by " is kept whole. ``(None, None)`` for any other title.
    """
    for _lang, before, between in ITEM_TITLE_TEMPLATES:
        if not title.startswith(before):
            continue
        rest = title[len(before) :]
        if author:
            if rest.endswith(between + author) and len(rest) > len(between + author):
                return rest[: -len(between + author)].strip(), author
            continue
        post, found, named = rest.rpartition(between)
        if found and post.strip() and named.strip():
            return post.strip(), named.strip()
    return _parenthesised_title(title), None


def _parenthesised_title(title: str) -> str | None:
    """``"(Post (2.0)) - excerpt..."`` -> ``"Post (2.0)"``: up to the balanced ``)``.

    None when the title in parentheses is cut short (it ends with an ellipsis).
    """
    if not title.startswith("("):
        return None
    depth = 0
    for index, char in enumerate(title):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            post = title[1:index].strip()
            # The site cuts long titles to "Jak navázat soubor...": the slug says more.
            truncated = post.endswith(("...", "\u2026"))
            return post if post and not truncated and title.startswith(" - ", index + 1) else None
    return None


def _author(entry: Mapping[str, Any]) -> str | None:
    for author in _get(entry, "authors") or ():
        raw = _clean(author.get("name") or "")
        with_name = _EMAIL_WITH_NAME.fullmatch(raw)
        if with_name:
            return with_name.group(1).strip() or None
        if raw and not _EMAIL.fullmatch(raw):
            return raw
    return None


def _body(entry: Mapping[str, Any]) -> str:
    for detail in (*(_get(entry, "content") or ()), _get(entry, "summary_detail")):
        value = str((detail or {}).get("value") or "")
        if not value.strip():
            continue
        if detail.get("type") == "text/plain":
            return tidy_paragraphs(repair_text(value))
        return html_to_text(repair_text(value))
    return ""


def _timestamp(entry: Mapping[str, Any], where: str, context: SourceContext) -> datetime | None:
    for name in ("published", "updated"):
        raw = str(_get(entry, name) or "").strip()
        if not raw:
            continue
        value = _parse_date(raw)
        if value is None:
            context.warn(f"{context.path}, {where}: unreadable date {raw!r}; kept undated")
            return None
        return context.localize(value)
    return None


def _parse_date(raw: str) -> datetime | None:
    """RFC 822 (RSS) first, then ISO 8601 (Atom, dc:date) and other common spellings,
    then the localised ones pages print ("Di, 31. Oktober 2011 um 08:56").

    Not feedparser's parsed dates: they are converted to UTC and lose the offset the feed
    stated, and read ``-0000`` ("zone unknown") as UTC. dateutil fills a missing year,
    month or day from a default date; a value that changes with that default is refused
    rather than guessed.
    """
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        first, second = (date_parser.parse(raw, default=d) for d in _FILL_IN_PROBES)
    except (ValueError, OverflowError):
        return parse_page_date(raw)
    return first if first == second else parse_page_date(raw)


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
        title = _channel_post_title(feed.title) if per_post else _items_post_title(items)
        yield Thread(
            id=thread_id,
            title=title or _title_from_url(post_url) or post_url,
            url=post_url,
            site=site,
            entries=_build_entries(thread_id, items, base, context),
        )


def _items_post_title(items: list[_Item]) -> str | None:
    """The post title the items name most often (the first named, on a tie)."""
    named = Counter(item.post_title for item in items if item.post_title)
    return named.most_common(1)[0][0] if named else None


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


def _parent_local_id(item: _Item, local_by_guid: Mapping[str, str]) -> str | None:
    """The local id of the comment ``thr:in-reply-to`` names, or None for the post."""
    if item.reply_ref in local_by_guid:
        return local_by_guid[item.reply_ref]
    for candidate in (item.reply_href, item.reply_ref):
        match = _WP_COMMENT.fullmatch(urlsplit(candidate).fragment)
        if match:
            return match.group(1)
    return None


def _depths(parents: Mapping[str, str | None]) -> dict[str, int]:
    """1 at top level, one more than the parent; a parent not in the feed counts as 1."""
    depths: dict[str, int] = {}
    for local in parents:
        chain: list[str] = []
        current: str | None = local
        while current is not None and current in parents and current not in chain:
            if current in depths:
                break
            chain.append(current)
            current = parents[current]
        if current is None:
            below = 0
        else:
            below = depths.get(current, 0) if current in parents else 1
        for node in reversed(chain):
            below += 1
            depths[node] = below
    return depths


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
    kept: list[tuple[_Item, str, str]] = []
    seen: set[str] = set()
    for item in sorted(items, key=_sort_key):
        link = urljoin(base, item.link) if base else item.link
        local = _local_id(item, link)
        if local in seen:
            context.warn(
                f"{context.path}, line {item.line}: a second item for the same comment "
                f"({link}); skipped"
            )
            continue
        seen.add(local)
        kept.append((item, link, local))
    local_by_guid = {item.guid: local for item, _, local in kept if item.guid}
    parents: dict[str, str | None] = {}
    for item, _, local in kept:
        parent = _parent_local_id(item, local_by_guid)
        parents[local] = parent if parent != local else None
    depths = _depths(parents)
    entries = []
    for position, (item, link, local) in enumerate(kept, start=1):
        parent = parents[local]
        entries.append(
            Entry(
                id=entry_id_for(thread_id, local),
                thread_id=thread_id,
                kind=EntryKind.COMMENT.value,
                position=position,
                body=item.body,
                author=item.author,
                timestamp=item.timestamp,
                utc_offset=offset_minutes(item.timestamp),
                parent_id=entry_id_for(thread_id, parent) if parent else None,
                depth=depths[local],
                url=link,
            )
        )
    return entries
