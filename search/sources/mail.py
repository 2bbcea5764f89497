"""Mailing-list archives: mbox files and pipermail monthly text archives.

A mailbox is a run of messages, each opening with a ``From <sender> <asctime>`` separator
line (pipermail writes ``From user at host.org  Tue Apr  1 10:35:48 1997``). The stream
is read line by line; each message's bytes go to the standard ``email`` parser (headers
only, ``compat32``, which is ten times faster than ``policy.default``). A file holding one
bare RFC 822 message with no separator is read as a mailbox of one.

Threads are rebuilt per file, since each ``parse()`` call gets one file:

* A message's parent is the first of its In-Reply-To id, then its References ids from
  the last to the first, that is in the same file. So a reply whose direct parent is
  missing joins the thread of the nearest ancestor the file has, under it.
* A message with no usable id (old mailers wrote ``In-Reply-To: X's message of <date>``)
  that looks like a reply (``Re:``-style prefix or an In-Reply-To header) joins the
  first earlier message in the file with the same normalised subject (reply prefixes
  ``Re:``/``AW:``/``SV:``/``Fwd:``... and list tags such as ``[R]`` stripped).
* The thread id is ``thread_id_for(<root id>)`` where the root id is the top message's
  own Message-ID, or, when the top message is itself a reply whose parent is in an
  earlier month's file, the first id of its References (the root of its chain; its
  In-Reply-To id when it has no References). So replies in May to a thread begun in
  April get April's thread id, and ingesting both months lines them up. Such a thread
  has no post in this file: its entries are all comments (positions from 1, depth 1 for
  the top ones, no parent_id since the parent is not in the file). This lines up only
  when April's thread was itself rooted at that id: when April's top message had no
  References (an old mailer), May's replies that cite a later April message by id form
  a thread of their own.
* Ids are bare Message-IDs (no angle brackets, pipermail's `` at `` turned back into
  ``@``). Entry ids are ``entry_id_for(thread_id, <message id>)``; the same Message-ID
  archived twice in one file (pipermail does this: about 3,000 times in r-help, often
  re-sent copies) keeps both copies, the second as ``<id>#2``. A message with no
  Message-ID gets a stable id hashed from its From, Date and Subject.
* The root is kind ``post`` at position 0; replies are ``comment`` at positions 1.. in
  date order (undated ones last, in file order).

Fields: the title is the root's subject without the archive's list tags (``[R] ``,
``[gpt-usuarios]``; found per archive, see :mod:`.listtags`) and, for a thread whose top
message is a reply, without its reply words (``Re:``, ``AW:``, ``Enc:``...); entry titles
lose the list tags too. ``Thread.site`` is the list name: from a ``List-Id`` header when
there is one, else from the list tag (``[R]`` and the 1997 ``R-beta:``/``R-alpha:``
prefixes are r-help, ``[Rd]`` r-devel, ``[BioC]`` bioconductor, another tag is its own
name), else from the file name (``r-help-2025-08.txt.gz`` is r-help); the tag, as
written, is the thread's ``tags`` (the ``tag`` facet). The author is the display
name (RFC 2047 decoded); with no display name (pipermail then repeats the address as
the name) it is the address with the archive's obfuscation undone (``user at host.org``,
``user @end|ng |rom host`` become ``user@host.org``, ``user@host``; the letter swaps of
the 2018+ form cannot be undone). Timestamps are UTC: a Date with a zone is converted;
a zone-less Date (asctime, or a zone name we do not know) is read in ``--timezone``
when given, else as UTC, the pipermail convention; a missing or unreadable Date falls
back to the separator line's asctime (which pipermail wrote in the server's local time,
Europe/Zurich for r-help, so ``--timezone Europe/Zurich`` makes that fallback exact).

Text: each message's bytes (and each MIME part's) are decoded as UTF-8, else in the
declared charset when it decodes them, else in the charset charset-normalizer detects
(raw Latin-1 bytes in 1998-2007 archives; a part that declares us-ascii or UTF-8 and is
not), see :func:`threadsearch.text.decode_bytes`; then repaired with ``repair_text``.
The body drops what is not the author's words: pipermail's scrubbed-attachment notes
(``-------------- next part --------------`` with ``An HTML attachment was
scrubbed...`` and its Name/Type/Size/URL lines), ``[[alternative HTML version
deleted]]`` and the list footer. In replies, quoted lines (``> ...``), the attribution line
before them (``On ... wrote:``, ``X writes:``, ``Am ... schrieb X:``, ``Em ... escreveu:``,
Gmail's ``2010/10/15 X <x>`` and the other forms of :mod:`threadsearch.quotes`, also when
it wraps over two lines) and an
original a top-poster's mailer appended unquoted (Outlook's ``-----Original
Message-----`` or ``From:``/``Sent:`` block, Gmail's ``On ... wrote:`` with no ``>``
after it) go to ``Entry.quoted``. Messages that start a conversation are not split: on
r-help their ``>`` lines are R console prompts (``> summary(x)``), not quotes; in
replies such prompt lines do land in ``quoted``. MIME messages in generic
mbox files (multipart, base64, quoted-printable) are decoded with the full parser and
their text/plain part (else text/html) is used.

Bad input: a file that does not open with a separator line (nor with a header block)
raises :class:`SourceFormatError`. A message whose header block holds none of From,
Date, Subject and Message-ID is warned about and skipped (there is nothing to index it
by). A header block broken part way (a line that is no header) is warned about and
kept: the email parser reads the rest as body. A Date that cannot be read is warned
about; the message keeps the separator's date, or no timestamp when that is unreadable
too. Nothing in a mailbox stops the run once its first separator was seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from email import policy
from email.errors import CharsetError, HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser, Parser
from email.utils import parseaddr, parsedate_tz
from typing import BinaryIO

from dateutil import parser as date_parser

from ..errors import SourceFormatError
from ..model import (
    Entry,
    EntryKind,
    Thread,
    entry_id_for,
    make_id,
    offset_minutes,
    thread_id_for,
    to_utc,
)
from ..quotes import is_attribution, join_attribution, opens_attribution
from ..text import decode_bytes, html_to_text, repair_text
from .base import MAX_LINE_BYTES, SourceContext, long_line_error
from .listtags import ListTags, site_from_list_id, site_from_path, strip_subject

_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
# ``From <sender> <asctime>``; the sender may hold spaces (pipermail's ``user at host``),
# and some mailers put a zone before or after the year.
_SEPARATOR = re.compile(
    rb"From \S.*?\s((?:" + _DAYS.encode() + rb") +(?:" + _MONTHS.encode() + rb") +\d{1,2} "
    rb"+\d{1,2}:\d\d(?::\d\d)? +(?:[A-Z]{3,4} +|[+-]\d{4} +)?\d{4})(?: +[+-]\d{4})?\s*$"
)
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
_HEADERS_WE_NEED = ("from", "date", "subject", "message-id")

_HEADER_PARSER = Parser(policy=policy.compat32)
_CHARSET_PARSER = BytesHeaderParser(policy=policy.compat32)
_MIME_PARSER = BytesParser(policy=policy.default)

# Pipermail's address obfuscation: ``user at host``, then from 2018 ``user @end|ng |rom
# host`` (and for a while ``@ending from`` and ``m@iii@g oii``).
_OBFUSCATED_AT = re.compile(r"(?<=\S) (?:at|@end\|ng \|rom|@ending from|m@iii@g oii) (?=\S)")
_MSG_ID = re.compile(r"<([^<>]+)>")
_NUMERIC_ZONE = re.compile(r"[+-]\d{4}\b")
_COMMENT = re.compile(r"\([^()]*\)")
# Real zones span -12..+14 h; larger numeric "zones" are typos, read as zone-less.
_MAX_OFFSET = timedelta(hours=14)
_CENTRAL_SUMMER = re.compile(r"\b(?:MET|CET|MEZ) ?DST\b")

_SCRUB_NOTES = (
    "An HTML attachment was scrubbed...",
    "A non-text attachment was scrubbed...",
    "An embedded and charset-unspecified text was scrubbed...",
    "An embedded message was scrubbed...",
)
_SCRUB_FIELDS = frozenset({"name", "type", "size", "desc", "url"})
_NEXT_PART = "-------------- next part --------------"
# Mailman localises its notes: ``-------------- Próxima Parte ----------`` then ``Um anexo
# em HTML foi limpo...`` and ``Tipo:``/``Descrição:``/``URL:`` fields. A rule with words
# in it, followed by a line ending in "...", is such a note in any language.
_LOCAL_NEXT_PART = re.compile(r"-{10,} ?[^\s-][^-]{0,40}? ?-{6,}$")
_LOCAL_FIELD = re.compile(r"[^\W\d_][\w ]{0,18}:\s?\S")
_HTML_DELETED = "[[alternative HTML version deleted]]"
# How an attribution line ends; tested inline before the pattern, which is costlier.
_ATTRIBUTION_ENDS = (":", ">")
_FOOTER_RULES = ("__________", "=-=-=-=-=-", "-.-.-.-.-.")
_ORIGINAL_MESSAGE = re.compile(r"-{3,} ?Original Message ?-{3,}", re.IGNORECASE)
# Only runs that change: two or more blanks, or one blank that is not a plain space.
_SPACES = re.compile(r"[ \t\f\v\u00a0]{2,}|[\t\f\v\u00a0]")
_BLANK_LINES = re.compile(r"\n\s*\n+")

# Zone names seen in old Date headers that the email package does not know (it reads
# them as UTC); offsets in hours. Unknown names leave the date zone-less.
_ZONE_HOURS = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "WEST": 1, "CET": 1, "MET": 1,
    "MEZ": 1, "CEST": 2, "MEST": 2, "MESZ": 2, "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5,
    "HKT": 8, "SGT": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12,
    "NZDT": 13, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AST": -4, "ADT": -3, "NST": -3.5, "HST": -10,
}  # fmt: skip


@dataclass
class _RawMessage:
    """One message's bytes as cut from the mailbox."""

    line: int
    separator: str
    data: bytes
    bare: bool = False


