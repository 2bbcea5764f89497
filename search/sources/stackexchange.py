"""Stack Exchange data dumps: Posts.xml, read with Comments.xml and Users.xml beside it.

A dump is a folder of XML files whose records are ``<row>`` elements with attributes.
The stream handed to :class:`StackExchangeSource` is Posts.xml; Comments.xml and
Users.xml are opened through ``context.open_related`` (the caller owns file access; we
close what it hands us once read).

Threads: every question (``PostTypeId`` 1) is a thread. Its entries are

- the question itself: kind ``post``, position 0, depth 0, title = ``Title``;
- its answers (``PostTypeId`` 2, ``ParentId`` = the question): kind ``comment``, depth 1,
  parent = the question entry;
- comments on the question: depth 1, parent = the question entry;
- comments on an answer: depth 2, parent = that answer's entry.

Positions 1.. follow ``CreationDate``. ``CreationDate`` carries no zone but is UTC, so
timestamps are aware UTC. Bodies are HTML, entity-escaped inside the attribute: lxml
undoes that level and :func:`~threadsearch.text.html_to_text` the rest. Comment ``Text`` is
plain text. Authors: ``OwnerUserId``/``UserId`` looked up in Users.xml, else
``OwnerDisplayName``/``UserDisplayName`` (deleted accounts), else ``None``. Tags come from
``Tags`` (``<a><b>`` in older dumps, ``|a|b|`` in newer ones).

Site: the files do not name the site. We take it from the data when it is obvious: the
host that most links of the form ``https://HOST/q/N``, ``/a/N`` or ``/questions/N``,
with N a post of this dump, point to, if it has at least three such links and more than
half of them (the quantumcomputing dump gives ``quantumcomputing.stackexchange.com``).
With a site, ``Thread.site`` is that host and URLs are ``https://<site>/q/<Id>`` (answers
``/a/<Id>``, comments the question URL plus ``#comment<Id>_<PostId>``); without one, site
and URLs are ``None``. Ids: thread ``thread_id_for("stackexchange:<site or unknown>:<Id>")``,
entries ``entry_id_for(thread_id, "q<Id>" / "a<Id>" / "c<Id>")``.

Memory: Users.xml is read into a dict (id -> name) and Comments.xml into a dict (post
id -> comments); Posts.xml is streamed, but a question must be yielded whole and its
answers may come later in row order (and the site is known only once every link has been
seen), so questions and answers are grouped in memory and the threads are yielded after
Posts.xml has been read. That is a few MB for a dump like the 4 MB quantumcomputing one;
dumps of the big sites need more (documented limitation).

Policy: tag wikis, excerpts and the other post types (3-8) are not threads and are
skipped silently. Answers whose question is not in Posts.xml, and comments whose post is
not a question or answer of this dump, are skipped with one warning each. A missing
Comments.xml or Users.xml is warned about once; the threads are then without comments, or
with display names only. A row without an ``Id`` or with an unreadable ``CreationDate``
stops the run with :class:`~threadsearch.errors.SourceFormatError` naming the file, line and
row (a dump is machine-written, so such damage means a broken file). Dumps hold no deleted
or hidden posts, so ``include_hidden`` changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import PurePath
from typing import BinaryIO

from dateutil.parser import isoparse

from ..errors import SourceFormatError
from ..model import Entry, Thread, entry_id_for, offset_minutes, thread_id_for
from ..text import html_to_text, repair_text, tidy_paragraphs, unescape_fully
from .base import SourceContext
from .xmlsafe import iterparse, release

__all__ = ["StackExchangeSource"]

QUESTION = "1"
ANSWER = "2"

# A link to a question or answer of a Stack Exchange site: /q/N, /a/N, /questions/N/slug.
_POST_LINK = re.compile(r"https?://((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})/(?:q|a|questions)/(\d+)")
_ANGLE_TAG = re.compile(r"<([^<>]+)>")
_MIN_SITE_LINKS = 3


@dataclass
class _Comment:
    id: str
    post_id: str
    text: str
    created: datetime
    author: str | None
    user_id: str | None


@dataclass
class _Post:
    """A question or an answer, kept until Posts.xml has been read."""

    id: str
    created: datetime
    body: str
    author: str | None
    user_id: str | None
    declared_comments: int
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    declared_answers: int = 0
    answers: list[_Post] = field(default_factory=list)


@dataclass
class _Dump:
    """Everything read from the three files, before the site is decided."""

    questions: dict[str, _Post] = field(default_factory=dict)
    comments: dict[str, list[_Comment]] = field(default_factory=dict)
    links: Counter[tuple[str, str]] = field(default_factory=Counter)
    orphans: int = 0


class StackExchangeSource:
    """Reads a Stack Exchange data dump (Posts.xml, with Comments.xml and Users.xml)."""

    name = "stackexchange"

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        users = _read_users(context)
        dump = _Dump(comments=_read_comments(context, users))
        for comments in dump.comments.values():
            _count_links(dump.links, (c.text for c in comments))
        _read_posts(stream, context, users, dump)
        site = _detect_site(dump.links, dump)
        used: set[str] = set()
        for question in dump.questions.values():
            yield _build_thread(question, dump.comments, site, used)
        _warn_leftovers(context, dump, used)


# --- reading the three files -------------------------------------------------------------


def _related(context: SourceContext, name: str) -> tuple[BinaryIO | None, SourceContext]:
    related_path = str(PurePath(context.path).with_name(name))
    return context.open_related(name), replace(context, path=related_path)


def _rows(stream: BinaryIO, context: SourceContext) -> Iterator[tuple[dict[str, str], int]]:
    """Each ``<row>``'s attributes and line, clearing elements to keep memory flat."""
    for element in iterparse(stream, context, ("row",)):
        attributes = {str(k): str(v) for k, v in element.attrib.items()}
        yield attributes, element.sourceline or 0
        release(element)


