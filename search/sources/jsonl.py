"""JSON Lines in threadsearch's own thread schema: one thread per line.

This is the format threadsearch writes when it exports and reads back when it ingests,
and the body the HTTP API's ``POST /threads`` accepts (one thread or a list). The
marshmallow schemas :class:`ThreadSchema` and :class:`EntrySchema` describe exactly the
fields of :class:`~threadsearch.model.Thread` and :class:`~threadsearch.model.Entry`; other modules
use :func:`thread_to_dict` and :func:`thread_from_dict` rather than the schemas.

The schema
----------

A thread (one JSON object per line):

==================  ====================  ========  =============================================
field               type                  required  meaning
==================  ====================  ========  =============================================
``id``              string                no        ``[A-Za-z0-9_-]{1,64}``; computed when absent
``title``           string                yes       the thread's title
``url``             string or null        no        the post's URL (default null)
``site``            string or null        no        blog, forum or list name or host
``source``          string or null        no        where the thread was ingested from
``declared_count``  integer >= 0 or null  no        the entry count the source declared
``tags``            list of strings       no        categories and tags (default [])
``entries``         list of entries       no        the post and its comments (default [])
==================  ====================  ========  =============================================

An entry (an object in ``entries``):

==============  ================  ========  ====================================================
field           type              required  meaning
==============  ================  ========  ====================================================
``id``          string            no        ``[A-Za-z0-9_-]{1,64}``; computed when absent
``thread_id``   string            no        must equal the thread's id when given
``kind``        string            yes       ``post``, ``comment``, ``trackback`` or ``pingback``
``position``    integer >= 0      yes       order in the thread (the post is 0); unique (< 2**31)
``body``        string            no        clean text, a blank line between paragraphs
``author``      string or null    no        the author's display name
``author_url``  string or null    no        the author's web site or profile
``timestamp``   ISO 8601 or null  no        see below
``utc_offset``  integer or null   no        the offset the source stated, minutes east of
                                            UTC (-1439 to 1439); null: it stated no zone.
                                            Needs a ``timestamp``. See below
``title``       string or null    no        the entry's own title, if any
``quoted``      string            no        text the entry quotes (default "")
``parent_id``   string or null    no        the id of another entry of the same thread
                                            that this one replies to
``depth``       integer >= 0      no        0 post, 1 top-level comment, 2 reply... (default 0)
``mentions``    list of strings   no        names the entry mentions (default [])
``url``         string or null    no        the entry's permalink
``status``      string            no        the source's status word (default "approved")
==============  ================  ========  ====================================================

Ids: when ``id`` is absent, the thread id is ``thread_id_for(canonical_url(url))`` if the
thread has a ``url``, else ``thread_id_for("jsonl:" + title)``, and an entry id is
``entry_id_for(thread_id, str(position))``. An entry that is replied to (``parent_id``)
therefore needs either an explicit id or the computed one.

Timestamps are ISO 8601 strings. Without ``utc_offset``, a time with a zone keeps its
offset as the entry's ``utc_offset`` (the instant is held in UTC); a time without one is
a naive local time and goes through ``--timezone`` (:meth:`SourceContext.localize`), or
is read as UTC with no offset. With ``utc_offset`` (null included) the entry's offset is
that value whatever zone the timestamp is written in: an aware timestamp keeps its
instant (``"2005-10-01T14:01:00Z"`` with ``"utc_offset": null`` is that instant from a
source that stated no zone), and a naive one is wall time at that offset (at null, as
without the field).

Dumping (``threadsearch export``) writes every indexed time aware, at its entry's offset
(``2012-05-01T20:00:00+08:00``, ``Z`` for UTC and for times whose source stated no
zone), and ``utc_offset`` beside it, so a dump loads back to an equal thread (offset
None stays None, 0 stays 0) and ``POST /threads``, which refuses zone-less times,
accepts it. Only a parser's not yet indexed zone-less time is dumped naive.

Fields not listed are rejected. Policy: the file is read line by line (streaming), blank
lines are skipped, and the first line that is not valid JSON or breaks the schema stops
the run with a :class:`~threadsearch.errors.SourceFormatError` naming the line and the field,
e.g. ``line 3: entries.0.kind: Must be one of: post, comment, trackback, pingback.``
Nothing is hidden by this format: ``status`` is kept as given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, BinaryIO

from dateutil.parser import isoparse
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..errors import SourceFormatError
from ..model import (
    ENTRY_KINDS,
    Entry,
    Thread,
    canonical_url,
    entry_id_for,
    local_time,
    offset_minutes,
    thread_id_for,
)
from .base import SourceContext

if TYPE_CHECKING:
    _DateTimeField = fields.Field[datetime]
else:  # marshmallow 3 fields are not generic at run time
    _DateTimeField = fields.Field

__all__ = [
    "EntrySchema",
    "JsonLinesSource",
    "ThreadSchema",
    "thread_from_dict",
    "thread_to_dict",
]

_ID_PATTERN = r"\A[A-Za-z0-9_-]{1,64}\Z"
_ID_ERROR = "Must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'."
_UTF8_BOM = b"\xef\xbb\xbf"


class TimestampField(_DateTimeField):
    """An ISO 8601 timestamp, kept in the zone it states; naive when it states none.

    Dumping writes an entry's time as the source wrote it, at the entry's
    ``utc_offset`` (``Z`` for 0); a time whose source stated no zone is written in UTC
    (``Z``) and the entry's ``utc_offset`` (null) says so, so an export re-ingested keeps
    both the instant and the offset. A naive time (a parser's, not yet indexed) is
    written naive.
    """

    default_error_messages = {"invalid": "Not a valid ISO 8601 timestamp."}

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is not None:
            offset = getattr(obj, "utc_offset", offset_minutes(value))
            value = local_time(value, 0 if offset is None else offset)
        text = value.isoformat()
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            parsed: datetime = isoparse(value)
        except (ValueError, OverflowError) as exc:
            raise self.make_error("invalid") from exc
        return parsed


class KindField(fields.String):
    """An entry kind; dumps an :class:`~threadsearch.model.EntryKind` member as its value."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return super()._serialize(getattr(value, "value", value), attr, obj, **kwargs)


def _id_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(_ID_PATTERN, error=_ID_ERROR), **kwargs)


