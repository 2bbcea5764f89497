"""Saved blog post pages: one thread per page, whatever the theme.

A saved page holds one post and, below it, its comments. We read the page with lxml's
HTML parser, which repairs broken markup as a browser would (a PHP prefix, several
``<html>`` tags, stray closing tags), find the comment items by their structure (see
:mod:`threadsearch.sources.htmlcomments`: comment ids, item classes, microformats,
schema.org microdata and JSON-LD, repeated blocks), then read each item. The page is
parsed whole (a single post page is small); the one thread is yielded lazily.

Policy:

* The post (position 0) comes from the post container (``.hentry``, ``.h-entry``,
  ``.type-post``, ``article.post``, ``div.post``, ``#post-N``, ``#node-N``), never a
  comment or inside one: title, author and date if the page shows them, and the text of
  ``.entry-content`` / ``.e-content`` / ``.postentry`` (or the container itself, less its
  title). Comments follow at positions 1.. in page order, with ``kind`` ``pingback`` or
  ``trackback`` when their item's class says so or their text starts "Pingback:" /
  "Trackback:".
* Not content: the page header, navigation, sidebar and footer, the comment form, the
  commenter's name block (``.comment-author``, ``.vcard``, ``.fn``, ``p-author``, the
  "says:" label), the date, "Reply" and "Edit" links and avatars. Where the theme marks
  the text (``.comment-content``, ``.e-content``, ``.dsq-comment-message``,
  ``itemprop=text``) only that is read. Comment bodies keep their paragraphs. A bare
  pingback (``Pingback: <a>Title</a>()``) has the linking page's title as author, body
  and its link as ``author_url``.
* Depth and parent come from the reply lists, not from item nesting (saved pages lose
  ``</li>`` tags); see :mod:`~threadsearch.sources.htmlcomments`.
* A comment marked as awaiting moderation is skipped unless ``context.include_hidden``
  (then ``Entry.status`` is ``unapproved``); its replies hang from the nearest indexed
  ancestor.
* Ids: the thread id is ``thread_id_for(canonical_url(post URL))``, the post URL being
  the first of ``<link rel="canonical">``, ``og:url``, the post's permalink and the base
  of the comment permalinks, resolved against ``<base href>``. Static exports often make
  these host-relative (``/2017/02/23/slug/``); then the host is taken from a site name
  that is a host name (``whizzy.org``) or from the site's own absolute upload links, with
  a warning. With no host at all a host-relative link stays the thread's URL (warned), so
  that ingest can give it the host of a feed or export of the same path; any other
  relative key cannot match one (warned). Comment ids are ``entry_id_for(thread_id,
  "N")`` from the comment number, as the feed and WXR parsers compute them; an item with
  no number gets one from its kind, link and text (the n-th identical item ``-n``).
* Times: pages state local time with no zone, so timestamps are naive and go through
  ``context.localize``; a ``datetime`` attribute with a non-zero offset gives UTC, one
  claiming ``+00:00`` counts as no zone (themes print local time so). Dates are read
  by :func:`parse_page_date`. A date-only post date is midnight local time. An item that
  shows no date has none (unknown, never guessed).

A page with neither a post container nor a comment is not a blog post page: that raises
:class:`~threadsearch.errors.SourceFormatError`. Damage inside a page (a date that cannot be
read, an undecodable byte) is warned about and the field left empty.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from ..dates import parse_iso, parse_page_date
from ..errors import SourceFormatError
from ..model import (
    Entry,
    EntryKind,
    Thread,
    canonical_url,
    entry_id_for,
    make_id,
    offset_minutes,
    thread_id_for,
)
from ..text import detect_charset, html_to_text, repair_text, unescape_fully
from .base import SourceContext
from .htmlcomments import (
    DATE_CLASSES,
    CommentItem,
    LinkedDataComment,
    bare_dates,
    class_words,
    find_author,
    find_comment_items,
    json_ld_comments,
    tag_of,
    written_dates,
)

# lxml ships no type information; an element is Any to mypy.
Element = Any

_HINT = (
    "The html format reads a saved blog post page: a post container (article.post, "
    "div.post, .hentry) and/or a comment list (ol.commentlist, ol.comment-list). "
    "For other files pass --format with the right format."
)

# ---------------------------------------------------------------------------------------
# Reading the document
# ---------------------------------------------------------------------------------------

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")


def _decode(data: bytes, context: SourceContext) -> str:
    """Decode the page: UTF-8 when it is UTF-8, else the first declared charset that fits.

    Saved pages may declare their charset twice, or declare one and be written in
    another, so the bytes have the last word over the meta tags; when neither fits,
    charset-normalizer detects the charset (before any mojibake repair).
    """
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = [m.decode("ascii").lower() for m in _CHARSET.findall(data[:8192])]
    for encoding in dict.fromkeys(declared):
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    detected = detect_charset(data)
    context.warn(
        f"{context.path}: the page is neither UTF-8 nor its declared charset "
        f"({', '.join(declared) or 'none'}); read as "
        + (f"{detected}, the charset detected" if detected else "Windows-1252")
    )
    detected = detected or "cp1252"
    return data.decode(detected, errors="replace")


def _parse_document(data: bytes, context: SourceContext) -> Element:
    text = _XML_DECLARATION.sub("", _decode(data, context), count=1)
    if not text.strip():
        raise SourceFormatError(context.path, "the file is empty", hint=_HINT)
    try:
        return lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise SourceFormatError(context.path, f"not readable as HTML: {exc}", hint=_HINT) from exc


def _has_class(element: Element, *names: str) -> bool:
    return not class_words(element).isdisjoint(names)


_tag = tag_of


def _text(element: Element) -> str:
    text = unescape_fully(str(element.text_content()))
    return " ".join(repair_text(text).split())


def _first(root: Element, predicate: Any) -> Element | None:
    return next((el for el in root.iter() if _tag(el) and predicate(el)), None)


def _meta(root: Element, key: str) -> str | None:
    for element in root.iter("meta"):
        if key in (element.get("property"), element.get("name")):
            content = str(element.get("content") or "").strip()
            if content:
                return content
    return None


# ---------------------------------------------------------------------------------------
# Finding the parts
# ---------------------------------------------------------------------------------------

_POST_ID = re.compile(r"\A(?:post|node)-\d+\Z")
_CONTENT_CLASSES = (
    "entry-content",
    "e-content",
    "postentry",
    "post-content",
    "entry-body",
    "post-body",
    "storycontent",
    "entry",
)


def _find_post(root: Element, items: list[CommentItem]) -> Element | None:
    comments = {item.element for item in items}

    def outside_comments(el: Element) -> bool:
        return el not in comments and not any(a in comments for a in el.iterancestors())

    tests = (
        lambda el: _has_class(el, "hentry", "h-entry", "type-post", "type-page"),
        lambda el: _tag(el) in ("article", "div") and _has_class(el, "post"),
        lambda el: _POST_ID.match(str(el.get("id") or "")) is not None,
    )
    for test in tests:
        found = _first(root, lambda el, t=test: t(el) and outside_comments(el))
        if found is not None:
            return found
    articles = [el for el in root.iter("article") if outside_comments(el)]
    return articles[0] if len(articles) == 1 else None


def _post_content(post: Element) -> Element:
    for name in _CONTENT_CLASSES:
        found = _first(post, lambda el, n=name: _has_class(el, n))
        if found is not None:
            return found
    return post


# ---------------------------------------------------------------------------------------
# Where the page lives
# ---------------------------------------------------------------------------------------

_HOST_NAME = re.compile(r"\A(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}\Z")
_TITLE_SEPARATORS = re.compile(r"\s+(?:[–—|»]|&raquo;|-)\s+")


def _site_names(root: Element) -> list[str]:
    names = [_meta(root, "og:site_name") or ""]
    for element in root.iter():
        if not _tag(element):
            continue
        if _has_class(element, "site-title", "blog-title") or element.get("id") in (
            "site-title",
            "blog-title",
        ):
            names.append(_text(element))
        elif _tag(element) == "a" and "home" in str(element.get("rel") or "").split():
            names += [str(element.get("title") or ""), _text(element)]
        elif _tag(element) == "h1" and any(
            a.get("id") in ("header", "headertitle") for a in element.iterancestors()
        ):
            names.append(_text(element))
    title = root.find(".//title")
    if title is not None:
        parts = _TITLE_SEPARATORS.split(_text(title))
        if len(parts) > 1:
            names += [parts[-1], parts[0]]
    return [name.strip() for name in names if name.strip()]


def _infer_host(root: Element) -> tuple[str, str] | None:
    """A host for host-relative links: (host, how we know it), or None."""
    for name in _site_names(root):
        if _HOST_NAME.match(name.lower()):
            return name.lower(), "the site name"
    hosts: Counter[str] = Counter()
    for element in root.iter("a", "img", "link", "script"):
        for attribute in ("href", "src"):
            parts = urlsplit(str(element.get(attribute) or ""))
            if parts.hostname and parts.path.startswith(("/wp-content/", "/wp-includes/")):
                hosts[parts.hostname] += 1
    if hosts:
        return hosts.most_common(1)[0][0], "the site's own upload links"
    return None


def _url_candidates(root: Element, post: Element | None, items: list[CommentItem]) -> list[str]:
    candidates = [
        str(el.get("href") or "")
        for el in root.iter("link")
        if "canonical" in str(el.get("rel") or "").lower().split()
    ]
    candidates.append(_meta(root, "og:url") or "")
    if post is not None:
        for element in post.iter("a"):
            rel = str(element.get("rel") or "").split()
            in_title = any(
                _has_class(a, "entry-title", "posttitle", "post-title")
                for a in element.iterancestors()
            )
            if "bookmark" in rel or in_title:
                candidates.append(str(element.get("href") or ""))
    elements = {item.element for item in items}
    outermost = [
        item.element
        for item in items
        if not any(a in elements for a in item.element.iterancestors())
    ]
    permalinks = Counter(
        str(a.get("href")).partition("#")[0]
        for element in outermost
        for a in element.iter("a")
        if "#comment-" in str(a.get("href") or "")
    )
    candidates += [href for href, _ in permalinks.most_common(1)]
    return [c.strip().partition("#")[0] for c in candidates if c.strip().partition("#")[0]]


@dataclass
class _Location:
    key: str
    url: str | None
    site: str | None


def _locate(
    root: Element,
    post: Element | None,
    items: list[CommentItem],
    title: str,
    context: SourceContext,
) -> _Location:
    base = next((str(b.get("href")) for b in root.iter("base") if b.get("href")), "")
    candidates = [urljoin(base, c) if base else c for c in _url_candidates(root, post, items)]
    names = _site_names(root)
    site_name = names[0] if names else None
    for candidate in candidates:
        if urlsplit(candidate).scheme in ("http", "https") and urlsplit(candidate).hostname:
            return _located(candidate, site_name)
        if candidate.startswith("//"):
            return _located("https:" + candidate, site_name)
    host = _infer_host(root)
    for candidate in candidates:
        if candidate.startswith("/") and host is not None:
            context.warn(
                f"{context.path}: the page's links are host-relative; took the host "
                f"{host[0]} from {host[1]}"
            )
            return _located(f"https://{host[0]}{candidate}", site_name)
    key = candidates[0] if candidates else f"html-title:{title}"
    if key.startswith("/"):
        # Ingest gives the thread the host of a feed or export of the same path, if any.
        context.warn(
            f"{context.path}: the page names no host, so its thread id comes from {key!r}; "
            "it joins a feed or export of the same post only when ingested with it"
        )
        return _Location(key, key, site_name)
    context.warn(
        f"{context.path}: the page names no host, so its thread id comes from {key!r} and "
        "will not match a feed or export of the same post"
    )
    return _Location(key, None, site_name)


def _located(url: str, site_name: str | None) -> _Location:
    key = canonical_url(url)
    host = urlsplit(key).hostname
    return _Location(key, url, host or site_name)


# ---------------------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------------------

# Parts of a comment item that are not what the commenter wrote.
_NOT_BODY_CLASSES = (
    "children",
    "comment-author",
    "vcard",
    "fn",
    "says",
    "reply",
    "comment-reply-link",
    "comment-edit-link",
    "edit-link",
    "avatar",
    "comment-awaiting-moderation",
    # headers and footers around the text: WordPress themes, Disqus, Blogger, Drupal
    "comment-head",
    "comment-header",
    "dsq-comment-header",
    "comment-footer",
    "comment-actions",
    "comment-replies",
    "comment__meta",
    "user-picture",
    "links",
    "permalink",
    "comment-permalink",
    # microformats
    "p-author",
    "h-card",
    "u-photo",
    *DATE_CLASSES,
)
_NOT_BODY_TAGS = ("script", "style", "noscript", "form")
_NOT_BODY_PROPERTIES = ("author", "dateCreated", "datePublished", "image")
# Where a theme keeps just the commenter's text, when it marks it.
_BODY_CLASSES = ("e-content", "comment-content", "comment-text", "dsq-comment-message")
_BODY_PROPERTIES = ("text", "commentText")
_POST_DATE_CLASSES = (
    "entry-date",
    "published",
    "date-post",
    "post-date",
    "postdate",
    "posted-on",
    "postmetadata",
    "entry-meta",
    "date",
    "meta",
)
_SAYS = re.compile(r"\s*(?:says|said|пишет|говорит|dit|schreibt|dice)\s*[:.…]*\s*\Z", re.I)
_LINKBACK_LABEL = re.compile(r"\A\s*(pingback|trackback)\s*:\s*", re.I)
_EMPTY_PARENTHESES = re.compile(r"\s*\(\s*\)\s*\Z")


def _clean_author(text: str) -> str | None:
    text = _SAYS.sub("", text).strip().rstrip(":").strip()
    return text or None


def _absolute(href: str, location: _Location) -> str | None:
    if not href.strip() or href.startswith("#"):
        return None  # an anchor (<a name=...>) or a link within the page: not a site
    url = urljoin(location.url, href) if location.url else href
    return url if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname else None


def _links(element: Element) -> Iterator[Element]:
    return (a for a in element.iter("a") if a.get("href"))


def _comment_author(
    element: Element, kind: str, location: _Location
) -> tuple[Element | None, str | None, str | None]:
    """(the author's element, name, URL). A bare pingback names its source by its link."""
    found = find_author(element)
    if found is not None and found.get("itemprop") == "author":
        name = _first(found, lambda el: el.get("itemprop") == "name")
        found = found if name is None else name
    if found is None and kind != EntryKind.COMMENT.value:
        link = next(_links(element), None)
        if link is None:
            return None, None, None
        return None, _clean_author(_text(link)), _absolute(str(link.get("href") or ""), location)
    if found is None:
        return None, None, None
    link = found if _tag(found) == "a" else next(_links(found), None)
    if link is None:
        link = next((a for a in found.iterancestors("a")), None)
    url = _absolute(str(link.get("href") or ""), location) if link is not None else None
    return found, _clean_author(_text(found)), url


def _comment_date(element: Element) -> tuple[datetime | None, Element | None, str | None]:
    """The item's date and the element showing it, or what it showed when unreadable."""
    unreadable = None
    for shown, written in written_dates(element):
        value = parse_iso(written)
        if value is not None and value.utcoffset() == timedelta(0):
            # Themes print local time as "+00:00" (WordPress's comment time with the
            # 'c' format), so a page's UTC claim is no zone at all; a feed's UTC wins.
            value = value.replace(tzinfo=None)
        value = value or parse_page_date(written)
        if value is not None:
            return value, shown, None
        unreadable = unreadable or written or None
    if unreadable is None:
        for shown, written in bare_dates(element):
            return parse_page_date(written), shown, None
    return None, None, unreadable


def _post_element_date(scope: Element) -> datetime | None:
    """A ``<time datetime>`` in ``scope``, else the first element of a date class with a date."""
    for element in scope.iter("time"):
        value = parse_iso(str(element.get("datetime") or ""))
        if value is not None:
            return value
    for name in _POST_DATE_CLASSES:
        for element in scope.iter():
            if _tag(element) and _has_class(element, name):
                value = parse_page_date(_text(element))
                if value is not None:
                    return value
    return None


def _is_not_body(element: Element) -> bool:
    if _tag(element) in _NOT_BODY_TAGS:
        return True
    if element.get("itemprop") in _NOT_BODY_PROPERTIES:
        return True
    return bool(_tag(element)) and _has_class(element, *_NOT_BODY_CLASSES)


def _body_element(element: Element, *labels: Element | None) -> Element:
    """What the commenter wrote: the marked text (or the item) less any name and date in it."""
    marked = _first(
        element,
        lambda el: _has_class(el, *_BODY_CLASSES) or el.get("itemprop") in _BODY_PROPERTIES,
    )
    if marked is not None and marked is not element:
        element = marked
    doomed = [el for el in element.iterdescendants() if _is_not_body(el)]
    # The name and date found where no class said so (a theme's own markup).
    doomed += [
        label
        for label in labels
        if label is not None and any(a is element for a in label.iterancestors())
    ]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    return element


def _body(element: Element) -> str:
    markup = str(lxml_html.tostring(element, encoding="unicode"))
    return repair_text(html_to_text(markup))


def _kind(item: CommentItem) -> str:
    for kind in (EntryKind.PINGBACK.value, EntryKind.TRACKBACK.value):
        if kind in item.words:
            return str(kind)
    start = ""
    for piece in item.element.itertext():
        start += piece
        if len(start.strip()) >= 12:
            break
    label = _LINKBACK_LABEL.match(start)
    return label[1].lower() if label else str(EntryKind.COMMENT.value)


@dataclass
class _Comment:
    """What one item says, read before ids are given (they need the whole page)."""

    item: CommentItem
    kind: str
    body: str
    author: str | None
    author_url: str | None
    timestamp: datetime | None
    hidden: bool = False


def _read_comments(
    items: list[CommentItem], thread_id: str, location: _Location, context: SourceContext
) -> list[Entry]:
    """Comment entries in page order; takes each item out of the tree once read.

    Items are read last first, so by the time an item is read its replies (and, in a page
    with lost ``</li>`` tags, its later siblings) are gone from inside it.
    """
    hidden = _hidden_items(items)
    read: list[_Comment] = []
    for item in reversed(items):
        if item in hidden and not context.include_hidden:
            item.element.drop_tree()
            continue
        read.append(_read_comment(item, item in hidden, location, context))
        item.element.drop_tree()
    read.reverse()
    ids = _entry_ids(read, thread_id)
    return [
        _entry(comment, position, ids, hidden, thread_id, location, context)
        for position, comment in enumerate(read, start=1)
    ]


def _hidden_items(items: list[CommentItem]) -> set[CommentItem]:
    """Comments awaiting moderation: the marker's nearest item is the hidden one."""
    by_element = {item.element: item for item in items}
    hidden = {item for item in items if "unapproved" in item.words}
    if not items:
        return hidden
    root = items[0].element.getroottree().getroot()
    for marker in root.xpath("//*[contains(@class, 'comment-awaiting-moderation')]"):
        if _has_class(marker, "comment-awaiting-moderation"):
            owner = next((a for a in marker.iterancestors() if a in by_element), None)
            if owner is not None:
                hidden.add(by_element[owner])
    return hidden


def _read_comment(
    item: CommentItem, hidden: bool, location: _Location, context: SourceContext
) -> _Comment:
    element = item.element
    kind = _kind(item)
    author_element, author, author_url = _comment_author(element, kind, location)
    timestamp, shown, unreadable = _comment_date(element)
    if unreadable is not None:
        name = item.number or author or kind
        context.warn(
            f"{context.path}: the date of comment {name} ({unreadable!r}) is not readable; "
            "recorded as unknown"
        )
    if timestamp is not None:
        timestamp = context.localize(timestamp)
    body = _body(_body_element(element, author_element, shown))
    if kind != EntryKind.COMMENT.value:
        body = _EMPTY_PARENTHESES.sub("", _LINKBACK_LABEL.sub("", body))
    return _Comment(item, kind, body, author, author_url, timestamp, hidden)


def _entry_ids(read: list[_Comment], thread_id: str) -> dict[CommentItem, str]:
    """Entry ids: from the site's comment number, else from the item's content.

    An item with no number (a theme's bare ``Pingback: <a>title</a>``) is known by its
    kind, source link and text; the n-th repeat of the same content on the page gets
    ``-n``. So the id survives a re-save of the page with comments added around it.
    """
    ids: dict[CommentItem, str] = {}
    repeats: Counter[str] = Counter()
    for comment in read:
        if comment.item.number is not None:
            ids[comment.item] = entry_id_for(thread_id, comment.item.number)
            continue
        digest = make_id(comment.kind, comment.author_url or "", comment.body)[:12]
        repeats[digest] += 1
        suffix = f"-{repeats[digest]}" if repeats[digest] > 1 else ""
        ids[comment.item] = entry_id_for(thread_id, f"{comment.kind}-{digest}{suffix}")
    return ids


def _entry(
    comment: _Comment,
    position: int,
    ids: dict[CommentItem, str],
    hidden: set[CommentItem],
    thread_id: str,
    location: _Location,
    context: SourceContext,
) -> Entry:
    visible = [a for a in _ancestors(comment.item) if a not in hidden or context.include_hidden]
    parent = visible[0] if visible else None
    number = comment.item.number
    return Entry(
        id=ids[comment.item],
        thread_id=thread_id,
        kind=comment.kind,
        position=position,
        body=comment.body,
        author=comment.author,
        author_url=comment.author_url,
        timestamp=comment.timestamp,
        utc_offset=offset_minutes(comment.timestamp),
        parent_id=ids.get(parent) if parent is not None else None,
        depth=1 + len(visible),
        url=f"{location.url}#{comment.item.anchor}" if location.url and number else None,
        status="unapproved" if comment.hidden else "approved",
    )


def _ancestors(item: CommentItem) -> Iterator[CommentItem]:
    parent = item.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _post_title(root: Element, post: Element | None) -> str | None:
    scopes = [post, root] if post is not None else [root]
    for scope in scopes:
        found = _first(scope, lambda el: _has_class(el, "entry-title", "posttitle", "post-title"))
        if found is None and scope is root:
            found = _first(root, lambda el: _tag(el) == "h1" and _has_class(el, "page-title"))
        if found is not None and _text(found):
            return _text(found)
    og_title = _meta(root, "og:title")
    if og_title:
        return " ".join(repair_text(unescape_fully(og_title)).split())
    title = root.find(".//title")
    if title is not None and _text(title):
        parts = _TITLE_SEPARATORS.split(_text(title))
        return parts[0] if len(parts) == 2 else parts[-1]
    return None


def _post_author(root: Element, post: Element) -> str | None:
    found = _first(post, lambda el: "author" in str(el.get("rel") or "").split())
    if found is None:
        found = _first(
            post,
            lambda el: (
                _has_class(el, "fn")
                and any(_has_class(a, "author", "byline", "vcard") for a in el.iterancestors())
            ),
        )
    if found is not None:
        return _clean_author(_text(found))
    meta = _meta(root, "author")
    return _clean_author(" ".join(unescape_fully(meta).split())) if meta else None


def _post_date(root: Element, post: Element) -> datetime | None:
    published = _meta(root, "article:published_time")
    value = parse_iso(published) if published else None
    return value or _post_element_date(post)


def _tags(post: Element | None) -> list[str]:
    if post is None:
        return []
    words = (
        _text(el)
        for el in post.iter("a")
        if not {"tag", "category"}.isdisjoint(str(el.get("rel") or "").split())
    )
    return list(dict.fromkeys(word for word in words if word))


def _read_post(
    root: Element,
    post: Element,
    title: str | None,
    thread_id: str,
    location: _Location,
    context: SourceContext,
) -> Entry:
    timestamp = _post_date(root, post)
    if timestamp is not None:
        timestamp = context.localize(timestamp)
    content = _post_content(post)
    if content is post:
        for element in list(post.iter()):
            if _tag(element) and _has_class(element, "entry-title", "posttitle", "post-title"):
                element.drop_tree()
            elif _tag(element) in ("h1", "h2", "h3") and title and _text(element) == title:
                element.drop_tree()
    for element in [
        el for el in content.iterdescendants() if _tag(el) in ("script", "style", "form")
    ]:
        element.drop_tree()
    return Entry(
        id=entry_id_for(thread_id, "post"),
        thread_id=thread_id,
        kind=EntryKind.POST.value,
        position=0,
        body=_body(content),
        author=_post_author(root, post),
        timestamp=timestamp,
        utc_offset=offset_minutes(timestamp),
        title=title,
        depth=0,
        url=location.url,
    )


_COUNT = re.compile(r"\d+")


def _declared_count(root: Element) -> int | None:
    headings = [el for el in root.iter() if _tag(el) and _has_class(el, "comments-title")]
    comments = root.find(".//*[@id='comments']")
    if comments is not None:
        headings += [el for el in comments.iter("h2", "h3", "h4", "h5")]
    for heading in headings:
        match = _COUNT.search(_text(heading))
        if match:
            return int(match[0])
    return None


# ---------------------------------------------------------------------------------------
# The source
# ---------------------------------------------------------------------------------------


class WebPageSource:
    """Saved blog post pages (WordPress-style HTML); see the module docstring."""

    name = "html"

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        """Yield the page's one thread: the post, then its comments in page order."""
        root = _parse_document(stream.read(), context)
        yield _read_page(root, context)


def _read_page(root: Element, context: SourceContext) -> Thread:
    items = find_comment_items(root)
    post = _find_post(root, items)
    linked = json_ld_comments(root) if not items else []
    if post is None and not items and not linked:
        raise SourceFormatError(
            context.path, "no blog post and no comment list found in the page", hint=_HINT
        )
    title = _post_title(root, post) or ""
    location = _locate(root, post, items, title, context)
    thread_id = thread_id_for(location.key)
    declared = _declared_count(root)
    comments = _read_comments(items, thread_id, location, context)
    comments += _linked_data_entries(linked, thread_id, location, context)
    if declared is not None and declared != len(comments):
        context.warn(f"{context.path}: the page says {declared} comments but lists {len(comments)}")
    entries = (
        [_read_post(root, post, title, thread_id, location, context)] if post is not None else []
    )
    return Thread(
        id=thread_id,
        title=title,
        url=location.url,
        site=location.site,
        declared_count=declared,
        tags=_tags(post),
        entries=entries + comments,
    )


def _linked_data_entries(
    linked: list[LinkedDataComment], thread_id: str, location: _Location, context: SourceContext
) -> list[Entry]:
    """Entries for schema.org comments stated only as JSON-LD, replies under their parent."""
    items: list[CommentItem] = []
    read: list[_Comment] = []
    for comment in linked:
        parent = items[comment.parent] if comment.parent is not None else None
        items.append(CommentItem(None, comment.number, parent))
        timestamp = _linked_data_date(comment, context)
        body = repair_text(html_to_text(comment.text))
        read.append(
            _Comment(items[-1], "comment", body, comment.author, comment.author_url, timestamp)
        )
    ids = _entry_ids(read, thread_id)
    return [
        _entry(comment, position, ids, set(), thread_id, location, context)
        for position, comment in enumerate(read, start=1)
    ]


def _linked_data_date(comment: LinkedDataComment, context: SourceContext) -> datetime | None:
    if not comment.written:
        return None
    timestamp = parse_iso(comment.written) or parse_page_date(comment.written)
    if timestamp is None:
        context.warn(
            f"{context.path}: the date of a comment by {comment.author} "
            f"({comment.written!r}) is not readable; recorded as unknown"
        )
        return None
    return context.localize(timestamp)
