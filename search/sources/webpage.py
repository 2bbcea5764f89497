"""Saved blog post pages (WordPress-style HTML): one thread per page.

A saved page holds one post and, below it, its comments as a nested list:
``ol.commentlist`` / ``ol.comment-list`` whose items carry ``id="comment-N"`` and whose
replies sit in ``ol.children`` inside their parent's item. We read the page with
lxml's HTML parser, which repairs broken markup, then pick the parts out by WordPress's
class names. The page is parsed whole (a single post page is small); the one thread is
yielded lazily.

Policy:

* The post (position 0) comes from the post container (``.hentry``, ``.type-post``,
  ``article.post``, ``div.post``, ``#post-N``): title, author and date if the page shows
  them, and the text of ``.entry-content`` / ``.postentry`` (or the container itself).
  Comments follow at positions 1.. in page order, with ``kind`` ``pingback`` or
  ``trackback`` when their item's class says so.
* Not content: the page header, navigation, sidebar and footer, the comment form, the
  commenter's name block (``.comment-author``, ``.vcard``, ``.fn``, the "says:" label),
  the date line (``.comment-meta``), "Reply" and "Edit" links and avatars. Comment
  bodies keep their paragraphs.
* Depth and parent come from the nesting of the lists, not of the items: a comment's
  depth is 1 plus the number of ``ol.children`` lists around it, and its parent is the
  item that owns the nearest of those lists. Saved pages often lose closing ``</li>``
  tags, which nests every top-level comment inside the previous one; the lists stay
  right. Items are recognised by their id, not their tag, because some exports mangle
  ``<li class="...">`` into ``<liclass ...>`` (the class words then sit in bare
  attribute names, which we read as class words too).
* A comment marked as awaiting moderation is skipped unless ``context.include_hidden``
  (then ``Entry.status`` is ``unapproved``); its replies hang from the nearest indexed
  ancestor.
* Ids: the thread id is ``thread_id_for(canonical_url(post URL))``, the post URL being
  the first of ``<link rel="canonical">``, ``og:url``, the post's permalink and the base
  of the comment permalinks, resolved against ``<base href>``. Static exports often make
  these host-relative (``/2017/02/23/slug/``); then the host is taken from a site name
  that is a host name (``whizzy.org``) or from the site's own absolute upload links, with
  a warning. With no host at all the relative link is the key (warned: such an id cannot
  match a feed or export of the same post). Comment ids are ``entry_id_for(thread_id,
  "N")`` from ``id="comment-N"``, as the feed and WXR parsers compute them.
* Times: pages state local time with no zone, so timestamps are naive and go through
  ``context.localize``; a ``<time datetime>`` with an offset gives UTC. Dates are read
  by :func:`parse_page_date`, which knows month names in English, Russian and Ukrainian
  (nominative and genitive), French, German, Spanish, Portuguese, Italian, Dutch, Czech
  and Polish. A date-only post date is midnight local time.

A page with neither a post container nor a comment list is not a blog post page: that
raises :class:`~threadsearch.errors.SourceFormatError`. Damage inside a page (a comment without
a readable date or author, an undecodable byte) is warned about and the field left empty.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
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
    offset_minutes,
    thread_id_for,
)
from ..text import detect_charset, html_to_text, repair_text, unescape_fully
from .base import SourceContext

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


def _class_words(element: Element) -> set[str]:
    """The element's class words, plus bare attribute names (``<liclass even depth-1>``)."""
    words = set(str(element.get("class") or "").split())
    words.update(name for name, value in element.attrib.items() if not value)
    return words


def _has_class(element: Element, *names: str) -> bool:
    return not _class_words(element).isdisjoint(names)


def _tag(element: Element) -> str:
    return element.tag if isinstance(element.tag, str) else ""


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

_LIST_ROOT_CLASSES = ("commentlist", "comment-list", "comments-list")
_ITEM_ID = re.compile(r"\A(?:li-)?comment-(\d+)\Z")
_POST_ID = re.compile(r"\Apost-\d+\Z")
_CONTENT_CLASSES = (
    "entry-content",
    "postentry",
    "post-content",
    "entry-body",
    "post-body",
    "storycontent",
    "entry",
)


@dataclass
class _Item:
    """A comment's list item and where it sits in the thread."""

    element: Element
    number: str
    parent: _Item | None
    words: set[str]


