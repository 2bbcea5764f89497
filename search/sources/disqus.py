"""Disqus XML exports: ``<disqus>`` with ``<category>``, ``<thread>`` and ``<post>`` records.

An export lists the forum's categories, then every thread (a page Disqus knows: its
``<link>``, ``<title>`` and ``<forum>``), then every post, each naming its thread with
``<thread dsq:id="..."/>`` and, for a reply, its parent with ``<parent dsq:id="..."/>``.

What we yield:

* One :class:`~threadsearch.model.Thread` per page, keyed by the canonical thread link
  (``thread_id_for(canonical_url(link))``). Two Disqus threads whose links are the same
  page written two ways (a trailing slash, http and https) become one Thread, so the
  thread id stays unique; links on different hosts or ports stay apart, since we cannot
  know they are the same article.
* Disqus keeps no post body, so there is no position-0 entry: every post is an entry of
  kind ``comment`` at positions 1.. ordered by ``createdAt`` (file order breaks ties).
  Entry ids are ``entry_id_for(thread_id, "d<dsq:id>")``: the ``d`` keeps Disqus ids apart
  from WordPress comment ids on the same page.
* Replies keep their parent's entry id and a depth (1 for a top-level post, 2 for a reply
  to it, ...). When the parent is hidden and left out, the reply hangs from its nearest
  visible ancestor (or becomes top-level), so no parent id points at a missing entry.
* ``Thread.site`` is the Disqus forum name (``<forum>``, e.g. ``laisky``), falling back to
  the link's host: forum names are stable, whereas real exports mix hosts for one blog
  (``localhost:27850``, bare IPs). ``Thread.tags`` holds the thread's category title unless
  it is the forum's default category.

Policy: deleted (``isDeleted``) and spam (``isSpam``) posts are skipped unless
``include_hidden``, when they come with status ``"deleted"`` or ``"spam"`` (spam wins when
both are set). A thread with no post left is skipped. Posts with an empty message are kept
(with an empty body); an empty author name gives ``author=None``. A structurally broken
record (no ``dsq:id``, a post naming no thread or a thread not listed before it, an
unreadable ``createdAt``) stops the run with :class:`~threadsearch.errors.SourceFormatError`;
a reply whose parent is missing or in another thread is warned about and made top-level.

Memory: records are read with the streaming :func:`~threadsearch.sources.xmlsafe.iterparse` and
cleared as we go, but posts of one thread can be spread over the whole file and a Thread
is yielded whole, so the compact post records are grouped per thread in memory until the
end of the file (Disqus exports are a few MB; the thread table is small).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import BinaryIO
from urllib.parse import urlsplit

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
from ..text import html_to_text, repair_text, unescape_fully
from .base import SourceContext
from .xmlsafe import iterparse, local_name, release

_RECORD_TAGS = ("category", "thread", "post")


@dataclass
class _ThreadInfo:
    """What we keep of a ``<thread>`` record until its posts arrive."""

    id: str
    title: str
    url: str | None
    site: str | None
    tags: list[str]
    order: int


@dataclass
class _PostRecord:
    """A post, reduced to what an Entry needs."""

    dsq_id: str
    thread_id: str
    parent: str | None
    created: datetime
    order: int
    body: str
    author: str | None
    status: str
    line: int | None


@dataclass
class _State:
    """Everything gathered while streaming through one export."""

    categories: dict[str, str] = field(default_factory=dict)
    threads: dict[str, _ThreadInfo] = field(default_factory=dict)
    posts: dict[str, list[_PostRecord]] = field(default_factory=dict)
    # Every post's parent and thread, hidden ones included, so replies to a hidden post
    # can be re-attached to a visible ancestor.
    parent_of: dict[str, str | None] = field(default_factory=dict)
    thread_of: dict[str, str] = field(default_factory=dict)
    thread_count: int = 0
    post_count: int = 0


class DisqusSource:
    """Reads a Disqus XML export (see the module docstring for the policy)."""

    name = "disqus"

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        state = _State()
        for element in iterparse(stream, context, _RECORD_TAGS):
            if not _is_record(element):
                continue  # a <thread dsq:id/> reference inside a post, not a record
            _read_record(element, state, context)
            release(element)
        if state.thread_count == 0:
            raise SourceFormatError(
                context.path,
                "no <thread> records: this is not a Disqus export, or it is empty",
                hint="Export the forum again from the Disqus admin (Export comments).",
            )
        yield from _build_threads(state, context)


def _is_record(element: etree._Element) -> bool:
    parent = element.getparent()
    return parent is not None and parent.getparent() is None


def _read_record(element: etree._Element, state: _State, context: SourceContext) -> None:
    kind = local_name(str(element.tag))
    if kind == "category":
        _read_category(element, state)
    elif kind == "thread":
        _read_thread(element, state, context)
    else:
        _read_post(element, state, context)


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if isinstance(child.tag, str) and local_name(child.tag) == name:
            return child
    return None


def _text(element: etree._Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _dsq_id(element: etree._Element | None) -> str | None:
    """The ``dsq:id`` attribute, whatever prefix the namespace got."""
    if element is None:
        return None
    for key, value in element.attrib.items():
        if local_name(str(key)) == "id" and value.strip():
            return str(value).strip()
    return None


def _require_id(element: etree._Element, kind: str, context: SourceContext) -> str:
    dsq_id = _dsq_id(element)
    if dsq_id is None:
        raise SourceFormatError(
            context.path,
            f"a <{kind}> record has no dsq:id attribute",
            line=element.sourceline,
            record=f"<{kind}>",
            hint="Disqus exports give every record a dsq:id; the file may be hand-edited.",
        )
    return dsq_id


def _read_category(element: etree._Element, state: _State) -> None:
    dsq_id = _dsq_id(element)
    if dsq_id is not None and _text(element, "isDefault") != "true":
        state.categories[dsq_id] = unescape_fully(_text(element, "title")).strip()


def _read_thread(element: etree._Element, state: _State, context: SourceContext) -> None:
    dsq_id = _require_id(element, "thread", context)
    link = _text(element, "link")
    forum = _text(element, "forum")
    # Without a link the export's own ids are the only stable key.
    key = canonical_url(link) if link else f"disqus:{forum}/{dsq_id}"
    title = unescape_fully(_text(element, "title")).strip()
    category = state.categories.get(_dsq_id(_child(element, "category")) or "")
    state.threads[dsq_id] = _ThreadInfo(
        id=thread_id_for(key),
        title=title or link or f"Disqus thread {dsq_id}",
        url=link or None,
        site=forum or urlsplit(link).netloc or None,
        tags=[category] if category else [],
        order=state.thread_count,
    )
    state.thread_count += 1


def _read_post(element: etree._Element, state: _State, context: SourceContext) -> None:
    dsq_id = _require_id(element, "post", context)
    record = f"post dsq:id={dsq_id}"
    thread = state.threads.get(_dsq_id(_child(element, "thread")) or "")
    if thread is None:
        raise SourceFormatError(
            context.path,
            "the post names no thread, or a thread not listed before the posts",
            line=element.sourceline,
            record=record,
            hint="Disqus exports list every <thread> before the <post> records.",
        )
    parent = _dsq_id(_child(element, "parent"))
    state.parent_of[dsq_id] = parent
    state.thread_of[dsq_id] = thread.id
    status = _status(element)
    state.post_count += 1
    if status != "approved" and not context.include_hidden:
        return
    state.posts.setdefault(thread.id, []).append(
        _PostRecord(
            dsq_id=dsq_id,
            thread_id=thread.id,
            parent=parent,
            created=_created_at(element, record, context),
            order=state.post_count,
            body=html_to_text(repair_text(_child_text(element, "message"))),
            author=_author(element),
            status=status,
            line=element.sourceline,
        )
    )


def _child_text(element: etree._Element, name: str) -> str:
    """A child's full text (CDATA included), not stripped: the message is HTML."""
    child = _child(element, name)
    return child.text or "" if child is not None else ""


