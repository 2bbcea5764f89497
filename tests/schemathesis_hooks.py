"""Hooks for the schemathesis run of tests/test_api_schema.py (loaded by that run only).

Some rules cannot be written in OpenAPI, so a case generated as valid that breaks one
is not sent (negative cases all are). ``cursor`` is opaque: only a value the server
made is valid (the cursor tests cover it). The rest span several parameters or fields
and are judged by the library's own checks: the query
limits (``page * per_page``, terms, nesting, fuzzy distance;
:mod:`threadsearch.query.limits`), ``since`` after ``until``, and the write rules of
POST /threads (:func:`threadsearch.validate_threads`: a ``utc_offset`` needs a
timestamp...). The hooks apply in every phase; a valid thread written gets a fresh id.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import schemathesis
from threadsearch.errors import (
    InvalidFilterError,
    QueryLimitError,
    QuerySyntaxError,
    SourceFormatError,
)
from threadsearch.query.filters import parse_bound, time_value
from threadsearch.query.limits import DEFAULT_LIMITS, check_paging, check_query, check_text
from threadsearch.query.parse import parse_query
from threadsearch.schema import build_schema
from threadsearch.sources.base import SourceContext
from threadsearch.sources.jsonl import thread_from_dict
from threadsearch.writes import validate_threads
from whoosh.filedb.filestore import RamStorage

_SCHEMA = build_schema()
_EMPTY = RamStorage().create_index(_SCHEMA).reader()


def _is_search(ctx: Any) -> bool:
    return bool(ctx.operation.path == "/search")


@schemathesis.hook
def filter_case(ctx: Any, case: Any) -> bool:
    """Keep every negative case (the server must reject it, and does); keep a positive
    one unless it breaks a rule the document cannot state."""
    meta = case.meta
    if meta is not None and meta.generation.mode.is_negative:
        return True
    if ctx.operation.method.upper() == "POST" and ctx.operation.path == "/threads":
        return _writable(case.body)
    query = case.query
    if not _is_search(ctx) or not isinstance(query, dict):
        return True
    if "cursor" in query or not _ordered_dates(query.get("since"), query.get("until")):
        return False
    try:
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 10))
    except (TypeError, ValueError):
        return True  # not numbers: a 400 by the schema's own rules
    text = query.get("q", "")
    try:
        check_paging(page, per_page, DEFAULT_LIMITS)
        if isinstance(text, str):
            check_text(text, DEFAULT_LIMITS)
            return not _too_fuzzy(text)
    except QueryLimitError:
        return False
    return True


def _too_fuzzy(text: str) -> bool:
    """Whether the text breaks a limit of its parsed query (fuzzy distance, a leading
    wildcard), checked by the library against an empty index."""
    try:
        check_query(parse_query(text, _SCHEMA, ["en", None]), _EMPTY, DEFAULT_LIMITS)
    except QueryLimitError:
        return True
    except QuerySyntaxError:
        return False
    return False


def _ordered_dates(since: Any, until: Any) -> bool:
    if not isinstance(since, str) or not isinstance(until, str):
        return True
    try:
        first, last = parse_bound(since, end=False), parse_bound(until, end=True)
    except InvalidFilterError:
        return True  # a bad date: a 400 by the schema's own rules
    return time_value(first) <= time_value(last)


def _writable(body: Any) -> bool:
    items = body if isinstance(body, list) else [body]
    try:
        threads = [thread_from_dict(item, SourceContext("hook")) for item in items]
    except (SourceFormatError, TypeError, AttributeError):
        return False  # a rule across fields of the thread schema (utc_offset needs a time)
    return not validate_threads(threads)


_fresh = itertools.count()


@schemathesis.hook
def map_case(ctx: Any, case: Any) -> Any:
    """A valid thread of POST /threads gets ids of its own (thread "0" again would meet
    the entries of the "0" written before: a 400 that depends on the run's history)."""
    meta = case.meta
    negative = meta is not None and meta.generation.mode.is_negative
    if negative or ctx.operation.method.upper() != "POST" or ctx.operation.path != "/threads":
        return case
    case.body = copy.deepcopy(case.body)
    run = f"r{next(_fresh)}"
    for item in case.body if isinstance(case.body, list) else [case.body]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            item["id"] = f"{item['id'][:40]}-{run}"
        for entry in (item.get("entries") if isinstance(item, dict) else None) or []:
            if not isinstance(entry, dict):
                continue
            if "thread_id" in entry and "id" in item:
                entry["thread_id"] = item["id"]
            for key in ("id", "parent_id"):
                if isinstance(entry.get(key), str):
                    entry[key] = f"{entry[key][:40]}_{run}"
    return case
