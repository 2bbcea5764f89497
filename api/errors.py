"""RFC 9457 problem details: one body builder and the handlers that use it.

Every error leaves the API as ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail`` and, for validation failures, field-level ``errors``. Three
handlers: HTTP errors (webargs validation included), library errors (one table maps
each to a status), and anything else (logged, a bare 500 with no internals).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from threadsearch.errors import (
    BackendUnavailableError,
    IndexBusyError,
    IndexNotFoundError,
    IndexVersionError,
    InvalidFilterError,
    NotFoundError,
    QueryLimitError,
    QuerySyntaxError,
    SearchError,
    SourceFormatError,
    StrictIngestError,
    UnknownFormatError,
    ValidationError,
)
from werkzeug.exceptions import HTTPException, MethodNotAllowed

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"

#: library error -> (status, title)
ERROR_STATUS: dict[type[SearchError], tuple[int, str]] = {
    QuerySyntaxError: (400, "Bad query"),
    QueryLimitError: (400, "Over a limit"),
    InvalidFilterError: (400, "Bad parameter"),
    SourceFormatError: (400, "Bad thread data"),
    ValidationError: (400, "Bad thread data"),
    StrictIngestError: (400, "Warnings in a strict write"),
    UnknownFormatError: (400, "Unknown format"),
    NotFoundError: (404, "Not found"),
    IndexNotFoundError: (503, "No index"),
    BackendUnavailableError: (503, "Search cluster unavailable"),
    IndexVersionError: (503, "Index needs rebuilding"),
    IndexBusyError: (503, "Index busy"),
}
#: Seconds a client is told to wait before retrying a write to a busy index.
RETRY_AFTER = 5


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The one place an error body is built."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if isinstance(errors, dict) and set(errors) <= {"query", "json", "view_args"}:
        # webargs nests messages by location; one location per request here.
        errors = next(iter(errors.values()), errors) if len(errors) == 1 else errors
    detail = data.get("message")
    if not detail and isinstance(errors, dict):
        detail = f"invalid parameter: {', '.join(sorted(errors))}"
    detail = detail or error.description
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(error.code or 500, error.name, detail, errors, headers=headers)


def handle_search_error(error: SearchError) -> Response:
    status, title = next(
        (value for cls, value in ERROR_STATUS.items() if isinstance(error, cls)),
        (400, "Bad request"),
    )
    headers = {"Retry-After": str(RETRY_AFTER)} if isinstance(error, IndexBusyError) else None
    errors: Any = None
    if isinstance(error, QueryLimitError):
        errors = {"limit": error.limit, "maximum": error.maximum, "value": error.value}
    if isinstance(error, ValidationError):
        errors = [
            {"thread": thread, "entry": entry, "field": field, "message": message}
            for thread, entry, field, message in error.problems
        ]
    if isinstance(error, StrictIngestError):
        errors = [{"message": message} for message in error.warnings]
    return problem(status, title, str(error), errors, headers=headers)


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error on %s", request.path)
    return problem(500, "Internal Server Error", "The server failed; the error is logged.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(SearchError, handle_search_error)
    app.register_error_handler(Exception, handle_unexpected)