def _status(element: etree._Element) -> str:
    if _text(element, "isSpam") == "true":
        return "spam"
    if _text(element, "isDeleted") == "true":
        return "deleted"
    return "approved"


def _author(element: etree._Element) -> str | None:
    author = _child(element, "author")
    if author is None:
        return None
    name = unescape_fully(repair_text(_text(author, "name"))).strip()
    return name or None


def _created_at(element: etree._Element, record: str, context: SourceContext) -> datetime:
    raw = _text(element, "createdAt")
    try:
        # fromisoformat only learned the "Z" suffix in Python 3.11.
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    except ValueError:
        raise SourceFormatError(
            context.path,
            f"unreadable createdAt {raw!r}",
            line=element.sourceline,
            record=record,
            hint="Disqus writes ISO 8601 times such as 2015-03-25T14:10:41Z.",
        ) from None
    return context.localize(value)


def _build_threads(state: _State, context: SourceContext) -> Iterator[Thread]:
    by_id: dict[str, _ThreadInfo] = {}
    for info in state.threads.values():
        by_id.setdefault(info.id, info)  # the first Disqus thread names a merged page
    for thread_id in sorted(state.posts, key=lambda tid: by_id[tid].order):
        info = by_id[thread_id]
        yield Thread(
            id=thread_id,
            title=info.title,
            url=info.url,
            site=info.site,
            tags=list(info.tags),
            entries=_build_entries(state.posts[thread_id], state, context),
        )