def _comment_roots(root: Element) -> list[Element]:
    roots = [
        el
        for el in root.iter("ol", "ul")
        if _has_class(el, *_LIST_ROOT_CLASSES)
        and not any(_has_class(a, *_LIST_ROOT_CLASSES) for a in el.iterancestors("ol", "ul"))
    ]
    return roots


def _comment_items(roots: Iterable[Element]) -> list[_Item]:
    """The comment items in page order, each knowing its parent from the list nesting."""
    by_element: dict[Element, _Item] = {}
    items: list[_Item] = []
    seen: set[str] = set()
    for list_root in roots:
        for element in list_root.iter():
            match = _ITEM_ID.match(str(element.get("id") or "")) if _tag(element) else None
            if match is None or _tag(element) == "a":
                continue
            element = _item_element(element, list_root)
            if match[1] in seen or element in by_element:
                continue
            seen.add(match[1])
            item = _Item(
                element, match[1], _parent_item(element, by_element), _class_words(element)
            )
            by_element[element] = item
            items.append(item)
    return items


def _is_list_item(element: Element) -> bool:
    # "liclass" and the like: exports that lost the space in ``<li class=...>``.
    tag = _tag(element)
    return tag.startswith("li") and tag != "link"


def _item_element(element: Element, list_root: Element) -> Element:
    """The list item a comment id belongs to (Twenty Ten puts ``comment-N`` on an inner div)."""
    if _is_list_item(element):
        return element
    for ancestor in element.iterancestors():
        if ancestor is list_root:
            break
        if _is_list_item(ancestor):
            return ancestor
    return element


def _parent_item(element: Element, by_element: dict[Element, _Item]) -> _Item | None:
    """The item owning the nearest reply list around ``element``; None at top level.

    Item nesting is unreliable (lost ``</li>`` tags nest siblings), list nesting is not.
    """
    for ancestor in element.iterancestors():
        if _tag(ancestor) in ("ol", "ul"):
            if _has_class(ancestor, *_LIST_ROOT_CLASSES):
                return None
            for owner in ancestor.iterancestors():
                if owner in by_element:
                    return by_element[owner]
            return None
    return None


def _find_post(root: Element) -> Element | None:
    def outside_comments(el: Element) -> bool:
        return not any(_has_class(a, *_LIST_ROOT_CLASSES) for a in el.iterancestors("ol", "ul"))

    tests = (
        lambda el: _has_class(el, "hentry", "type-post", "type-page"),
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


def _url_candidates(root: Element, post: Element | None, roots: list[Element]) -> list[str]:
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
    permalinks = Counter(
        str(a.get("href")).partition("#")[0]
        for list_root in roots
        for a in list_root.iter("a")
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
    root: Element, post: Element | None, roots: list[Element], title: str, context: SourceContext
) -> _Location:
    base = next((str(b.get("href")) for b in root.iter("base") if b.get("href")), "")
    candidates = [urljoin(base, c) if base else c for c in _url_candidates(root, post, roots)]
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
    "comment-meta",
    "commentmetadata",
    "comment-metadata",
    "reply",
    "comment-reply-link",
    "comment-edit-link",
    "edit-link",
    "avatar",
    "comment-awaiting-moderation",
)
_NOT_BODY_TAGS = ("script", "style", "noscript", "form")
_AUTHOR_CLASSES = ("fn", "comment-author", "commenter", "comment-author-name")
_DATE_CLASSES = (
    "comment-meta",
    "commentmetadata",
    "comment-metadata",
    "comment-date",
    "comment-time",
)
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
_SAYS = re.compile(r"\s*(?:says|said|пишет|говорит|dit|schreibt|dice)\s*:?\s*\Z", re.I)


def _clean_author(text: str) -> str | None:
    text = _SAYS.sub("", text).strip().rstrip(":").strip()
    return text or None


def _absolute(href: str, location: _Location) -> str | None:
    url = urljoin(location.url, href) if location.url else href
    return url if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname else None


def _comment_author(element: Element, location: _Location) -> tuple[str | None, str | None]:
    for name in _AUTHOR_CLASSES:
        found = _first(element, lambda el, n=name: _has_class(el, n))
        if found is not None:
            break
    else:
        found = next(element.iter("cite"), None)
    if found is None:
        return None, None
    link = found if _tag(found) == "a" else next(found.iter("a"), None)
    url = _absolute(str(link.get("href") or ""), location) if link is not None else None
    return _clean_author(_text(found)), url


