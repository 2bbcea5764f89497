"""Finding a saved page's comments by their structure, whatever the theme calls them.

:func:`find_comment_items` returns a page's comment items in page order, each with its
parent, from whichever of these shapes the page uses (several may mix on one page):

* **comment ids**: an element whose id is ``comment-N``, ``li-comment-N``,
  ``div-comment-N``, ``dsq-comment-N`` (the Disqus plugin's fallback) or ``cN`` (Blogger),
  whatever its tag or class (exports mangle ``<li class=...>`` into ``<liclass ...>``);
* **item classes**: a ``li``, ``article``, ``div``, ``section`` or ``dd`` with the class
  ``comment``, ``pingback``, ``trackback`` or ``dsq-comment`` (WordPress, Blogger's
  ``.comment-thread``, Drupal's ``article.comment`` / ``div.comment``), provided it holds an
  author (or is a pingback or trackback): code highlighters also use a ``comment`` class;
* **microformats**: an ``h-entry`` / ``h-cite`` / ``hentry`` inside another one, or
  marked ``p-comment`` / ``u-comment``;
* **schema.org microdata**: ``itemtype`` ``https://schema.org/Comment``;
* **the fallback**, when none of those occur: the largest group of sibling elements of
  one shape (tag and first class word) that each carry an author, a date and a body,
  plus the elements of that shape nested inside them (replies).

An item nested in another with no reply list between them is the same comment (Twenty
Ten's ``li#li-comment-N > div#comment-N``, a ``div.comment`` inside ``li.comment``) when the
outer item names no author before it; otherwise it is a reply.

Parents come from the reply lists, not from item nesting: saved pages lose ``</li>``
tags, which nests every later top-level comment inside the one before. A reply list
(``ol``, ``ul``, ``dl``, or ``children`` / ``replies`` / ``comment-replies`` /
``indented``) belongs to the item around it, or, in Drupal, to the item right before it
(``<div class="comment">…</div><div class="indented">replies</div>``). A list item nested
directly in another list item is a lost ``</li>``, not a reply.

schema.org comments given only as JSON-LD (no markup to find) are read by
:func:`json_ld_comments`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..dates import parse_iso, parse_page_date

# lxml ships no type information; an element is Any to mypy.
Element = Any

# Blogger's comment numbers are long (``c1394028300000000000``); WordPress's, Disqus's and
# Drupal's are short.
_BLOGGER_DIGITS = 15
_ITEM_ID = re.compile(r"\A(?:(?:li-|div-|dsq-)?comment-(\d{1,14})|c(\d{15,}))\Z")
_ITEM_CLASSES = frozenset({"comment", "pingback", "trackback", "dsq-comment"})
_ITEM_TAGS = frozenset({"li", "article", "div", "section", "dd"})
_MICROFORMAT_ITEMS = frozenset({"h-entry", "h-cite", "hentry"})
_MICROFORMAT_COMMENT = frozenset({"p-comment", "u-comment"})
_REPLY_LISTS = frozenset(
    {"children", "replies", "comment-replies", "indented", "comment-children", "thread-children"}
)
_OUTSIDE = frozenset({"comment-respond", "comment-form", "respond"})
#: Where a comment's author sits, most specific first.
AUTHOR_CLASSES = (
    "fn",
    "p-author",
    "comment-author",
    "comment__author",
    "commenter",
    "comment-author-name",
    "username",
    "user",
    "author",
)
#: Where a comment's date sits, most specific first.
DATE_CLASSES = (
    "dt-published",
    "comment-date",
    "comment-time",
    "comment__time",
    "comment-timestamp",
    "comment-metadata",
    "commentmetadata",
    "comment-meta",
    "datetime",
    "submitted",
    "published",
    "date",
    "timestamp",
)
# Any class naming a person (``note-user``, ``commentAuthor``, ``nickname``): the last
# resort for themes with names of their own.
_LOOSE_AUTHOR = re.compile(r"author|user|name|nick|\bfn\b", re.I)
_SIGNATURE_SKIP = re.compile(
    r"\A(?:even|odd|alt|depth-\d+|thread-\S+|parent|byuser|bypostauthor)\Z"
)


def tag_of(element: Element) -> str:
    """The element's tag, or "" for comments and processing instructions."""
    return element.tag if isinstance(element.tag, str) else ""