def _sort_key(post: _PostRecord) -> tuple[float, int]:
    created = post.created
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return created.timestamp(), post.order


def _build_entries(posts: list[_PostRecord], state: _State, context: SourceContext) -> list[Entry]:
    posts = sorted(posts, key=_sort_key)
    shown = {post.dsq_id for post in posts}
    parents = {post.dsq_id: _visible_parent(post, shown, state, context) for post in posts}
    depths: dict[str, int] = {}
    entries = []
    for position, post in enumerate(posts, start=1):
        parent = parents[post.dsq_id]
        entries.append(
            Entry(
                id=entry_id_for(post.thread_id, f"d{post.dsq_id}"),
                thread_id=post.thread_id,
                kind=EntryKind.COMMENT.value,
                position=position,
                body=post.body,
                author=post.author,
                timestamp=post.created,
                utc_offset=offset_minutes(post.created),
                parent_id=entry_id_for(post.thread_id, f"d{parent}") if parent else None,
                depth=_depth(post.dsq_id, parents, depths),
                status=post.status,
            )
        )
    return entries


def _visible_parent(
    post: _PostRecord, shown: set[str], state: _State, context: SourceContext
) -> str | None:
    """The nearest ancestor that is in this thread's entries, or None for top level."""
    parent = post.parent
    if parent is None:
        return None
    problem = None
    if parent not in state.thread_of:
        problem = "which is not in the export"
    elif state.thread_of[parent] != post.thread_id:
        problem = "of another thread"
    if problem is not None:
        context.warn(
            f"{context.path}, line {post.line}: post dsq:id={post.dsq_id} replies to "
            f"post {parent}, {problem}; shown as a top-level post"
        )
        return None
    seen = {post.dsq_id}
    # Climb past hidden ancestors; ``seen`` cuts a cycle in hand-edited data.
    while parent is not None and parent not in shown and parent not in seen:
        seen.add(parent)
        parent = state.parent_of.get(parent)
    return parent if parent in shown else None


def _depth(dsq_id: str, parents: dict[str, str | None], depths: dict[str, int]) -> int:
    """1 for a top-level post, one more per reply level (parents form a forest)."""
    chain = []
    current: str | None = dsq_id
    while current is not None and current not in depths:
        chain.append(current)
        current = parents.get(current)
        if current in chain:  # a cycle in hand-edited data: cut it here
            current = None
    depth = depths[current] if current is not None else 0
    for node in reversed(chain):
        depth += 1
        depths[node] = depth
    return depths[dsq_id]