@dataclass
class _Message:
    """One parsed message, waiting for the file to be threaded."""

    order: int
    line: int
    key: str
    msgid: str | None
    in_reply_to: str | None
    references: list[str]
    subject: str
    topic: str
    tags: list[str]
    list_site: str | None
    is_reply: bool
    author: str | None
    timestamp: datetime | None
    body: str
    quoted: str
    parent: _Message | None = None
    children: list[_Message] = field(default_factory=list)


class MailSource:
    """mbox and pipermail archives; one thread per conversation in each file."""

    name = "mail"

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        """Yield the threads of one mailbox file (see the module docstring)."""
        messages: list[_Message] = []
        seen: dict[str, int] = {}
        lists = ListTags()
        for raw in _split_messages(stream, context):
            message = _read_message(raw, len(messages), seen, context)
            if message is not None:
                messages.append(message)
                lists.add(message.tags, message.list_site)
        yield from _build_threads(messages, _Archive(lists, site_from_path(context.path)))


# --- cutting the mailbox -------------------------------------------------------------


def _split_messages(stream: BinaryIO, context: SourceContext) -> Iterator[_RawMessage]:
    """Cut the stream at separator lines; only one message is held at a time."""
    lines: list[bytes] = []
    start = 0
    separator = b""
    started = False
    for number, line in enumerate(stream, start=1):
        if len(line) > MAX_LINE_BYTES:
            raise long_line_error(context.path, number, len(line))
        if line.startswith(b"From ") and (match := _SEPARATOR.match(line)):
            if started:
                yield _RawMessage(start, separator.decode("latin-1"), b"".join(lines))
            lines, start, separator, started = [], number, match.group(1), True
            continue
        if not started:
            if not line.strip():
                continue
            if not _HEADER_LINE.match(line):
                raise SourceFormatError(
                    context.path,
                    "not a mailbox: no 'From ' separator line before the first message",
                    line=number,
                    hint="A mailbox opens with a line like 'From user@host.org  Tue Apr  1 "
                    "10:35:48 1997'; pass --format for another format.",
                )
            # A bare RFC 822 message: read the whole file as one message.
            started, start = True, number
        lines.append(line)
    if started:
        yield _RawMessage(start, separator.decode("latin-1"), b"".join(lines), not separator)