def class_words(element: Element) -> set[str]:
    """The element's class words, or with no class attribute its bare attribute names.

    Exports that lost the space in ``<li class="even depth-1">`` leave
    ``<liclass even depth-1>``: the class words are then bare attribute names.
    """
    classes = element.get("class")
    if classes is not None:
        return set(classes.split())
    return {name for name, value in element.attrib.items() if not value}


def is_list_item(element: Element) -> bool:
    # "liclass" and the like: exports that lost the space in ``<li class=...>``.
    tag = tag_of(element)
    return tag.startswith("li") and tag != "link"


@dataclass(eq=False)
class CommentItem:
    """A comment's element, its number on the site (if the page shows one) and its parent."""

    element: Element
    number: str | None
    parent: CommentItem | None
    words: set[str] = field(default_factory=set)

    @property
    def anchor(self) -> str | None:
        """The permalink's fragment: Blogger's ``c<number>``, else ``comment-<number>``."""
        if self.number is None:
            return None
        return (
            f"c{self.number}" if len(self.number) >= _BLOGGER_DIGITS else f"comment-{self.number}"
        )


def item_number(element: Element) -> str | None:
    """The site's comment number from the item's id, or from an anchor right before it."""
    match = _ITEM_ID.match(str(element.get("id") or ""))
    if match is None:
        previous = element.getprevious()
        while previous is not None and not tag_of(previous):
            previous = previous.getprevious()
        if previous is not None and tag_of(previous) == "a" and not len(previous):
            match = _ITEM_ID.match(str(previous.get("id") or previous.get("name") or ""))
    return (match[1] or match[2]) if match else None


def has_author(element: Element) -> bool:
    """Whether ``element`` holds something naming an author."""
    return any(_names_author(el) for el in element.iterdescendants())


def _names_author(element: Element) -> bool:
    if tag_of(element) == "cite" or element.get("itemprop") == "author":
        return True
    if not tag_of(element):
        return False
    return _LOOSE_AUTHOR.search(str(element.get("class") or "")) is not None or str(
        element.get("id") or ""
    ).startswith("dsq-author")


def find_author(element: Element) -> Element | None:
    """The element naming the author inside ``element``, by the most specific marker."""
    found: dict[str, Element] = {}
    for el in element.iterdescendants():
        if not tag_of(el):
            continue
        if el.get("itemprop") == "author":
            return el
        words = class_words(el)
        for name in AUTHOR_CLASSES:
            if name in words and name not in found:
                found[name] = el
        if tag_of(el) == "cite":
            found.setdefault("cite", el)
        if _names_author(el):
            found.setdefault("loose", el)
    for name in (*AUTHOR_CLASSES[:-1], "cite", "author", "loose"):
        if name in found:
            return found[name]
    return None


def _is_candidate(element: Element) -> bool:
    tag = tag_of(element)
    if not tag or tag == "a":
        return False
    identifier = element.get("id")
    if identifier and _ITEM_ID.match(identifier):
        return True
    itemtype = element.get("itemtype")
    if itemtype and itemtype.rstrip("/").endswith("schema.org/Comment"):
        return True
    if element.get("class") is None and not is_list_item(element):
        return False
    words = class_words(element)
    if words & _MICROFORMAT_ITEMS and (
        words & _MICROFORMAT_COMMENT
        or any(class_words(a) & _MICROFORMAT_ITEMS for a in element.iterancestors())
    ):
        return True
    if tag in _ITEM_TAGS and words & _ITEM_CLASSES:
        return bool(words & {"pingback", "trackback"}) or has_author(element)
    return False


def _is_reply_list(element: Element) -> bool:
    return tag_of(element) in ("ol", "ul", "dl") or bool(class_words(element) & _REPLY_LISTS)


def _is_outside(element: Element) -> bool:
    """Inside the comment form, or in a script template: not a comment."""
    for ancestor in element.iterancestors():
        if tag_of(ancestor) in ("form", "textarea", "template", "noscript"):
            return True
        if ancestor.get("id") in _OUTSIDE or class_words(ancestor) & _OUTSIDE:
            return True
    return False