def _optional_string() -> fields.String:
    return fields.String(load_default=None, allow_none=True)


#: The largest position or depth: the index stores them as 32-bit numbers.
MAX_NUMBER = 2**31 - 1
_below_2_31 = validate.Range(max=MAX_NUMBER)


class EntrySchema(Schema):
    """One entry of a thread; loads to an :class:`~threadsearch.model.Entry`.

    A loaded entry whose ``id`` or ``thread_id`` was absent has them empty; the
    enclosing :class:`ThreadSchema` fills them in.
    """

    class Meta:
        unknown = RAISE
        ordered = True

    id = _id_field()
    thread_id = _id_field()
    kind = KindField(required=True, validate=validate.OneOf(ENTRY_KINDS))
    position = fields.Integer(
        required=True, strict=True, validate=[validate.Range(min=0), _below_2_31]
    )
    body = fields.String(load_default="")
    author = _optional_string()
    author_url = _optional_string()
    timestamp = TimestampField(load_default=None, allow_none=True)
    # No load default: an absent field (offset from the timestamp) differs from null.
    utc_offset = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=-1439, max=1439)
    )
    title = _optional_string()
    quoted = fields.String(load_default="")
    parent_id = fields.String(load_default=None, allow_none=True)
    depth = fields.Integer(
        load_default=0, strict=True, validate=[validate.Range(min=0), _below_2_31]
    )
    mentions = fields.List(fields.String(), load_default=list)
    url = _optional_string()
    status = fields.String(load_default="approved")
    lang = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "ISO 639-1; when absent it is detected at ingest."},
    )

    @validates_schema
    def check_offset(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A ``utc_offset`` is the offset of a time: it needs a ``timestamp``."""
        if data.get("utc_offset") is not None and data.get("timestamp") is None:
            raise ValidationError("Needs a timestamp (or give null).", "utc_offset")

    @post_load
    def make_entry(self, data: dict[str, Any], **kwargs: Any) -> Entry:
        data.setdefault("id", "")
        data.setdefault("thread_id", "")
        when: datetime | None = data.get("timestamp")
        if "utc_offset" not in data:
            data["utc_offset"] = offset_minutes(when)
        elif when is not None and when.tzinfo is not None:
            # The stated offset wins; the instant stays (Entry keeps an aware UTC
            # time's offset as given).
            data["timestamp"] = when.astimezone(timezone.utc)
        return Entry(**data)


class ThreadSchema(Schema):
    """A thread with its entries; loads to a :class:`~threadsearch.model.Thread`.

    :param source_context: the context whose ``localize`` naive timestamps go through
        (``--timezone``); without one they are read as UTC with no offset.
    """

    class Meta:
        unknown = RAISE
        ordered = True

    id = _id_field()
    title = fields.String(required=True)
    url = _optional_string()
    site = _optional_string()
    source = _optional_string()
    declared_count = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0)
    )
    tags = fields.List(fields.String(), load_default=list)
    entries = fields.List(fields.Nested(EntrySchema), load_default=list)

    def __init__(
        self, *args: Any, source_context: SourceContext | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source_context = source_context or SourceContext("<input>")

    @validates_schema
    def check_entries(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Entry ids and positions are unique; parents and thread ids refer to this thread."""
        thread_id = _thread_id(data)
        entries: list[Entry] = data.get("entries", [])
        ids = [_entry_id(thread_id, entry) for entry in entries]
        errors: dict[int, dict[str, list[str]]] = {}
        seen_ids: set[str] = set()
        seen_positions: set[int] = set()
        for index, (entry, entry_id) in enumerate(zip(entries, ids, strict=True)):
            problems = _entry_problems(entry, entry_id, thread_id, ids, seen_ids, seen_positions)
            if problems:
                errors[index] = problems
        if errors:
            raise ValidationError({"entries": errors})

    @post_load
    def make_thread(self, data: dict[str, Any], **kwargs: Any) -> Thread:
        data["id"] = _thread_id(data)
        data["entries"] = [self._placed(data["id"], entry) for entry in data["entries"]]
        return Thread(**data)

    def _placed(self, thread_id: str, entry: Entry) -> Entry:
        """The entry with its ids filled in and a zone-less time read in ``--timezone``."""
        changes: dict[str, Any] = {"id": _entry_id(thread_id, entry), "thread_id": thread_id}
        if entry.timestamp is not None and entry.timestamp.tzinfo is None:
            local = self.source_context.localize(entry.timestamp)
            changes |= {"timestamp": local, "utc_offset": offset_minutes(local)}
        return replace(entry, **changes)


def _thread_id(data: Mapping[str, Any]) -> str:
    given: str | None = data.get("id")
    if given:
        return given
    url: str | None = data.get("url")
    if url:
        return thread_id_for(canonical_url(url))
    return thread_id_for("jsonl:" + data["title"])


def _entry_id(thread_id: str, entry: Entry) -> str:
    return entry.id or entry_id_for(thread_id, str(entry.position))


def _entry_problems(
    entry: Entry,
    entry_id: str,
    thread_id: str,
    ids: list[str],
    seen_ids: set[str],
    seen_positions: set[int],
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if entry.thread_id and entry.thread_id != thread_id:
        problems["thread_id"] = [f"Must be the thread's id ({thread_id})."]
    if entry_id in seen_ids:
        problems["id"] = [f"Duplicate entry id {entry_id}."]
    if entry.position in seen_positions:
        problems["position"] = [f"Duplicate position {entry.position}."]
    if entry.parent_id is not None and (entry.parent_id == entry_id or entry.parent_id not in ids):
        problems["parent_id"] = ["Must be the id of another entry of the same thread."]
    seen_ids.add(entry_id)
    seen_positions.add(entry.position)
    return problems


def thread_to_dict(thread: Thread) -> dict[str, Any]:
    """The thread as a JSON-ready dict in the schema above (every field present)."""
    data: dict[str, Any] = ThreadSchema().dump(thread)
    return data


def thread_from_dict(data: Any, context: SourceContext | None = None) -> Thread:
    """Load one thread from a dict in the schema above.

    Raises :class:`~threadsearch.errors.SourceFormatError` whose reason lists every problem as
    ``field.path: message``; the marshmallow ``ValidationError`` is its ``__cause__``
    (``normalized_messages()`` gives the field messages as data).
    """
    context = context or SourceContext("<input>")
    return _load(data, context, line=None)


def _load(data: Any, context: SourceContext, line: int | None) -> Thread:
    if not isinstance(data, dict):
        raise SourceFormatError(
            context.path,
            f"expected a JSON object (one thread), got {_json_type(data)}",
            line=line,
            hint="Write one thread object per line.",
        )
    try:
        thread: Thread = ThreadSchema(source_context=context).load(data)
    except ValidationError as exc:
        raise SourceFormatError(
            context.path,
            "; ".join(describe_errors(exc.messages)),
            line=line,
            hint="See the thread schema in the README (JSON Lines).",
        ) from exc
    return thread


def describe_errors(messages: Any, prefix: str = "") -> list[str]:
    """Flatten marshmallow's nested messages to ``entries.0.kind: Must be one of: ...``."""
    if isinstance(messages, dict):
        lines: list[str] = []
        for key, value in messages.items():
            path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            lines.extend(describe_errors(value, path))
        return lines
    if isinstance(messages, list):
        return [text for item in messages for text in describe_errors(item, prefix)]
    return [f"{prefix}: {messages}" if prefix else str(messages)]


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


class JsonLinesSource:
    """Reads threadsearch's JSON Lines: one thread object per line."""

    name = "jsonl"

    def parse(self, stream: BinaryIO, context: SourceContext) -> Iterator[Thread]:
        for number, raw in enumerate(stream, start=1):
            if number == 1:
                raw = raw.removeprefix(_UTF8_BOM)
            if not raw.strip():
                continue
            yield _load(_decode_line(raw, number, context), context, line=number)


def _decode_line(raw: bytes, number: int, context: SourceContext) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            context.path,
            f"not UTF-8: byte 0x{raw[exc.start]:02x}",
            line=number,
            column=exc.start + 1,
            hint="JSON Lines files are UTF-8.",
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(
            context.path,
            f"invalid JSON: {exc.msg}",
            line=number,
            column=exc.colno,
            hint="Each line must be one complete JSON object.",
        ) from exc