# --- one message ---------------------------------------------------------------------


def _read_message(
    raw: _RawMessage, order: int, seen: dict[str, int], context: SourceContext
) -> _Message | None:
    text = _decode(raw.data)
    head, blank, rest = text.partition("\n\n")
    # Only the header block goes through the parser: feeding it the body too, line by
    # line, costs more than the headers themselves. A broken header block leaves its
    # tail in the payload, which is put back in front of the body.
    headers = _HEADER_PARSER.parsestr(head + blank, headersonly=True)
    if not any(headers.get(name) for name in _HEADERS_WE_NEED):
        first = text.split("\n", 1)[0][:60]
        if raw.bare:
            raise SourceFormatError(
                context.path,
                "not a mailbox: no 'From ' separator line and no mail headers",
                line=raw.line,
                hint="Pass --format for another format.",
            )
        context.warn(
            f"{context.path}, line {raw.line}: no mail headers after the separator "
            f"(first line {first!r}); message skipped"
        )
        return None
    msgid = _first_id(headers.get("message-id"))
    label = f"message <{msgid}>" if msgid else f"the message at line {raw.line}"
    if headers.defects:
        context.warn(
            f"{context.path}, line {raw.line}, {label}: malformed header block "
            f"({type(headers.defects[0]).__name__}); the rest was read as body"
        )
    subject = _header_text(headers.get("subject"))
    topic, tags, had_prefix = strip_subject(subject)
    in_reply_to = headers.get("in-reply-to")
    references = _ids(headers.get("references"))
    is_reply = had_prefix or bool(in_reply_to) or bool(references)
    body, quoted = _split_body(_body_text(headers, rest, raw.data), is_reply=is_reply)
    return _Message(
        order=order,
        line=raw.line,
        key=_local_key(msgid, headers, seen),
        msgid=msgid,
        in_reply_to=_first_id(in_reply_to),
        references=references,
        subject=subject,
        topic=topic.casefold(),
        tags=tags,
        list_site=_list_site(headers),
        is_reply=is_reply,
        author=_author(headers.get("from")),
        timestamp=_timestamp(headers.get("date"), raw, label, context),
        body=body,
        quoted=quoted,
    )