def _read_users(context: SourceContext) -> dict[str, str] | None:
    stream, users_context = _related(context, "Users.xml")
    if stream is None:
        context.warn(
            f"{users_context.path} not found beside {context.path}: authors are the "
            "display names the posts carry, or none"
        )
        return None
    users: dict[str, str] = {}
    with closing(stream):
        for row, _line in _rows(stream, users_context):
            name = _clean_name(row.get("DisplayName"))
            if "Id" in row and name:
                users[row["Id"]] = name
    return users


def _read_comments(
    context: SourceContext, users: dict[str, str] | None
) -> dict[str, list[_Comment]]:
    stream, comments_context = _related(context, "Comments.xml")
    if stream is None:
        context.warn(
            f"{comments_context.path} not found beside {context.path}: "
            "the threads will have no comments"
        )
        return {}
    comments: dict[str, list[_Comment]] = defaultdict(list)
    with closing(stream):
        for row, line in _rows(stream, comments_context):
            comment = _Comment(
                id=_require(row, "Id", comments_context, line),
                post_id=_require(row, "PostId", comments_context, line),
                text=tidy_paragraphs(repair_text(row.get("Text", ""))),
                created=_utc(row, comments_context, line),
                author=_author(row, "UserId", "UserDisplayName", users),
                user_id=row.get("UserId"),
            )
            comments[comment.post_id].append(comment)
    return dict(comments)


def _read_posts(
    stream: BinaryIO, context: SourceContext, users: dict[str, str] | None, dump: _Dump
) -> None:
    answers: dict[str, list[_Post]] = defaultdict(list)
    for row, line in _rows(stream, context):
        kind = row.get("PostTypeId")
        if kind not in (QUESTION, ANSWER):
            continue  # tag wikis and excerpts, wiki placeholders...: not discussions
        _count_links(dump.links, [row.get("Body", "")])
        post = _make_post(row, context, line, users)
        if kind == QUESTION:
            post.title = repair_text(row.get("Title", "")).strip()
            post.tags = _tags(row.get("Tags", ""))
            post.declared_answers = _int(row.get("AnswerCount"))
            dump.questions[post.id] = post
        else:
            answers[_require(row, "ParentId", context, line)].append(post)
    for question_id, group in answers.items():
        question = dump.questions.get(question_id)
        if question is None:
            dump.orphans += len(group)
        else:
            question.answers = group


def _make_post(
    row: dict[str, str], context: SourceContext, line: int, users: dict[str, str] | None
) -> _Post:
    return _Post(
        id=_require(row, "Id", context, line),
        created=_utc(row, context, line),
        body=repair_text(html_to_text(row.get("Body", ""))),
        author=_author(row, "OwnerUserId", "OwnerDisplayName", users),
        user_id=row.get("OwnerUserId"),
        declared_comments=_int(row.get("CommentCount")),
    )


# --- fields ----------------------------------------------------------------------------


def _require(row: dict[str, str], name: str, context: SourceContext, line: int) -> str:
    value = row.get(name, "").strip()
    if not value:
        raise SourceFormatError(
            context.path,
            f"a <row> has no {name} attribute",
            line=line,
            record=_record(row),
            hint="The dump looks damaged; download it again.",
        )
    return value


def _utc(row: dict[str, str], context: SourceContext, line: int) -> datetime:
    """``CreationDate`` as an aware UTC time (the dumps write UTC without a zone)."""
    text = _require(row, "CreationDate", context, line)
    try:
        value: datetime = isoparse(text)
    except (ValueError, OverflowError) as exc:
        raise SourceFormatError(
            context.path,
            f"CreationDate {text!r} is not an ISO 8601 time",
            line=line,
            record=_record(row),
            hint="The dump looks damaged; download it again.",
        ) from exc
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _record(row: dict[str, str]) -> str:
    return f"row Id={row['Id']}" if row.get("Id") else "row"


