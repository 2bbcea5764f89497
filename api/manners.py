"""What every answer of the API does besides its body: the HTTP manners clients expect.

- ``X-Request-Id``: taken from the request when it is a short printable token, else
  made up; echoed on the answer and written in the access log.
- Access log: one JSON line per request (logger ``threadsearch.access``, on stderr):
  time, request id, method, path, query string, status, bytes, milliseconds, client
  address. Headers are never logged, so neither is a bearer token.
- Body limit: a request that declares a body over ``MAX_BODY_BYTES`` is a 413 before
  any of the body is read; a chunked one is cut at the limit (werkzeug's
  ``MAX_CONTENT_LENGTH``).
- Conditional GETs: a GET that reads the index is pinned to one index generation for
  the whole request, and its weak ``ETag`` is that generation plus the request (path
  and query). ``If-None-Match`` with it answers 304 without searching.
  ``Cache-Control`` comes from ``CACHE_CONTROL``. With ``BACKEND=opensearch`` there is
  no local generation to pin, so those answers carry neither (see the README).
- Compression: flask-compress, for JSON and problem+json bodies over 500 bytes when the
  client's ``Accept-Encoding`` asks (zstd, br, gzip or deflate).
- CORS: off unless ``CORS_ORIGINS`` names origins (flask-cors answers preflights).
- Security headers on every answer: ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer`` and a ``Content-Security-Policy`` that lets no
  content load, which holds for the only HTML we could serve (an error page).

No request value reaches a filesystem path: the index folder is a setting, and the
only values taken from a request are query text, filters and ids, which the library
looks up as index terms.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import time
import uuid
from contextlib import ExitStack

from flask import Flask, Response, abort, current_app, g, request
from flask_compress import Compress
from flask_cors import CORS

from .errors import PROBLEM_TYPE
from .state import get_index

ACCESS_LOG = logging.getLogger("threadsearch.access")
_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")
#: Views that read the index on GET: their answers carry an ETag and Cache-Control.
INDEX_VIEWS = frozenset(
    {
        "search.Search",
        "threads.Threads",
        "threads.ThreadById",
        "threads.EntryById",
        "threads.SimilarEntries",
        "status.Stats",
    }
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def init_app(app: Flask) -> None:
    """Register the manners on ``app``; its config is final by now."""
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    app.config.setdefault("COMPRESS_MIMETYPES", ["application/json", PROBLEM_TYPE])
    # after_request functions run last-registered first: the access log (registered
    # first) sees the final, compressed answer.
    app.after_request(_log_access)
    Compress(app)
    origins = [o.strip() for o in (app.config["CORS_ORIGINS"] or "").split(",") if o.strip()]
    if origins:
        CORS(
            app,
            origins=origins,
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "X-Request-Id"],
            expose_headers=["ETag", "X-Request-Id", "Retry-After"],
            methods=["GET", "HEAD", "POST", "DELETE", "OPTIONS"],
            max_age=600,
        )
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_release)
    if app.config["ACCESS_LOG"] and not ACCESS_LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        ACCESS_LOG.addHandler(handler)
        ACCESS_LOG.setLevel(logging.INFO)
        ACCESS_LOG.propagate = False


def _start() -> Response | None:
    g.started = time.perf_counter()
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    limit = current_app.config["MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        abort(413, f"The body is {request.content_length} bytes; the limit is {limit}.")
    if (
        request.method in ("GET", "HEAD")
        and request.endpoint in INDEX_VIEWS
        and current_app.config.get("BACKEND", "whoosh") == "whoosh"
    ):
        return _pin_and_check()
    return None


def _pin_and_check() -> Response | None:
    """Pin the newest generation for this request; a 304 if the client has its answer."""
    stack = g.pinned = ExitStack()
    index = get_index()
    snapshot = stack.enter_context(index.reading())
    key = f"{request.path}?{request.query_string.decode('latin-1')}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    g.etag = f"{snapshot.generation}-{digest}"
    if request.if_none_match.contains_weak(g.etag):
        response = Response(status=304)
        response.set_etag(g.etag, weak=True)
        return response
    return None


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    etag = g.get("etag")
    if etag and response.status_code in (200, 304):
        response.set_etag(etag, weak=True)
        response.headers["Cache-Control"] = current_app.config["CACHE_CONTROL"]
    return response


def _release(_error: BaseException | None) -> None:
    pinned: ExitStack | None = g.pop("pinned", None)
    if pinned is not None:
        pinned.close()


def _log_access(response: Response) -> Response:
    if current_app.config["ACCESS_LOG"]:
        started = g.get("started")
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "status": response.status_code,
            "bytes": response.calculate_content_length(),
            "ms": None if started is None else round((time.perf_counter() - started) * 1000, 3),
            "remote": request.remote_addr,
        }
        ACCESS_LOG.info(json.dumps(record, ensure_ascii=False))
    return response