def _element_date(scope: Element, classes: tuple[str, ...]) -> datetime | None:
    """A ``<time datetime>`` in ``scope``, else the first element of ``classes`` with a date."""
    for element in scope.iter("time"):
        value = parse_iso(str(element.get("datetime") or ""))
        if value is not None:
            return value
    for name in classes:
        for element in scope.iter():
            if _tag(element) and _has_class(element, name):
                value = parse_page_date(_text(element))
                if value is not None:
                    return value
    return None


def _strip_not_body(element: Element) -> None:
    doomed = [
        el
        for el in element.iterdescendants()
        if _tag(el) in _NOT_BODY_TAGS or (_tag(el) and _has_class(el, *_NOT_BODY_CLASSES))
    ]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()


def _body(element: Element) -> str:
    markup = str(lxml_html.tostring(element, encoding="unicode"))
    return repair_text(html_to_text(markup))


def _kind(words: set[str]) -> str:
    for kind in (EntryKind.PINGBACK.value, EntryKind.TRACKBACK.value):
        if kind in words:
            return str(kind)
    return str(EntryKind.COMMENT.value)


def _read_comments(
    roots: list[Element],
    items: list[_Item],
    thread_id: str,
    location: _Location,
    context: SourceContext,
) -> list[Entry]:
    """Comment entries in page order; takes each item out of the tree once read.

    Items are read last first, so by the time an item is read its replies (and, in a page
    with lost ``</li>`` tags, its later siblings) are gone from inside it.
    """
    hidden = _hidden_numbers(roots, items)
    entries: list[Entry] = []
    for item in reversed(items):
        if item.number in hidden and not context.include_hidden:
            item.element.drop_tree()
            continue
        entries.append(_read_comment(item, hidden, thread_id, location, context))
        item.element.drop_tree()
    entries.reverse()
    return [replace(entry, position=n) for n, entry in enumerate(entries, start=1)]


def _hidden_numbers(roots: list[Element], items: list[_Item]) -> set[str]:
    """Comments awaiting moderation: the marker's nearest item is the hidden one."""
    by_element = {item.element: item for item in items}
    hidden = {item.number for item in items if "unapproved" in item.words}
    for list_root in roots:
        for marker in list_root.iter():
            if _tag(marker) and _has_class(marker, "comment-awaiting-moderation"):
                owner = next((a for a in marker.iterancestors() if a in by_element), None)
                if owner is not None:
                    hidden.add(by_element[owner].number)
    return hidden


def _read_comment(
    item: _Item, hidden: set[str], thread_id: str, location: _Location, context: SourceContext
) -> Entry:
    element = item.element
    author, author_url = _comment_author(element, location)
    timestamp = _element_date(element, _DATE_CLASSES)
    if timestamp is None:
        context.warn(f"{context.path}: comment {item.number} shows no readable date")
    else:
        timestamp = context.localize(timestamp)
    parent = item.parent
    while parent is not None and parent.number in hidden and not context.include_hidden:
        parent = parent.parent
    depth = 1 + sum(1 for _ in _ancestors(parent, hidden, context))
    status = "unapproved" if item.number in hidden else "approved"
    _strip_not_body(element)
    return Entry(
        id=entry_id_for(thread_id, item.number),
        thread_id=thread_id,
        kind=_kind(item.words),
        position=0,
        body=_body(element),
        author=author,
        author_url=author_url,
        timestamp=timestamp,
        utc_offset=offset_minutes(timestamp),
        parent_id=entry_id_for(thread_id, parent.number) if parent else None,
        depth=depth,
        url=f"{location.url}#comment-{item.number}" if location.url else None,
        status=status,
    )


def _ancestors(item: _Item | None, hidden: set[str], context: SourceContext) -> Iterator[_Item]:
    while item is not None:
        if item.number not in hidden or context.include_hidden:
            yield item
        item = item.parent


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
    return value or _element_date(post, _POST_DATE_CLASSES)


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
    post = _find_post(root)
    roots = _comment_roots(root)
    items = _comment_items(roots)
    if post is None and not items:
        raise SourceFormatError(
            context.path, "no blog post and no comment list found in the page", hint=_HINT
        )
    title = _post_title(root, post) or ""
    location = _locate(root, post, roots, title, context)
    thread_id = thread_id_for(location.key)
    declared = _declared_count(root)
    comments = _read_comments(roots, items, thread_id, location, context)
    if declared is not None and declared != len(items):
        context.warn(f"{context.path}: the page says {declared} comments but lists {len(items)}")
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