def _author(
    row: dict[str, str], id_name: str, display_name: str, users: dict[str, str] | None
) -> str | None:
    user_id = row.get(id_name)
    if users is not None and user_id in users:
        return users[user_id]
    return _clean_name(row.get(display_name))


def _clean_name(name: str | None) -> str | None:
    if not name:
        return None
    return unescape_fully(name).strip() or None


def _tags(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("<"):
        return _ANGLE_TAG.findall(text)
    return [tag for tag in text.split("|") if tag]


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


# --- the site --------------------------------------------------------------------------


def _count_links(links: Counter[tuple[str, str]], texts: Iterable[str]) -> None:
    for text in texts:
        for host, post_id in _POST_LINK.findall(text):
            links[(host.lower(), post_id)] += 1


def _detect_site(links: Counter[tuple[str, str]], dump: _Dump) -> str | None:
    """The host most self-links point to, when it clearly dominates; else None."""
    post_ids = set(dump.questions)
    post_ids.update(a.id for q in dump.questions.values() for a in q.answers)
    hosts: Counter[str] = Counter()
    for (host, post_id), count in links.items():
        if post_id in post_ids:
            hosts[host] += count
    if not hosts:
        return None
    host, count = hosts.most_common(1)[0]
    if count >= _MIN_SITE_LINKS and 2 * count > sum(hosts.values()):
        return host
    return None


# --- building threads ------------------------------------------------------------------


def _build_thread(
    question: _Post, comments: dict[str, list[_Comment]], site: str | None, used: set[str]
) -> Thread:
    thread_id = thread_id_for(f"stackexchange:{site or 'unknown'}:{question.id}")
    url = f"https://{site}/q/{question.id}" if site else None
    post = _post_entry(question, thread_id, site, f"q{question.id}", url)
    post = replace(post, kind="post", depth=0, title=question.title)
    replies = _comment_entries(comments.get(question.id, []), post, url, site)
    for answer in question.answers:
        answer_url = f"https://{site}/a/{answer.id}" if site else None
        entry = _post_entry(answer, thread_id, site, f"a{answer.id}", answer_url)
        entry = replace(entry, parent_id=post.id)
        replies.append(entry)
        replies.extend(_comment_entries(comments.get(answer.id, []), entry, url, site))
    used.add(question.id)
    used.update(a.id for a in question.answers)
    # Stable sort: equal times keep the order above (the parent before its comments).
    replies.sort(key=lambda e: e.timestamp or datetime.min.replace(tzinfo=timezone.utc))
    replies = [replace(entry, position=n) for n, entry in enumerate(replies, start=1)]
    declared = question.declared_answers + question.declared_comments
    declared += sum(a.declared_comments for a in question.answers)
    return Thread(
        id=thread_id,
        title=question.title or "",
        url=url,
        site=site,
        declared_count=declared,
        tags=question.tags,
        entries=[post, *replies],
    )


def _post_entry(
    post: _Post, thread_id: str, site: str | None, local: str, url: str | None
) -> Entry:
    """An entry for a question or (by default) an answer: a depth-1 comment."""
    return Entry(
        id=entry_id_for(thread_id, local),
        thread_id=thread_id,
        kind="comment",
        position=0,
        body=post.body,
        author=post.author,
        author_url=_user_url(site, post.user_id),
        timestamp=post.created,
        utc_offset=offset_minutes(post.created),
        depth=1,
        url=url,
    )


def _comment_entries(
    comments: list[_Comment], parent: Entry, thread_url: str | None, site: str | None
) -> list[Entry]:
    return [
        Entry(
            id=entry_id_for(parent.thread_id, f"c{c.id}"),
            thread_id=parent.thread_id,
            kind="comment",
            position=0,
            body=c.text,
            author=c.author,
            author_url=_user_url(site, c.user_id),
            timestamp=c.created,
            utc_offset=offset_minutes(c.created),
            parent_id=parent.id,
            depth=parent.depth + 1,
            url=f"{thread_url}#comment{c.id}_{c.post_id}" if thread_url else None,
        )
        for c in comments
    ]


def _user_url(site: str | None, user_id: str | None) -> str | None:
    return f"https://{site}/users/{user_id}" if site and user_id else None


def _warn_leftovers(context: SourceContext, dump: _Dump, used: set[str]) -> None:
    if dump.orphans:
        context.warn(
            f"{context.path}: skipped {dump.orphans} answers whose question is not in the file"
        )
    stray = sum(len(group) for post_id, group in dump.comments.items() if post_id not in used)
    if stray:
        context.warn(
            f"{context.path}: skipped {stray} comments on posts that are not a question or "
            "answer in the file"
        )
