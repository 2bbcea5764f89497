"""marshmallow schemas: query arguments in, response bodies out.

Argument schemas validate and normalise (ranges, known sort keys and facets, dates
parsed once) and reject unknown parameters. Response schemas describe the bodies for the
OpenAPI document: the bodies themselves are the ``to_dict()`` of the model classes
(:mod:`threadsearch.model`), which the views and the CLI's ``--json`` both print, and a
test checks that each schema names exactly the keys ``to_dict()`` gives.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate
from threadsearch.errors import InvalidFilterError
from threadsearch.model import ENTRY_KINDS, SearchRequest
from threadsearch.query.engine import SORTS
from threadsearch.query.facets import FACETS
from threadsearch.query.filters import parse_bound
from threadsearch.query.limits import DEFAULT_LIMITS


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _bound(end: bool) -> Any:
    def load(value: str) -> Any:
        try:
            return parse_bound(value, end=end)
        except InvalidFilterError as exc:
            raise ValidationError(exc.message) from None

    return load


#: since and until: an RFC 3339 date or date-time (Python's ISO reading takes both).
_DATE_OR_TIME: dict[str, Any] = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}


class SearchArgsSchema(_Strict):
    q = fields.String(
        load_default="",
        validate=validate.Length(
            max=DEFAULT_LIMITS.max_query_chars,
            error="Longer than the limit max_query_chars={max}.",
        ),
        metadata={
            "description": "Query text; empty browses. At most "
            f"{DEFAULT_LIMITS.max_terms} terms, {DEFAULT_LIMITS.max_nesting} levels of "
            f"parentheses, fuzzy distance {DEFAULT_LIMITS.max_fuzzy_distance}, "
            f"{DEFAULT_LIMITS.max_expansion} terms per wildcard (README, Limits)."
        },
    )
    author = fields.List(fields.String(), load_default=list)
    kind = fields.List(fields.String(validate=validate.OneOf(ENTRY_KINDS)), load_default=list)
    thread = fields.List(fields.String(), load_default=list)
    site = fields.List(fields.String(), load_default=list)
    tag = fields.List(fields.String(), load_default=list)
    lang = fields.List(
        fields.String(), load_default=list, metadata={"description": "ISO 639-1, e.g. de."}
    )
    since = fields.Function(
        deserialize=_bound(False),
        metadata={"description": "ISO date or datetime, inclusive.", **_DATE_OR_TIME},
    )
    until = fields.Function(
        deserialize=_bound(True),
        metadata={
            "description": "ISO date or datetime, inclusive; a date covers the day.",
            **_DATE_OR_TIME,
        },
    )
    facet = fields.List(
        fields.String(validate=validate.OneOf(FACETS)),
        load_default=list,
        validate=validate.Length(
            max=len(FACETS), error="More facets than the limit max_facets={max}."
        ),
    )
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    collapse = fields.String(validate=validate.OneOf(["thread"]))
    cursor = fields.String(
        validate=validate.Length(min=1, max=512),
        metadata={
            "description": "The next_cursor of the previous page: the hits after its last "
            "one, in the same order (search_after paging; page stays 1). Stable while "
            "others write when sorting by date."
        },
    )

    @post_load
    def to_request(self, data: dict[str, Any], **kwargs: Any) -> SearchRequest:
        facets = data.pop("facet")
        return SearchRequest(facets=facets, **data)


class PageArgsSchema(_Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


#: The longest a write may wait for another writer (a running ingest) to finish; below
#: the server's worker timeout (60 s), so a waiting request is never killed mid-wait.
MAX_WRITE_WAIT = 30


class WriteArgsSchema(_Strict):
    wait = fields.Float(
        load_default=0.0,
        validate=validate.Range(min=0, max=MAX_WRITE_WAIT),
        metadata={
            "description": "Seconds to wait for another writer (a running `threadsearch "
            f"ingest`) to finish, 0 to {MAX_WRITE_WAIT}; past that the answer is 503 with "
            "Retry-After and nothing is written."
        },
    )


class SimilarArgsSchema(_Strict):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


_TIMESTAMP = {"description": "ISO 8601 in UTC (+00:00); zone-less source times read as UTC."}
_UTC_OFFSET = {
    "description": "The offset the source stated, minutes east of UTC; null if it stated none."
}


_LANG = "ISO 639-1 language, detected at ingest; null when unclear."


class HitSchema(Schema):
    id = fields.String()
    thread_id = fields.String()
    thread_title = fields.String()
    kind = fields.String()
    author = fields.String(allow_none=True)
    timestamp = fields.String(allow_none=True, metadata=_TIMESTAMP)
    utc_offset = fields.Integer(allow_none=True, metadata=_UTC_OFFSET)
    position = fields.Integer()
    score = fields.Float(allow_none=True)
    snippet = fields.String(
        metadata={
            "description": "HTML of the body (the title when the body is empty): matches "
            "in <mark>, rest escaped."
        }
    )
    highlights = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "HTML snippet of each field holding a query word, by field "
            "name: 'title', 'body', 'quoted'; a field without a match is absent. Quoted text "
            "is not searched by bare words but shows them when this entry matches."
        },
    )
    matched_terms = fields.List(
        fields.String(),
        metadata={
            "description": "The query's words and phrases, as typed and in query order, "
            "that this entry matches (not those under NOT)."
        },
    )
    collapsed = fields.Integer(
        allow_none=True, metadata={"description": "With collapse=thread: other hits in it."}
    )
    lang = fields.String(allow_none=True, metadata={"description": _LANG})


class FacetValueSchema(Schema):
    value = fields.Raw(allow_none=True)
    count = fields.Integer()
    selected = fields.Boolean()


class FacetSchema(Schema):
    values = fields.List(fields.Nested(FacetValueSchema))
    truncated = fields.Boolean()


class SearchResultSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    took_ms = fields.Float()
    hits = fields.List(fields.Nested(HitSchema))
    facets = fields.Dict(keys=fields.String(), values=fields.Nested(FacetSchema))
    suggestion = fields.String(allow_none=True)
    warnings = fields.List(fields.String())
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Pass as cursor for the next page; null when none follows."},
    )
    # marshmallow takes declared fields off the class, so this does not shadow
    # Schema.partial at run time; mypy sees only the class attribute.
    partial = fields.Boolean(  # type: ignore[assignment]
        metadata={"description": "The time budget ran out: warnings say what was cut short."}
    )


class EntrySchema(Schema):
    id = fields.String()
    thread_id = fields.String()
    thread_title = fields.String(allow_none=True)
    kind = fields.String()
    position = fields.Integer()
    author = fields.String(allow_none=True)
    author_url = fields.String(allow_none=True)
    timestamp = fields.String(allow_none=True, metadata=_TIMESTAMP)
    utc_offset = fields.Integer(allow_none=True, metadata=_UTC_OFFSET)
    title = fields.String(allow_none=True)
    body = fields.String()
    quoted = fields.String()
    parent_id = fields.String(allow_none=True)
    depth = fields.Integer()
    mentions = fields.List(fields.String())
    url = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    lang = fields.String(allow_none=True, metadata={"description": _LANG})


class ThreadSummarySchema(Schema):
    id = fields.String()
    title = fields.String()
    url = fields.String(allow_none=True)
    site = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    declared_count = fields.Integer(allow_none=True)
    entry_count = fields.Integer()


class ThreadSchema(ThreadSummarySchema):
    entries = fields.List(fields.Nested(EntrySchema))


class ThreadListSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    threads = fields.List(fields.Nested(ThreadSummarySchema))


class SimilarSchema(Schema):
    id = fields.String()
    hits = fields.List(fields.Nested(HitSchema))


class StatsSchema(Schema):
    entries = fields.Integer()
    threads = fields.Integer()
    authors = fields.Integer()
    sites = fields.List(fields.String())
    kinds = fields.Dict(keys=fields.String(), values=fields.Integer())
    first = fields.String(allow_none=True, metadata=_TIMESTAMP)
    last = fields.String(allow_none=True, metadata=_TIMESTAMP)
    generation = fields.Integer()
    index_dir = fields.String()
    size_bytes = fields.Integer()
    format_version = fields.Integer(metadata={"description": "The index format version."})


class HealthSchema(Schema):
    status = fields.String()
    index = fields.String()
    entries = fields.Integer(allow_none=True)


class LiveSchema(Schema):
    status = fields.String(metadata={"description": "Always ok."})


class VersionSchema(Schema):
    package = fields.String(metadata={"description": "The threadsearch package version."})
    index_format = fields.Integer(
        metadata={"description": "The index format (schema) version this server reads."}
    )


class WriteResultSchema(Schema):
    threads = fields.Integer(metadata={"description": "Threads written."})
    entries = fields.Integer(metadata={"description": "Entries written (added or replaced)."})


class ProblemItemSchema(Schema):
    thread = fields.String(metadata={"description": "The thread's id (as given)."})
    entry = fields.String(allow_none=True, metadata={"description": "The entry's id, if any."})
    field = fields.String(metadata={"description": "The field that breaks a rule."})
    message = fields.String(metadata={"description": "What is wrong and what to send."})


class ProblemSchema(Schema):
    """An RFC 9457 problem: every error body of the API."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Raw(
        metadata={
            "description": "Field-level problems: for threads that break a write rule, a list "
            "of {thread, entry, field, message} objects (see WriteProblem); for a body that "
            "breaks the thread schema, messages keyed by thread number and field."
        }
    )