def _decode(data: bytes) -> str:
    """UTF-8, else the declared charset, else Latin-1; then mojibake repair."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_declared(data)
    if text.isascii():
        # repair_text changes nothing in ASCII text but line ends, and costs ftfy's time.
        return text.replace("\r\n", "\n")
    return repair_text(text)


def _decode_declared(data: bytes) -> str:
    """The declared charset if it decodes the bytes, else the detected one."""
    return decode_bytes(data, (_CHARSET_PARSER.parsebytes(data).get_content_charset(),))


def _header_text(value: str | None) -> str:
    """A header's text: RFC 2047 words decoded, folding undone."""
    if not value:
        return ""
    if "=?" in value:
        try:
            value = str(make_header(decode_header(value)))
        except (HeaderParseError, CharsetError, LookupError, UnicodeDecodeError, ValueError):
            pass  # an encoded word we cannot read (a charset name that is not one): as is
    return " ".join(value.split())


def _first_id(value: str | None) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _ids(value: str | None) -> list[str]:
    """The Message-IDs in a header, bare and with pipermail's `` at `` undone."""
    if not value:
        return []
    return [_normal_id(found) for found in _MSG_ID.findall(value)]


def _normal_id(value: str) -> str:
    return "".join(_OBFUSCATED_AT.sub("@", value.strip()).split())


def _local_key(msgid: str | None, headers: Message, seen: dict[str, int]) -> str:
    key = msgid or "nomsgid-" + make_id(
        *(headers.get(name) or "" for name in ("from", "date", "subject"))
    )
    count = seen.get(key, 0) + 1
    seen[key] = count
    return key if count == 1 else f"{key}#{count}"


def _list_site(headers: Message) -> str | None:
    return site_from_list_id(headers.get("list-id"))


def _author(value: str | None) -> str | None:
    """The display name, else the de-obfuscated address."""
    if not value:
        return None
    value = " ".join(value.split())
    comment = value.rfind(" (")
    if comment > 0 and value.endswith(")"):
        # Pipermail's ``address (Name)``. Its 2018+ addresses (``roy@mende|@@ohn @end|ng
        # |rom no@@@gov``) defeat parseaddr, which then loses the name too.
        address = _OBFUSCATED_AT.sub("@", value[:comment]).strip()
        name = value[comment + 2 : -1]
    else:
        try:
            name, address = parseaddr(_OBFUSCATED_AT.sub("@", value))
        except RecursionError:  # groups in groups (``a:a:a:...``) past Python's stack
            name, address = "", ""
        address = address or value
    name = _header_text(name).strip().strip("\"'").strip()
    if not name or _normal_id(name) == _normal_id(address):
        name = _header_text(address)
    return name or None


