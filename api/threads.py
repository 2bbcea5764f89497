"""Threads and entries: list, read, similar entries, and authenticated writes.

Writes go through :mod:`threadsearch.writes`: a body that breaks the JSON thread schema
or a write rule is a 400 listing every problem, and nothing is written; an index held
by another writer (a running ``threadsearch ingest``) is a 503 with ``Retry-After``
after waiting ``?wait=`` seconds (default 0, at most 30).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import fields, validate
from threadsearch.errors import SourceFormatError
from threadsearch.ingest import check_strict, write_summary
from threadsearch.sources.base import SourceContext
from threadsearch.sources.jsonl import EntrySchema as EntryInputSchema
from threadsearch.sources.jsonl import ThreadSchema as ThreadInputSchema
from threadsearch.sources.jsonl import thread_from_dict

from .errors import PROBLEM_TYPE
from .schemas import (
    EntrySchema,
    IngestSummarySchema,
    PageArgsSchema,
    PostThreadsArgsSchema,
    ProblemItemSchema,
    ProblemSchema,
    SimilarArgsSchema,
    SimilarSchema,
    ThreadListSchema,
    ThreadSchema,
    WriteArgsSchema,
)
from .state import get_backend

blp = Blueprint("threads", __name__, description="Threads and their entries.")
RETRY_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before sending the same write again.",
        "schema": {"type": "integer"},
    }
}


class WriteThreadSchema(ThreadInputSchema):
    """A thread as POST /threads takes it: the JSON thread schema, with its entries
    required (a write of no entries would remove nothing and add nothing)."""

    entries = fields.List(
        fields.Nested(EntryInputSchema), required=True, validate=validate.Length(min=1)
    )


INPUT_SCHEMA = WriteThreadSchema
ENTRY_INPUT_SCHEMA = EntryInputSchema
WRITE_PROBLEM_SCHEMA = ProblemItemSchema


def require_token() -> None:
    """Writes need ``Authorization: Bearer <THREADSEARCH_API_TOKEN>``."""
    expected: str | None = current_app.config.get("API_TOKEN")
    if not expected:
        abort(403, message="Writes are disabled: set THREADSEARCH_API_TOKEN to enable them.")
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    matches = hmac.compare_digest(token.encode(), (expected or "").encode())
    if scheme.lower() != "bearer" or not matches:
        abort(
            401,
            message="Missing or wrong bearer token.",
            headers={"WWW-Authenticate": 'Bearer realm="threadsearch"'},
        )


@blp.route("/threads")
class Threads(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, ThreadListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List threads, most recently active first, with their entry counts."""
        return get_backend().list_threads(**args).to_dict()

    @blp.doc(
        requestBody={
            "required": True,
            "description": "One thread or a list of threads, in the JSON thread schema.",
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/ThreadInput"},
                            {
                                "type": "array",
                                "minItems": 1,
                                "items": {"$ref": "#/components/schemas/ThreadInput"},
                            },
                        ]
                    }
                }
            },
        },
        security=[{"bearer": []}],
    )
    @blp.arguments(PostThreadsArgsSchema, location="query")
    @blp.response(201, IngestSummarySchema)
    @blp.alt_response(
        400,
        schema=ProblemSchema,
        content_type=PROBLEM_TYPE,
        description="The threads break a rule, or gave warnings with `strict`; nothing "
        "was written.",
    )
    @blp.alt_response(
        503,
        schema=ProblemSchema,
        content_type=PROBLEM_TYPE,
        description="Another writer held the index for the time waited; nothing was written.",
        headers=RETRY_HEADER,
    )
    def post(self, args: dict[str, Any]) -> Any:
        """Add or replace threads' entries, in one commit (needs the bearer token).

        Entries replace the entries with the same id. Every thread and entry is checked
        first: a problem anywhere is a 400 whose `errors` list every problem, and
        nothing is written. Timestamps must carry a time zone. The answer is the ingest
        summary (`threadsearch ingest --json`), the body counted as one file.
        """
        require_token()
        warnings: list[str] = []
        threads = _load_threads(_json_items(), warnings.append)
        check_strict(warnings, args["strict"])
        written = get_backend().add_threads(threads, wait=args["wait"])
        return write_summary(
            threads,
            threads_written=written.threads,
            entries_written=written.entries,
            warnings=warnings,
            strict=args["strict"],
        ).to_dict()


def _json_items() -> list[Any]:
    limit = current_app.config["MAX_BODY_BYTES"]
    # A chunked body declares no length; werkzeug cuts it at the limit without a word.
    if request.content_length is None and len(request.get_data()) >= limit:
        abort(413, message=f"The body passes the limit of {limit} bytes.")
    data = request.get_json(silent=True)
    if data is None:
        abort(400, message="The body must be JSON: one thread object or a list of them.")
    items = data if isinstance(data, list) else [data]
    if not items:
        abort(400, message="The list of threads is empty.")
    return items


def _load_threads(items: list[Any], warn: Callable[[str], None]) -> list[Any]:
    """Every thread of the body, or a 400 naming the fields of every bad one."""
    threads, errors, first = [], {}, ""
    for number, item in enumerate(items):
        context = SourceContext(f"request body, thread {number}", warn=warn)
        try:
            threads.append(thread_from_dict(item, context))
        except SourceFormatError as error:
            cause = error.__cause__
            errors[str(number)] = getattr(cause, "messages", None) or {"_schema": [error.reason]}
            first = first or str(error)
    if errors:
        abort(400, message=first, errors=errors)
    return threads


@blp.route("/threads/<thread_id>")
class ThreadById(MethodView):
    @blp.response(200, ThreadSchema)
    def get(self, thread_id: str) -> Any:
        """A thread: the post and its entries in order, full text."""
        return get_backend().get_thread(thread_id).to_dict()

    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(WriteArgsSchema, location="query")
    @blp.response(204)
    @blp.alt_response(
        404, schema=ProblemSchema, content_type=PROBLEM_TYPE, description="No thread has this id."
    )
    @blp.alt_response(
        503,
        schema=ProblemSchema,
        content_type=PROBLEM_TYPE,
        description="Another writer held the index for the time waited; nothing was removed.",
        headers=RETRY_HEADER,
    )
    def delete(self, args: dict[str, Any], thread_id: str) -> None:
        """Remove a thread and all its entries, in one commit (needs the bearer token)."""
        require_token()
        get_backend().delete_thread(thread_id, wait=args["wait"])


@blp.route("/entries/<entry_id>")
class EntryById(MethodView):
    @blp.response(200, EntrySchema)
    def get(self, entry_id: str) -> Any:
        """One entry, full text."""
        return get_backend().get_entry(entry_id).to_dict()


@blp.route("/entries/<entry_id>/similar")
class SimilarEntries(MethodView):
    @blp.arguments(SimilarArgsSchema, location="query")
    @blp.response(200, SimilarSchema)
    def get(self, args: dict[str, Any], entry_id: str) -> Any:
        """The entries most like this one ("more like this")."""
        return get_backend().similar(entry_id, args["limit"]).to_dict()
