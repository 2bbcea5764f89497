"""Blog pages scraped as plain text: one thread per file (format name ``text``).

The layout this reads, as a scraper flattens a WordPress-style page (the seed thread,
``index_data/000_da0b5a8ba304d53d.txt``, is one)::

    <title line>
    Posted by <author>              (optional: the line after the title)
    <post paragraphs>
    The Discussion: 26 Comments     (or "26 Comments", "One Response to ...")
    <comment paragraphs>
    October 1, 2005 @ 2:01 pm | Comment      <- closes the comment above it
    ...
    <page footer>                   (RSS/TrackBack links, "comment form is closed")

Policy:

* The file must be UTF-8 (a BOM is allowed). Anything else stops the run with a
  :class:`~threadsearch.errors.SourceFormatError` naming the byte offset and line: the format
  has no declared charset, so guessing would silently garble text.
* Mojibake inside valid UTF-8 (curly quotes, dashes and emoji decoded with the wrong code
  page, as in the seed) is repaired with :func:`threadsearch.text.repair_text`.
* Only a line of the exact closing shape ``<Month> <D>, <YYYY> @ <H>:<MM> am|pm |
  Comment`` ends a comment; other date-like lines are content. 12 am is midnight, 12 pm
  noon. A closing line whose date cannot exist (February 30) keeps its comment with no
  timestamp and a warning. Times carry no zone: they stay naive unless ``--timezone``.
* The scrape lost the commenters' names, so comments have ``author=None``. Only a
  ``Posted by`` line right under the title names the post's author; elsewhere it is text.
* Trackbacks are recognised by shape (:func:`is_trackback_shape`), not by a list of
  titles: their ``title`` is the linking post's title and their body the excerpt.
* The page footer is dropped. Other text after the last closing line cannot be a
  complete comment: it is dropped with a warning. A declared count that differs from the
  comments found is a warning too; what is there is ingested.
* Threads have no URL, so the thread id hashes ``"text:" + title + "\\x1f" + author``, and
  entry ids use the page position (``"post"`` for the post).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from ..errors import SourceFormatError
from ..mentions import find_mentions
from ..model import Entry, EntryKind, Thread, entry_id_for, offset_minutes, thread_id_for
from ..text import repair_text, tidy_paragraphs, unescape_fully
from .base import MAX_LINE_BYTES, SourceContext, long_line_error

_BOM = b"\xef\xbb\xbf"

_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))

_CLOSING = re.compile(
    rf"^\s*(?P<month>{_MONTH_NAMES})\.?\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}})"
    r"\s*(?:@|at)\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*\|\s*Comment\s*$",
    re.IGNORECASE,
)
_POSTED_BY = re.compile(r"^\s*Posted by\s+(?P<author>\S.*?)\s*$")
_HEADER = re.compile(
    r"^\s*(?:The Discussion:\s*)?(?P<count>\d+|No|One)\s+(?:Comments?|Responses?|Replies)"
    r"(?:\s+(?:to|on)\s+.{1,200}|\s+so far)?\s*[:.]?\s*$",
    re.IGNORECASE,
)
_FOOTER = re.compile(
    r"^\s*(?:RSS feed for comments on this post\.?.*"
    r"|TrackBack URL|Trackback URI"
    r"|Sorry, the comment form is closed at this time\.?"
    r"|Comments are closed\.?"
    r"|Leave a comment|Leave a Reply)\s*$",
    re.IGNORECASE,
)

# Trackback shape limits: a post title is a handful of words and never a sentence.
_TITLE_MIN_WORDS = 3
_TITLE_MAX_WORDS = 16
_TITLE_MAX_CHARS = 120
_EXCERPT_ENDINGS = ("…", "...", "[…]", "[...]")


class PlainTextSource:
    """Reads a blog page scraped as plain text (see the module docstring)."""

    name = "text"

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        """Yield the page's one thread; raise SourceFormatError on bad input."""
        raw = stream.read()
        long_line = _LONG_LINE.search(raw)
        if long_line is not None:
            number = raw.count(b"\n", 0, long_line.start()) + 1
            end = raw.find(b"\n", long_line.start())
            length = (len(raw) if end < 0 else end) - long_line.start()
            raise long_line_error(context.path, number, length)
        text = repair_text(_decode(raw, context.path))
        yield _read_page(text.split("\n"), context)


@dataclass
class _Block:
    """The text of one comment and the closing line that ended it."""

    lines: list[str]
    closing: re.Match[str] | None
    line_number: int