def find_comment_items(root: Element) -> list[CommentItem]:
    """The page's comment items in page order, each knowing its parent."""
    _group_definition_items(root)
    candidates = [el for el in root.iter() if _is_candidate(el)]
    if not candidates:
        candidates = _repeated_blocks(root)
    by_element: dict[Element, CommentItem] = {}
    items: list[CommentItem] = []
    for element in candidates:
        if _is_outside(element):
            continue
        number = item_number(element)
        outer = _wrapped_by(element, by_element)
        if outer is not None:
            # The same comment seen twice (li#li-comment-3 > div#comment-3).
            outer.number = outer.number or number
            outer.words |= class_words(element)
            by_element[element] = outer
            continue
        item = CommentItem(element, number, _parent(element, by_element), class_words(element))
        by_element[element] = item
        items.append(item)
    return _unique_numbers(items)


def _group_definition_items(root: Element) -> None:
    """Classic Blogger's ``dl#comments-block``: make each ``dt`` and its ``dd``s one item.

    There a comment is a ``dt.comment-author#cN`` (the name) followed by ``dd`` siblings
    (the text, the date), not one element; each group is wrapped in a ``div.comment``
    with the ``dt``'s id, so it reads like any other item.
    """
    for term in list(root.iter("dt")):
        identifier = str(term.get("id") or "")
        if not _ITEM_ID.match(identifier) and "comment-author" not in class_words(term):
            continue
        group = term.makeelement("div", {"class": "comment"})
        if identifier:
            group.set("id", identifier)
        term.addprevious(group)
        follower = term.getnext()
        group.append(term)
        term.tag = "div"
        term.attrib.pop("id", None)
        term.set("class", "comment-author")
        while follower is not None and tag_of(follower) in ("dd", ""):
            following = follower.getnext()
            group.append(follower)
            follower = following


def _unique_numbers(items: list[CommentItem]) -> list[CommentItem]:
    """Drop an item repeated under the same number (a page that prints a comment twice)."""
    seen: set[str] = set()
    kept: list[CommentItem] = []
    for item in items:
        if item.number is not None:
            if item.number in seen:
                continue
            seen.add(item.number)
        kept.append(item)
    return kept


def _wrapped_by(element: Element, by_element: dict[Element, CommentItem]) -> CommentItem | None:
    """The item ``element`` merely wraps part of: no reply list between, and no name of the
    outer item's own before it (Twenty Ten's ``li#li-comment-N > div#comment-N``)."""
    for ancestor in element.iterancestors():
        if ancestor in by_element:
            outer = by_element[ancestor]
            if is_list_item(element) and is_list_item(outer.element):
                return None  # a lost </li>, not a wrapper (see _parent)
            for el in outer.element.iterdescendants():
                if el is element:
                    return outer
                if _names_author(el):
                    return None
            return outer
        if _is_reply_list(ancestor):
            return None
    return None


def _parent(element: Element, by_element: dict[Element, CommentItem]) -> CommentItem | None:
    """The item ``element`` replies to; None at top level (see the module docstring)."""
    passed_list = False
    for ancestor in element.iterancestors():
        if ancestor in by_element:
            if passed_list or not (is_list_item(element) and is_list_item(ancestor)):
                return by_element[ancestor]
            continue  # a lost </li>: a sibling, not a parent
        if _is_reply_list(ancestor):
            passed_list = True
            previous = ancestor.getprevious()
            while previous is not None and not tag_of(previous):
                previous = previous.getprevious()
            if previous is not None and previous in by_element:
                return by_element[previous]
    return None


# ---------------------------------------------------------------------------------------
# The fallback: repeated sibling blocks with an author, a date and a body
# ---------------------------------------------------------------------------------------


def _signature(element: Element) -> tuple[str, str]:
    words = [w for w in str(element.get("class") or "").split() if not _SIGNATURE_SKIP.match(w)]
    return tag_of(element), words[0] if words else ""


