"""WordPress eXtended RSS (WXR 1.0 to 1.2) exports: one thread per published post or page.

A WXR file is an RSS channel whose ``<item>`` elements are posts, pages, attachments, menu
entries and other post types, each carrying its comments as ``<wp:comment>`` children. We
stream the items with :func:`threadsearch.sources.xmlsafe.iterparse` and clear each one after
use, so memory stays flat however large the export.

Policy:

* A thread is a post or page (``wp:post_type``) with ``wp:status`` ``publish``. Its entry at
  position 0 is the post itself; comments, pingbacks and trackbacks follow in
  chronological order (WXR lists comments in database order, which is not the order a
  reader sees). Attachments, menu items, revisions and custom post types are never
  threads, and the comments WordPress occasionally files under an attachment go with them.
* A comment is indexed when ``wp:comment_approved`` is ``1``. Unapproved (``0``), spam and
  trashed (``trash``, ``post-trashed``) comments, and drafts, pending, private, future and
  trashed posts, are skipped unless ``context.include_hidden``; then they are indexed
  with ``Entry.status`` holding the status word (``unapproved`` for ``0``, otherwise the
  file's word, and ``wp:status`` for a post). Visible items keep the status ``approved``.
* Times come from the ``*_date_gmt`` fields as UTC. WordPress writes
  ``0000-00-00 00:00:00`` there for drafts and some imported comments; then we fall back to
  the local ``*_date`` field, which states no zone, and pass it through
  ``context.localize``.
* ``Thread.site`` is the host of the channel's ``<link>`` (``www.`` dropped, as in
  canonical URLs), or the channel's title when there is no link. ``Thread.tags`` are the
  post's categories and tags.
* A reply's ``parent_id`` is its parent's entry id and its depth follows the parent chain
  (top-level comment 1). When the parent is not indexed (hidden, or absent from the file)
  the reply hangs from the nearest indexed ancestor instead, so no entry points at a
  missing one; an absent parent is warned about.

Damaged XML stops the run with a :class:`~threadsearch.errors.SourceFormatError` naming line and
column (``xmlsafe`` recovers from, and warns about, undeclared prefixes and stray control
characters). A damaged record inside well-formed XML (a comment without an id, an
unreadable date, an unknown comment type) is warned about and skipped, or its field left
empty, and the run goes on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import BinaryIO
from urllib.parse import urlsplit

from lxml import etree

from ..model import (
    Entry,
    EntryKind,
    Thread,
    canonical_url,
    entry_id_for,
    offset_minutes,
    thread_id_for,
)
from ..text import html_to_text, repair_text, unescape_fully
from .base import SourceContext
from .xmlsafe import iterparse, release

_WP_NAMESPACE = re.compile(r"\Ahttps?://wordpress\.org/export/(\d+\.\d+)/\Z")
_EXCERPT_NAMESPACE = re.compile(r"\Ahttps?://wordpress\.org/export/\d+\.\d+/excerpt/\Z")
_CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
_DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
_KNOWN_VERSIONS = ("1.0", "1.1", "1.2")

_THREAD_TYPES = frozenset({"post", "page"})
_COMMENT_KINDS = {
    "": EntryKind.COMMENT.value,
    "comment": EntryKind.COMMENT.value,
    "pingback": EntryKind.PINGBACK.value,
    "trackback": EntryKind.TRACKBACK.value,
}
_APPROVED = "approved"
# wp:comment_approved is "1" or "0" for approved and held comments, a word otherwise.
_COMMENT_STATUS = {"1": _APPROVED, "0": "unapproved"}
_ZERO_DATE = "0000-00-00 00:00:00"
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_TAG_DOMAINS = frozenset({"category", "post_tag"})
# An author URL field holding only a scheme is WordPress's placeholder for "none".
_EMPTY_URLS = frozenset({"", "http://", "https://"})


@dataclass
class _Comment:
    """One ``<wp:comment>``, read out of the tree so the element can be cleared."""

    native_id: str
    parent_native_id: str
    kind: str
    status: str
    author: str | None
    author_url: str | None
    timestamp: datetime | None
    sort_key: tuple[str, int]
    body: str


@dataclass
class _Channel:
    """What the parse has learned about the channel so far."""

    site: str | None = None
    site_read: bool = False
    version_checked: bool = False
    skipped_types: Counter[str] = field(default_factory=Counter)


class WxrSource:
    """Reads WordPress WXR exports; see the module docstring for the policy."""

    name = "wxr"

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        """Yield one thread per published post or page in ``stream``."""
        channel = _Channel()
        for item in iterparse(stream, context, ("item",)):
            if not channel.site_read:
                _read_channel(item, channel, context)
            thread = _read_item(item, channel, context)
            release(item)
            if thread is not None:
                yield thread
        for kind, count in sorted(channel.skipped_types.items()):
            context.warn(f"{context.path}: skipped {count} comment(s) of unknown type {kind!r}")


def _read_channel(item: etree._Element, channel: _Channel, context: SourceContext) -> None:
    """Learn the site from the channel header, which precedes the first item."""
    channel.site_read = True
    _check_version(item, context)
    parent = item.getparent()
    if parent is None:
        return
    link = title = None
    for child in parent:
        # Exact tag: the recovered, undeclared ``atom:link`` must not count as the link.
        if child.tag == "link" and link is None:
            link = (child.text or "").strip()
        elif child.tag == "title" and title is None:
            title = _clean_line(child.text)
    channel.site = _host(link) or title or None


def _check_version(item: etree._Element, context: SourceContext) -> None:
    versions = [
        match.group(1)
        for uri in item.nsmap.values()
        if uri and (match := _WP_NAMESPACE.match(uri)) is not None
    ]
    for version in versions:
        if version not in _KNOWN_VERSIONS:
            context.warn(
                f"{context.path}: WXR version {version} is not one of 1.0 to 1.2; reading it as 1.2"
            )


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def _qualified(tag: object) -> str:
    """A stable short name for a child tag: ``wp:status``, ``content:encoded``, ``title``.

    WXR 1.0, 1.1 and 1.2 differ only in the namespace URI, so all map to ``wp:``.
    """
    if not isinstance(tag, str):
        return ""
    if not tag.startswith("{"):
        return tag
    namespace, _, local = tag[1:].partition("}")
    if _WP_NAMESPACE.match(namespace):
        return f"wp:{local}"
    if _EXCERPT_NAMESPACE.match(namespace):
        return f"excerpt:{local}"
    if namespace == _CONTENT_NAMESPACE:
        return f"content:{local}"
    if namespace == _DC_NAMESPACE:
        return f"dc:{local}"
    return tag


def _fields(element: etree._Element) -> dict[str, str]:
    """The element's single-valued children by qualified name (the first one wins)."""
    values: dict[str, str] = {}
    for child in element:
        values.setdefault(_qualified(child.tag), child.text or "")
    return values


