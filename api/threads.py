"""Threads and entries: list, read, similar entries, and authenticated writes."""

from __future__ import annotations

import hmac
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from threadsearch.errors import NotFoundError, SourceFormatError
from threadsearch.query.engine import get_entry, get_thread, list_threads, similar
from threadsearch.sources.base import SourceContext
from threadsearch.sources.jsonl import EntrySchema as EntryInputSchema
from threadsearch.sources.jsonl import ThreadSchema as ThreadInputSchema
from threadsearch.sources.jsonl import thread_from_dict

from .schemas import (
    EntrySchema,
    PageArgsSchema,
    SimilarArgsSchema,
    SimilarSchema,
    ThreadListSchema,
    ThreadSchema,
    WriteResultSchema,
)
from .state import get_index

blp = Blueprint("threads", __name__, description="Threads and their entries.")
INPUT_SCHEMA = ThreadInputSchema
ENTRY_INPUT_SCHEMA = EntryInputSchema


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
        return list_threads(get_index(), **args).to_dict()

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
                                "items": {"$ref": "#/components/schemas/ThreadInput"},
                            },
                        ]
                    }
                }
            },
        },
        security=[{"bearer": []}],
    )
    @blp.response(201, WriteResultSchema)
    def post(self) -> Any:
        """Add or replace threads (needs the bearer token)."""
        require_token()
        threads = [_load_thread(item, n) for n, item in enumerate(_json_items())]
        report = get_index().ingest(threads)
        return {"threads": report.threads, "entries": report.entries}


def _json_items() -> list[Any]:
    data = request.get_json(silent=True)
    if data is None:
        abort(400, message="The body must be JSON: one thread object or a list of them.")
    items = data if isinstance(data, list) else [data]
    if not items:
        abort(400, message="The list of threads is empty.")
    return items


def _load_thread(item: Any, number: int) -> Any:
    try:
        return thread_from_dict(item, SourceContext(f"request body, thread {number}"))
    except SourceFormatError as error:
        cause = error.__cause__
        messages = getattr(cause, "messages", None) or {"_schema": [error.reason]}
        abort(400, message=str(error), errors={str(number): messages})


@blp.route("/threads/<thread_id>")
class ThreadById(MethodView):
    @blp.response(200, ThreadSchema)
    def get(self, thread_id: str) -> Any:
        """A thread: the post and its entries in order, full text."""
        return get_thread(get_index(), thread_id).to_dict()

    @blp.doc(security=[{"bearer": []}])
    @blp.response(204)
    def delete(self, thread_id: str) -> None:
        """Remove a thread and all its entries (needs the bearer token)."""
        require_token()
        if not get_index().delete_thread(thread_id):
            raise NotFoundError(f"no thread with id {thread_id!r}")


@blp.route("/entries/<entry_id>")
class EntryById(MethodView):
    @blp.response(200, EntrySchema)
    def get(self, entry_id: str) -> Any:
        """One entry, full text."""
        return get_entry(get_index(), entry_id).to_dict()


@blp.route("/entries/<entry_id>/similar")
class SimilarEntries(MethodView):
    @blp.arguments(SimilarArgsSchema, location="query")
    @blp.response(200, SimilarSchema)
    def get(self, args: dict[str, Any], entry_id: str) -> Any:
        """The entries most like this one ("more like this")."""
        return similar(get_index(), entry_id, args["limit"]).to_dict()