def _timestamp(
    value: str | None, raw: _RawMessage, label: str, context: SourceContext
) -> datetime | None:
    if value:
        parsed = _parse_date(value, context.timezone)
        if parsed is not None:
            return parsed
        context.warn(
            f"{context.path}, line {raw.line}, {label}: cannot read the Date {value!r}; "
            "using the separator line's date"
        )
    fallback = _parse_date(raw.separator, context.timezone) if raw.separator else None
    if fallback is None:
        context.warn(f"{context.path}, line {raw.line}, {label}: no readable date; kept undated")
    return fallback


def _parse_date(value: str, zone: tzinfo | None) -> datetime | None:
    """A Date header or asctime, in the zone it states (so its offset is kept).

    Zone-less ones are read in ``zone`` (``--timezone``), else left naive (read as UTC).
    """
    value = " ".join(value.split())
    if _NUMERIC_ZONE.search(value):
        parts = parsedate_tz(value)
        if parts is not None:
            try:
                local = datetime(*parts[:6])
            except ValueError:
                return None
            offset = timedelta(seconds=parts[9] or 0)
            if abs(offset) <= _MAX_OFFSET:
                return local.replace(tzinfo=timezone(offset))
    return _parse_odd_date(value, zone)


def _parse_odd_date(value: str, zone: tzinfo | None) -> datetime | None:
    """asctime, two-digit years, zone names: python-dateutil, with no guessing of a year.

    Day names in other languages (``vr, 25 apr 2003``) defeat dateutil but not the email
    package, which is tried second; its result is zone-less.
    """
    stripped = _CENTRAL_SUMMER.sub("CEST", _COMMENT.sub(" ", value)).strip()
    no_year = datetime(1, 1, 1)
    parsed: datetime
    try:
        parsed = date_parser.parse(stripped, default=no_year, tzinfos=_zone_for)
    except (ValueError, OverflowError, TypeError):
        parts = parsedate_tz(stripped)
        if parts is None:
            return None
        try:
            parsed = datetime(*parts[:6])
        except ValueError:
            return None
    if parsed.year < 1900:
        return None
    if parsed.tzinfo is None and zone is not None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def _zone_for(name: str | None, offset: int | None) -> tzinfo | None:
    if offset is not None:
        return timezone(timedelta(seconds=offset)) if abs(offset) <= 14 * 3600 else None
    hours = _ZONE_HOURS.get((name or "").upper())
    return None if hours is None else timezone(timedelta(hours=hours))


# --- the body ------------------------------------------------------------------------


def _body_text(headers: Message, rest: str, data: bytes) -> str:
    """The message's text; MIME messages are decoded with the full parser."""
    encoding = (headers.get("content-transfer-encoding") or "").strip().lower()
    if headers.get_content_maintype() != "multipart" and encoding not in (
        "base64",
        "quoted-printable",
    ):
        spill = headers.get_payload()
        return f"{spill}\n{rest}" if isinstance(spill, str) and spill.strip() else rest
    return _mime_text(data)


def _mime_text(data: bytes) -> str:
    message = _MIME_PARSER.parsebytes(data)
    html: str | None = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind not in ("text/plain", "text/html"):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        # A part's declared charset may be missing or wrong: detection decides then.
        content = decode_bytes(payload, (part.get_content_charset(),))
        if kind == "text/plain":
            return repair_text(content)
        html = html if html is not None else content
    return html_to_text(html) if html is not None else ""


def _split_body(text: str, *, is_reply: bool) -> tuple[str, str]:
    """Own words and quoted text, with archive notes and the list footer removed.

    Only replies are split: in a message that starts a conversation, ``>`` lines are
    almost always R console prompts (``> summary(x)``), not quotes.
    """
    lines = text.split("\n")
    if "scrubbed..." in text or "---------- " in text or _HTML_DELETED in text:
        lines = _drop_notes(lines)
    if not is_reply:
        return _tidy("\n".join(_drop_footer(lines))), ""
    lines, original = _cut_original_message(_join_attributions(_drop_footer(lines)))
    own, quoted = _split_quoted(lines)
    if original:
        quoted = _tidy("\n".join([quoted, "", *original]))
    return own, quoted


def _drop_notes(lines: list[str]) -> list[str]:
    """Drop pipermail's scrubbed-attachment notes and mailman's HTML-deleted mark."""
    kept: list[str] = []
    in_note = localised = note_next = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if note_next and stripped:
            # The localised note after a localised rule: "Um anexo em HTML foi limpo...".
            note_next = False
            continue
        if in_note:
            if ":" in stripped and stripped.split(":", 1)[0].strip().lower() in _SCRUB_FIELDS:
                continue
            if localised and _LOCAL_FIELD.match(stripped):
                continue
            in_note = False
        if stripped == _NEXT_PART or stripped == _HTML_DELETED:
            continue
        if stripped.startswith(_SCRUB_NOTES):
            in_note, localised = True, False
            continue
        if _LOCAL_NEXT_PART.match(stripped) and _next_text(lines, index + 1).endswith("..."):
            in_note = localised = note_next = True
            continue
        kept.append(line)
    return kept