def _read_item(item: etree._Element, channel: _Channel, context: SourceContext) -> Thread | None:
    fields = _fields(item)
    if fields.get("wp:post_type", "post") not in _THREAD_TYPES:
        return None
    status = fields.get("wp:status", "publish").strip() or "publish"
    is_hidden = status != "publish"
    if is_hidden and not context.include_hidden:
        return None
    record = f"item wp:post_id {fields.get('wp:post_id', '?').strip()}"
    link = fields.get("link", "").strip() or None
    thread_id = thread_id_for(_thread_key(fields, link, channel))
    title = _clean_line(fields.get("title"))
    posted = _timestamp(fields.get("wp:post_date_gmt"), fields.get("wp:post_date"), context, record)
    post = Entry(
        id=entry_id_for(thread_id, "post"),
        thread_id=thread_id,
        kind=EntryKind.POST.value,
        position=0,
        body=_clean_body(fields.get("content:encoded", "")),
        author=_clean_line(fields.get("dc:creator")) or None,
        timestamp=posted,
        utc_offset=offset_minutes(posted),
        title=title or None,
        url=link,
        status=status if is_hidden else _APPROVED,
    )
    comments = _read_comments(item, channel, context, record)
    return Thread(
        id=thread_id,
        title=title or link or "(untitled)",
        url=link,
        site=channel.site,
        tags=_tags(item),
        entries=[post, *_comment_entries(comments, thread_id, link, context, record)],
    )