_LONG_LINE = re.compile(rb"^[^\n]{%d}" % (MAX_LINE_BYTES + 1), re.M)


def _decode(raw: bytes, path: str) -> str:
    if not raw.removeprefix(_BOM).strip():
        raise SourceFormatError(path, "the file is empty", hint="Nothing to ingest.")
    skip = len(_BOM) if raw.startswith(_BOM) else 0
    try:
        return raw[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        # Offsets count from the file's first byte, BOM included, as a hex editor shows.
        start = exc.start + skip
        line_start = raw.rfind(b"\n", 0, start) + 1
        raise SourceFormatError(
            path,
            f"not valid UTF-8: byte 0x{raw[start]:02X} at byte offset {start}",
            line=raw.count(b"\n", 0, start) + 1,
            column=start - line_start + 1,
            hint="Convert the file to UTF-8 first, e.g. `iconv -f latin1 -t utf-8 IN > OUT` "
            "(use the file's real encoding); this format does not guess encodings.",
        ) from None


def _read_page(lines: list[str], context: SourceContext) -> Thread:
    closings = [i for i, line in enumerate(lines) if _CLOSING.match(line)]
    _check_format(lines, closings, context)
    title_at = _first_nonblank(lines, 0)
    title = _clean_line(lines[title_at]) if title_at is not None else ""
    author, body_at = _post_author(lines, title_at)
    header_at = _find_header(lines, body_at, closings[0] if closings else len(lines))
    if header_at is not None:
        post_end = header_at
    elif closings:
        # Without a header nothing marks where the post ends: the text up to the first
        # closing line is the post (swallowing the first comment), and we say so.
        context.warn(
            f"{context.path}: no 'N Comments' line; the post cannot be told from the first "
            "comment, so both are read as the post"
        )
        post_end = closings[0]
    else:
        post_end = len(lines)
    thread_id = thread_id_for("text:" + title + "\x1f" + (author or ""))
    post_lines = lines[body_at:post_end] if closings else _drop_footer(lines[body_at:post_end])
    entries = [_make_post(thread_id, post_lines, author)]
    blocks, trailing = _split_blocks(lines, post_end + 1, closings)
    known = [author] if author else []
    for position, block in enumerate(blocks, start=1):
        entries.append(_make_entry(thread_id, position, block, known, context))
    thread = Thread(
        id=thread_id, title=title, declared_count=_declared(lines, header_at), entries=entries
    )
    _check_trailing(trailing, context)
    _check_count(thread, len(blocks), context)
    return thread


def _check_format(lines: list[str], closings: list[int], context: SourceContext) -> None:
    if not closings and not any(_POSTED_BY.match(line) for line in lines):
        raise SourceFormatError(
            context.path,
            "not a scraped thread page: no 'Posted by' line and no '... | Comment' closing lines",
            hint="Pass the right --format, or check that the file is a saved blog page.",
        )


def _make_post(thread_id: str, lines: list[str], author: str | None) -> Entry:
    return Entry(
        id=entry_id_for(thread_id, "post"),
        thread_id=thread_id,
        kind=EntryKind.POST.value,
        position=0,
        body=_clean_text(lines),
        author=author,
    )


def _first_nonblank(lines: list[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index
    return None


def _post_author(lines: list[str], title_at: int | None) -> tuple[str | None, int]:
    """The ``Posted by`` author right under the title, and where the post body starts."""
    if title_at is None:
        return None, len(lines)
    after_title = _first_nonblank(lines, title_at + 1)
    if after_title is not None:
        match = _POSTED_BY.match(lines[after_title])
        if match:
            return _clean_line(match.group("author")) or None, after_title + 1
    return None, title_at + 1


def _find_header(lines: list[str], start: int, end: int) -> int | None:
    """The comments header: the last ``N Comments`` line before the first comment ends.

    The last one, because a post may mention "3 comments" on a line of its own; the
    header is what sits right above the comments.
    """
    found = None
    for index in range(start, min(end, len(lines))):
        if _HEADER.match(lines[index]):
            found = index
    return found


def _declared(lines: list[str], header_at: int | None) -> int | None:
    if header_at is None:
        return None
    match = _HEADER.match(lines[header_at])
    assert match is not None
    count = match.group("count").casefold()
    return {"no": 0, "one": 1}.get(count) if not count.isdigit() else int(count)


def _split_blocks(
    lines: list[str], start: int, closings: list[int]
) -> tuple[list[_Block], list[str]]:
    """Cut the discussion into comment blocks; return them and the text after the last."""
    blocks: list[_Block] = []
    begin = start
    for index in closings:
        if index < start:
            continue
        blocks.append(_Block(lines[begin:index], _CLOSING.match(lines[index]), index + 1))
        begin = index + 1
    return blocks, lines[begin:]


def _make_entry(
    thread_id: str, position: int, block: _Block, known: list[str], context: SourceContext
) -> Entry:
    text = _clean_text(block.lines)
    timestamp = _timestamp(block, context)
    paragraphs = text.split("\n\n") if text else []
    kind, title, body, mentions = EntryKind.COMMENT.value, None, text, []
    if is_trackback_shape(paragraphs):
        kind, title, body = EntryKind.TRACKBACK.value, paragraphs[0], "\n\n".join(paragraphs[1:])
    else:
        if not text:
            context.warn(f"{context.path}, line {block.line_number}: comment {position} is empty")
        mentions = find_mentions(text, known)
    entry = Entry(
        id=entry_id_for(thread_id, str(position)),
        thread_id=thread_id,
        kind=kind,
        position=position,
        title=title,
        body=body,
        depth=1,
        timestamp=timestamp,
        utc_offset=offset_minutes(timestamp),
        mentions=mentions,
    )
    return entry


def is_trackback_shape(paragraphs: list[str]) -> bool:
    """Whether a scraped entry looks like a trackback rather than a comment.

    The page shows a trackback as the linking post's title, then its excerpt (if any).
    So: the first paragraph is one line of 3 to 16 words (at most 120 characters) that
    starts with a capital or a digit and ends in a letter or digit (a title, not a
    sentence, a salutation such as ``Sun bin,`` or a quotation); and it is followed by
    nothing, or by exactly one paragraph ending in an ellipsis (excerpts are cut short).
    A bare one-line comment of that shape ("Great post thanks") is the known false
    positive; requiring three words keeps short names on their own line out.
    """
    if not paragraphs or len(paragraphs) > 2:
        return False
    title = paragraphs[0]
    words = title.split()
    if "\n" in title or not _TITLE_MIN_WORDS <= len(words) <= _TITLE_MAX_WORDS:
        return False
    if len(title) > _TITLE_MAX_CHARS or not (title[0].isupper() or title[0].isdigit()):
        return False
    if not title[-1].isalnum():
        return False
    return len(paragraphs) == 1 or paragraphs[1].rstrip().endswith(_EXCERPT_ENDINGS)


def _timestamp(block: _Block, context: SourceContext) -> datetime | None:
    match = block.closing
    if match is None:
        return None
    hour = int(match.group("hour"))
    ampm = (match.group("ampm") or "").replace(".", "").casefold()
    if ampm:
        # 12 am is midnight and 12 pm is noon: the 12-hour clock starts at 12. An hour
        # past 12 is out of range (99 makes datetime() refuse it below).
        hour = hour % 12 + (12 if ampm == "pm" else 0) if 1 <= hour <= 12 else 99
    try:
        value = datetime(
            int(match.group("year")),
            _MONTHS[match.group("month").casefold()],
            int(match.group("day")),
            hour,
            int(match.group("minute")),
        )
    except ValueError:
        context.warn(
            f"{context.path}, line {block.line_number}: impossible date "
            f"{match.group(0).strip()!r}; the comment is kept without a timestamp"
        )
        return None
    return context.localize(value)


def _drop_footer(lines: list[str]) -> list[str]:
    return [line for line in lines if not _FOOTER.match(line)]


def _check_trailing(trailing: list[str], context: SourceContext) -> None:
    leftover = _clean_text(_drop_footer(trailing))
    if leftover:
        context.warn(
            f"{context.path}: text after the last '| Comment' line is not a complete "
            f"comment and was skipped: {leftover[:60]!r}"
        )


def _check_count(thread: Thread, found: int, context: SourceContext) -> None:
    if thread.declared_count is not None and thread.declared_count != found:
        context.warn(
            f"{context.path}: the page declares {thread.declared_count} comments but "
            f"{found} were found; ingesting the {found}"
        )


def _clean_line(line: str) -> str:
    return " ".join(unescape_fully(line).split())


def _clean_text(lines: list[str]) -> str:
    return tidy_paragraphs(unescape_fully("\n".join(lines)))
