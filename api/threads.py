"""Threads and entries: list, read, similar entries, and authenticated writes."""

from __future__ import annotations

import hmac
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from search.query.engine import get_entry, get_thread, list_threads, similar

from .schemas import (
    EntrySchema,
    PageArgsSchema,
    SimilarArgsSchema,
    SimilarSchema,
    ThreadListSchema,
    ThreadSchema,
)
from .state import get_index

blp = Blueprint("threads", __name__, description="Threads and their entries.")


def require_token() -> None:
    """Writes need ``Authorization: Bearer <THREADSEARCH_API_TOKEN>``."""
    expected = current_app.config.get("API_TOKEN")
    if not expected:
        abort(403, message="Writes are disabled: set THREADSEARCH_API_TOKEN to enable them.")
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
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
        return list_threads(get_index(), **args)


@blp.route("/threads/<thread_id>")
class ThreadById(MethodView):
    @blp.response(200, ThreadSchema)
    def get(self, thread_id: str) -> Any:
        """A thread: the post and its entries in order, full text."""
        return get_thread(get_index(), thread_id)


@blp.route("/entries/<entry_id>")
class EntryById(MethodView):
    @blp.response(200, EntrySchema)
    def get(self, entry_id: str) -> Any:
        """One entry, full text."""
        return get_entry(get_index(), entry_id)


@blp.route("/entries/<entry_id>/similar")
class SimilarEntries(MethodView):
    @blp.arguments(SimilarArgsSchema, location="query")
    @blp.response(200, SimilarSchema)
    def get(self, args: dict[str, Any], entry_id: str) -> Any:
        """The entries most like this one ("more like this")."""
        return {"id": entry_id, "hits": similar(get_index(), entry_id, args["limit"])}