def _thread_key(fields: dict[str, str], link: str | None, channel: _Channel) -> str:
    if link:
        return canonical_url(link)
    guid = fields.get("guid", "").strip()
    if guid:
        return guid
    return f"wxr:{channel.site or ''}:{fields.get('wp:post_id', '').strip()}"


def _tags(item: etree._Element) -> list[str]:
    """Categories and tags in file order, each once."""
    tags: list[str] = []
    for child in item:
        if child.tag == "category" and child.get("domain") in _TAG_DOMAINS:
            name = _clean_line(child.text)
            if name and name not in tags:
                tags.append(name)
    return tags


def _read_comments(
    item: etree._Element, channel: _Channel, context: SourceContext, record: str
) -> list[_Comment]:
    comments = []
    for child in item:
        if _qualified(child.tag) == "wp:comment":
            comment = _read_comment(child, channel, context, record)
            if comment is not None:
                comments.append(comment)
    return comments


def _read_comment(
    element: etree._Element, channel: _Channel, context: SourceContext, record: str
) -> _Comment | None:
    fields = _fields(element)
    native_id = fields.get("wp:comment_id", "").strip()
    if not native_id.isdigit():
        context.warn(f"{context.path}, {record}: skipped a comment without a numeric id")
        return None
    comment_type = fields.get("wp:comment_type", "").strip()
    kind = _COMMENT_KINDS.get(comment_type)
    if kind is None:
        channel.skipped_types[comment_type] += 1
        return None
    approved = fields.get("wp:comment_approved", "1").strip()
    gmt, local = fields.get("wp:comment_date_gmt"), fields.get("wp:comment_date")
    where = f"{record}, comment {native_id}"
    return _Comment(
        native_id=native_id,
        parent_native_id=fields.get("wp:comment_parent", "0").strip() or "0",
        kind=kind,
        status=_COMMENT_STATUS.get(approved, approved),
        author=_clean_line(fields.get("wp:comment_author")) or None,
        author_url=_author_url(fields.get("wp:comment_author_url")),
        timestamp=_timestamp(gmt, local, context, where),
        sort_key=(_sortable_date(gmt, local), int(native_id)),
        body=_clean_body(fields.get("wp:comment_content", "")),
    )


def _comment_entries(
    comments: list[_Comment],
    thread_id: str,
    link: str | None,
    context: SourceContext,
    record: str,
) -> list[Entry]:
    """Order the indexed comments chronologically and link each reply to its parent."""
    by_id = {comment.native_id: comment for comment in comments}
    shown = [c for c in comments if c.status == _APPROVED or context.include_hidden]
    shown.sort(key=lambda comment: comment.sort_key)
    shown_ids = {comment.native_id for comment in shown}
    parents = {c.native_id: _indexed_ancestor(c, by_id, shown_ids, context, record) for c in shown}
    depths = _depths(parents)
    entries = []
    for position, comment in enumerate(shown, start=1):
        parent = parents[comment.native_id]
        entries.append(
            Entry(
                id=entry_id_for(thread_id, comment.native_id),
                thread_id=thread_id,
                kind=comment.kind,
                position=position,
                body=comment.body,
                author=comment.author,
                author_url=comment.author_url,
                timestamp=comment.timestamp,
                utc_offset=offset_minutes(comment.timestamp),
                parent_id=entry_id_for(thread_id, parent) if parent else None,
                depth=depths[comment.native_id],
                url=f"{link}#comment-{comment.native_id}" if link else None,
                status=comment.status,
            )
        )
    return entries