def _next_text(lines: list[str], start: int) -> str:
    """The next line after ``start`` that holds text, stripped ("" when none)."""
    for line in lines[start : start + 3]:
        if line.strip():
            return line.strip()
    return ""


def _drop_footer(lines: list[str]) -> list[str]:
    """Cut the list's footer: a rule line followed by '... mailing list ...'."""
    end = len(lines)
    for index in range(end - 1, max(end - 15, 0) - 1, -1):
        if lines[index].startswith(_FOOTER_RULES) and any(
            "mailing list" in following for following in lines[index + 1 : index + 3]
        ):
            return lines[:index]
    return lines


def _split_quoted(lines: list[str]) -> tuple[str, str]:
    """Split a reply into its own lines and the lines it quotes, cheap tests first.

    Quoted lines start with ``>``; the attribution line before them ("On ... wrote:",
    "Am ... schrieb X:", "2010/10/15 X <x>", see :mod:`threadsearch.quotes`) belongs to
    the quote. Running the attribution pattern on every line cost a quarter of the
    parse time over 170,000 messages, so it first tests the line's ends cheaply.
    """
    if not any(">" in line for line in lines):
        return _tidy("\n".join(lines)), ""
    own: list[str] = []
    quoted: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(">"):
            quoted.append(stripped.lstrip("> ").rstrip())
        elif (
            (stripped.rstrip().endswith(_ATTRIBUTION_ENDS) or stripped.startswith("On "))
            and is_attribution(stripped)
            and _next_is_quote(lines, index + 1)
        ):
            quoted.append(stripped)
        else:
            own.append(line)
    return _tidy("\n".join(own)), _tidy("\n".join(quoted))


def _next_is_quote(lines: list[str], start: int) -> bool:
    for line in lines[start : start + 5]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _tidy(text: str) -> str:
    """threadsearch.text.tidy_paragraphs with one regex pass over the text, not one per line."""
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()