def written_dates(element: Element) -> Iterator[tuple[Element, str]]:
    """Where ``element`` may state its date, most trustworthy first: (element, as written).

    A ``datetime`` or ``content`` attribute (``<time>``, microdata) comes before text in an
    element of a date class.
    """
    by_class: dict[str, list[Element]] = {}
    for el in element.iterdescendants():
        if tag_of(el) == "time" or el.get("itemprop") in ("dateCreated", "datePublished"):
            value = el.get("datetime") or el.get("content")
            if value:
                yield el, str(value)
        if el.get("class"):
            for name in class_words(el).intersection(DATE_CLASSES):
                by_class.setdefault(name, []).append(el)
    for name in DATE_CLASSES:
        for el in by_class.get(name, ()):
            yield el, " ".join(str(el.text_content()).split())


def bare_dates(element: Element) -> Iterator[tuple[Element, str]]:
    """Short inline elements whose whole text reads as a date (themes with no date class).

    Paragraphs and quotes are not looked at: a date written in a comment's text is not
    the comment's date.
    """
    for el in element.iterdescendants("a", "span", "small", "abbr", "em", "div", "time"):
        if any(tag_of(a) in ("p", "blockquote", "pre") for a in el.iterancestors()):
            continue
        text = " ".join(str(el.text_content()).split())
        if 6 <= len(text) <= 48 and parse_page_date(text) is not None:
            yield el, text


def _readable(written: str) -> bool:
    return parse_iso(written) is not None or parse_page_date(written) is not None


def _looks_like_comment(element: Element) -> bool:
    if not has_author(element):
        return False
    dated = (text for _, text in written_dates(element) if _readable(text))
    written = next(dated, None) or next((text for _, text in bare_dates(element)), None)
    if written is None:
        return False
    return len(" ".join(str(element.text_content()).split())) > len(written) + 20


def _repeated_blocks(root: Element) -> list[Element]:
    """Elements of the largest group of same-shaped siblings that each look like a comment."""
    best: list[Element] = []
    for parent in root.iter():
        children = [child for child in parent if tag_of(child) in _ITEM_TAGS | {"p", "blockquote"}]
        if len(children) < 2:
            continue
        for shape, count in Counter(map(_signature, children)).items():
            if count < 2 or count <= len(best):
                continue
            group = [child for child in children if _signature(child) == shape]
            if sum(1 for child in group if _looks_like_comment(child)) >= 2:
                best = group
    if not best:
        return []
    shape = _signature(best[0])
    container = best[0].getparent()
    nested: Iterator[Element] = (
        el for el in container.iterdescendants() if _signature(el) == shape
    )
    return [el for el in nested if el in best or _looks_like_comment(el)]


# ---------------------------------------------------------------------------------------
# JSON-LD
# ---------------------------------------------------------------------------------------


@dataclass
class LinkedDataComment:
    """A schema.org ``Comment`` from a page's JSON-LD."""

    number: str | None
    author: str | None
    author_url: str | None
    written: str | None
    text: str
    parent: int | None  # index of the parent in the list


def json_ld_comments(root: Element) -> list[LinkedDataComment]:
    """Every schema.org ``Comment`` in the page's JSON-LD, replies after their parent."""
    found: list[LinkedDataComment] = []
    for script in root.iter("script"):
        if str(script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        _walk_linked_data(data, None, found)
    return found


def _walk_linked_data(data: Any, parent: int | None, found: list[LinkedDataComment]) -> None:
    if isinstance(data, list):
        for value in data:
            _walk_linked_data(value, parent, found)
        return
    if not isinstance(data, dict):
        return
    kinds = data.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    here = parent
    if "Comment" in kinds:
        found.append(_linked_data_comment(data, parent))
        here = len(found) - 1
    for key, value in data.items():
        if key in ("comment", "hasPart", "@graph", "mainEntity", "itemListElement"):
            _walk_linked_data(value, here, found)


def _linked_data_comment(data: dict[str, Any], parent: int | None) -> LinkedDataComment:
    author = data.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    name = author.get("name") if isinstance(author, dict) else author
    author_url = author.get("url") if isinstance(author, dict) else None
    link = str(data.get("url") or data.get("@id") or "")
    match = _ITEM_ID.match(link.rpartition("#")[2]) if "#" in link else None
    written = data.get("dateCreated") or data.get("datePublished")
    return LinkedDataComment(
        number=(match[1] or match[2]) if match else None,
        author=str(name).strip() if name else None,
        author_url=str(author_url) if author_url else None,
        written=str(written) if written else None,
        text=str(data.get("text") or data.get("description") or ""),
        parent=parent,
    )