def _indexed_ancestor(
    comment: _Comment,
    by_id: dict[str, _Comment],
    shown_ids: set[str],
    context: SourceContext,
    record: str,
) -> str | None:
    """The native id of the nearest ancestor that is indexed, or None for top level."""
    seen = {comment.native_id}
    parent_id = comment.parent_native_id
    while parent_id != "0" and parent_id not in seen:
        parent = by_id.get(parent_id)
        if parent is None:
            context.warn(
                f"{context.path}, {record}, comment {comment.native_id}: its parent "
                f"{parent_id} is not in the file; indexed as a top-level comment"
            )
            return None
        if parent_id in shown_ids:
            return parent_id
        seen.add(parent_id)
        parent_id = parent.parent_native_id
    return None


def _depths(parents: dict[str, str | None]) -> dict[str, int]:
    """Depth of each comment: 1 at top level, one more than its parent for a reply.

    A parent cycle (possible in a hand-edited file) is cut where it closes.
    """
    depths: dict[str, int] = {}
    for native_id in parents:
        chain: list[str] = []
        current: str | None = native_id
        while current is not None and current not in depths and current not in chain:
            chain.append(current)
            current = parents.get(current)
        base = depths.get(current, 0) if current is not None else 0
        for offset, member in enumerate(reversed(chain), start=1):
            depths[member] = base + offset
    return depths


def _timestamp(
    gmt: str | None, local: str | None, context: SourceContext, record: str
) -> datetime | None:
    """The time in the blog's own zone: the local field at its offset from the GMT field.

    With both fields, the offset is their difference (so a comment written at 20:00 in
    Shanghai is 20:00+08:00); with only GMT, UTC; with only the zone-less local field
    (GMT is WordPress's zero for drafts and some imports), ``--timezone`` applies.
    """
    gmt, local = (gmt or "").strip(), (local or "").strip()
    if gmt and gmt != _ZERO_DATE:
        value = _parse_date(gmt, context, record)
        if value is None:
            return None
        value = value.replace(tzinfo=timezone.utc)
        try:
            wall = datetime.strptime(local, _DATE_FORMAT)
        except ValueError:  # absent, zero or unreadable: the GMT time is enough
            return value
        minutes = round((wall - value.replace(tzinfo=None)).total_seconds() / 60)
        if abs(minutes) >= 18 * 60:  # no zone is that far off: trust GMT alone
            return value
        return value.astimezone(timezone(timedelta(minutes=minutes)))
    if local and local != _ZERO_DATE:
        value = _parse_date(local, context, record)
        return context.localize(value) if value else None
    return None


def _parse_date(text: str, context: SourceContext, record: str) -> datetime | None:
    try:
        return datetime.strptime(text, _DATE_FORMAT)
    except ValueError:
        context.warn(f"{context.path}, {record}: unreadable date {text!r}; left empty")
        return None


def _sortable_date(gmt: str | None, local: str | None) -> str:
    """A string that sorts comments by time (dates in WXR sort as text)."""
    gmt, local = (gmt or "").strip(), (local or "").strip()
    if gmt and gmt != _ZERO_DATE:
        return gmt
    return local


def _clean_line(text: str | None) -> str:
    """A title, name or tag: entities unescaped (some are inside CDATA), mojibake fixed."""
    return " ".join(repair_text(unescape_fully(text or "")).split())


def _clean_body(markup: str) -> str:
    """Post or comment HTML as clean text paragraphs."""
    return repair_text(html_to_text(markup))


def _author_url(text: str | None) -> str | None:
    url = (text or "").strip()
    return None if url in _EMPTY_URLS else url