def _cut_original_message(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split off an unquoted original that a top-poster's mailer appended.

    Three shapes: Outlook's ``-----Original Message-----`` line, Outlook's bare header
    block (``From: ...`` then ``Sent: ...``), and Gmail/Yahoo's ``On <date>, <name>
    wrote:`` followed by the original without ``>`` marks. Only after some text of the
    message's own, so an attribution at the top is left to the quote splitter.
    """
    has_own = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        if has_own and _starts_original(lines, index):
            return lines[:index], lines[index:]
        has_own = has_own or bool(line.strip())
    return lines, []


def _starts_original(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if "Original Message" in line:
        return _ORIGINAL_MESSAGE.search(line) is not None
    if line.startswith("From: "):
        return any(
            following.lstrip().startswith(("Sent: ", "Date: "))
            for following in lines[index + 1 : index + 3]
        )
    if opens_attribution(line) and is_attribution(line):
        return not _next_is_quote(lines, index + 1)
    return False


def _join_attributions(lines: Iterable[str]) -> list[str]:
    """Join an ``On <date>, <name>`` line with the ``wrote:`` line it wraps onto.

    An attribution may wrap onto a second line (``Am 12.07.2007 schrieb X`` then
    ``<x@host>:``); r-help's mailers often do that.
    """
    out: list[str] = []
    for line in lines:
        if (
            out
            and line.rstrip().endswith(_ATTRIBUTION_ENDS)
            and (joined := join_attribution(out[-1], line)) is not None
        ):
            out[-1] = joined
            continue
        out.append(line)
    return out


# --- threading -----------------------------------------------------------------------


@dataclass
class _Archive:
    """What holds for a whole file: its list tags, and the list its name names."""

    lists: ListTags
    file_site: str | None


def _build_threads(messages: list[_Message], archive: _Archive) -> Iterator[Thread]:
    _link_parents(messages)
    groups: dict[str, list[_Message]] = {}
    for message in messages:
        if message.parent is None:
            groups.setdefault(_thread_key(message), []).append(message)
    for key, tops in groups.items():
        yield _make_thread(key, tops, archive)


def _link_parents(messages: list[_Message]) -> None:
    by_id: dict[str, _Message] = {}
    for message in messages:
        if message.msgid is not None:
            by_id.setdefault(message.msgid, message)
    first_by_topic: dict[str, _Message] = {}
    for message in messages:
        parent = _id_parent(message, by_id)
        if parent is None and message.in_reply_to is None and not message.references:
            earlier = first_by_topic.get(message.topic)
            if message.is_reply and earlier is not None:
                parent = earlier
        if parent is not None:
            message.parent = parent
            parent.children.append(message)
        first_by_topic.setdefault(message.topic, message)


def _id_parent(message: _Message, by_id: dict[str, _Message]) -> _Message | None:
    candidates = [message.in_reply_to, *reversed(message.references)]
    for candidate in candidates:
        found = by_id.get(candidate) if candidate else None
        if found is not None and not _is_ancestor(message, found):
            return found
    return None


def _is_ancestor(message: _Message, other: _Message) -> bool:
    """True if linking ``message`` under ``other`` would make a cycle."""
    node: _Message | None = other
    while node is not None:
        if node is message:
            return True
        node = node.parent
    return False


def _thread_key(top: _Message) -> str:
    if top.references:
        return top.references[0]
    if top.in_reply_to:
        return top.in_reply_to
    return top.msgid or top.key


def _make_thread(key: str, tops: list[_Message], archive: _Archive) -> Thread:
    thread_id = thread_id_for(key)
    root = next((top for top in tops if (top.msgid or top.key) == key), None)
    depths = {id(m): depth for top in tops for m, depth in _walk(top, 0 if top is root else 1)}
    members = sorted(
        (m for top in tops for m, _ in _walk(top, 0) if m is not root), key=_date_order
    )
    entries: list[Entry] = []
    lists = archive.lists
    if root is not None:
        entries.append(_entry(root, thread_id, EntryKind.POST, 0, None, 0, lists))
    for position, message in enumerate(members, start=1):
        depth = depths[id(message)]
        parent = message.parent
        parent_id = entry_id_for(thread_id, parent.key) if parent is not None else None
        entries.append(
            _entry(message, thread_id, EntryKind.COMMENT, position, parent_id, depth, lists)
        )
    first = root or min(tops, key=_date_order)
    ordered = [first, *members]
    tags = list(dict.fromkeys(lists.spelling(t) for m in ordered for t in m.tags if lists.site(t)))
    return Thread(
        id=thread_id,
        title=_title(first, lists, is_root=root is not None),
        site=_thread_site(ordered, archive),
        tags=tags,
        entries=entries,
    )


def _thread_site(messages: list[_Message], archive: _Archive) -> str | None:
    """The list: a List-Id header, else a list tag, else the archive's file name."""
    for message in messages:
        if message.list_site:
            return message.list_site
    for message in messages:
        for tag in message.tags:
            if site := archive.lists.site(tag):
                return site
    return archive.file_site


def _walk(top: _Message, depth: int) -> Iterator[tuple[_Message, int]]:
    """The message and its descendants, each with its depth below ``top``'s."""
    stack = [(top, depth)]
    while stack:
        node, level = stack.pop()
        yield node, level
        stack.extend((child, level + 1) for child in node.children)


def _date_order(message: _Message) -> tuple[int, datetime, int]:
    if message.timestamp is None:
        return (1, datetime.min.replace(tzinfo=timezone.utc), message.order)
    return (0, to_utc(message.timestamp), message.order)


def _title(message: _Message, lists: ListTags, *, is_root: bool) -> str:
    if is_root and not message.is_reply:
        title = lists.strip(message.subject)
    else:
        title = strip_subject(message.subject)[0]
    return title or "(no subject)"


def _entry(
    message: _Message,
    thread_id: str,
    kind: EntryKind,
    position: int,
    parent_id: str | None,
    depth: int,
    lists: ListTags,
) -> Entry:
    return Entry(
        id=entry_id_for(thread_id, message.key),
        thread_id=thread_id,
        kind=kind.value,
        position=position,
        body=message.body,
        author=message.author,
        timestamp=message.timestamp,
        utc_offset=offset_minutes(message.timestamp),
        title=lists.strip(message.subject) or None,
        quoted=message.quoted,
        parent_id=parent_id,
        depth=depth,
    )
