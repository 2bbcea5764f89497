"""The production server: gunicorn with worker processes, configured in code.

Each worker opens the index on its first request and shares it between its threads
(``--threads``, gunicorn's ``gthread`` worker): every request reads the newest
committed generation, so new data is served without a restart (see
:mod:`threadsearch.index` for what a thread may do while another writes).

gunicorn reads a request's head before the app sees it, and answers a head over its
limits (a request line over :data:`LIMIT_REQUEST_LINE` bytes: 414; headers too many or
too large: 431) or malformed (400) itself. Its workers here (:class:`SyncWorker`,
:class:`ThreadWorker`) answer those as the app answers every error: problem+json
naming the limit (:func:`head_problem`).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors
from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker
from gunicorn.workers.sync import SyncWorker as GunicornSyncWorker

from .errors import PROBLEM_TYPE

#: Bytes of the request line (method, path, query string, version): gunicorn's largest.
#: A query of MAX_QUERY_CHARS characters fits in it even with every character
#: percent-encoded from four UTF-8 bytes (12 bytes each): see :func:`line_room`.
LIMIT_REQUEST_LINE = 8190
#: Header fields in a request, and bytes of one (gunicorn's defaults).
LIMIT_REQUEST_FIELDS = 100
LIMIT_REQUEST_FIELD_SIZE = 8190
#: Bytes a query character can take in a URL: four UTF-8 bytes, each as ``%XX``.
ENCODED_CHAR_BYTES = 12
_SEARCH_LINE = len("GET /search?q= HTTP/1.1")


def line_room(max_query_chars: int) -> int:
    """Bytes of the request line left for other parameters when ``q`` holds
    ``max_query_chars`` characters, each percent-encoded at its longest."""
    return LIMIT_REQUEST_LINE - _SEARCH_LINE - ENCODED_CHAR_BYTES * max_query_chars


def head_problem(exc: BaseException, max_query_chars: int) -> dict[str, Any] | None:
    """The problem+json body for an error gunicorn found in a request's head, or None
    when the error is the server's own (gunicorn then answers it as usual)."""
    if isinstance(exc, errors.LimitRequestLine):
        return _body(
            414,
            "URI Too Long",
            f"The request line is over {LIMIT_REQUEST_LINE:,} bytes (limit_request_line). "
            f"Shorten the query string: q takes up to {max_query_chars:,} characters "
            "(max_query_chars), which always fit, so send fewer or shorter filters.",
            {"limit": "limit_request_line", "maximum": LIMIT_REQUEST_LINE},
        )
    if isinstance(exc, errors.LimitRequestHeaders):
        limit, maximum, what = _HEADER_LIMITS.get(str(exc), _HEADER_LIMITS["max buffer headers"])
        return _body(
            431,
            "Request Header Fields Too Large",
            f"The request's headers are too large: {what} ({limit}). "
            "Send fewer or shorter headers (cookies, tokens).",
            {"limit": limit, "maximum": maximum},
        )
    server_side = tuple(
        getattr(errors, name)
        for name in ("ConfigurationProblem", "InvalidResponseHeader", "InvalidResponseHeaderName")
        if hasattr(errors, name)
    )
    if not isinstance(exc, errors.ParseException) or isinstance(exc, server_side):
        return None
    status, title = next(
        (value for name, value in _STATUSES.items() if isinstance(exc, getattr(errors, name, ()))),
        (400, "Bad Request"),
    )
    return _body(status, title, f"The request could not be read: {exc}.", None)


#: gunicorn's message -> (limit, maximum, what it bounds)
_HEADER_LIMITS = {
    "limit request headers fields": (
        "limit_request_fields",
        LIMIT_REQUEST_FIELDS,
        f"at most {LIMIT_REQUEST_FIELDS} header fields",
    ),
    "limit request headers fields size": (
        "limit_request_field_size",
        LIMIT_REQUEST_FIELD_SIZE,
        f"at most {LIMIT_REQUEST_FIELD_SIZE:,} bytes per header field",
    ),
    "max buffer headers": (
        "limit_request_fields",
        LIMIT_REQUEST_FIELDS * (LIMIT_REQUEST_FIELD_SIZE + 2) + 4,
        f"at most {LIMIT_REQUEST_FIELDS} fields of {LIMIT_REQUEST_FIELD_SIZE:,} bytes in all",
    ),
}
#: gunicorn's client errors that are not a 400 (some only in newer gunicorns).
_STATUSES = {
    "UnsupportedTransferCoding": (501, "Not Implemented"),
    "ExpectationFailed": (417, "Expectation Failed"),
    "ForbiddenProxyRequest": (403, "Forbidden"),
}


def _body(status: int, title: str, detail: str, errors: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    if errors:
        body["errors"] = errors
    return body


class _ProblemErrors:
    """A gunicorn worker mix-in: errors in a request's head answered as problem+json."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        app = getattr(self, "wsgi", None)
        chars = int(app.config["MAX_QUERY_CHARS"]) if isinstance(app, Flask) else 0
        body = head_problem(exc, chars)
        if body is None:
            super().handle_error(req, client, addr, exc)  # type: ignore[misc]
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)  # type: ignore[attr-defined]
        payload = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {body['status']} {body['title']}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_TYPE}\r\nContent-Length: {len(payload)}\r\n"
            "X-Content-Type-Options: nosniff\r\n\r\n"
        )
        try:
            util.write_nonblock(client, head.encode("latin-1") + payload)
        except OSError:
            self.log.debug("Failed to send error message.")  # type: ignore[attr-defined]


class SyncWorker(_ProblemErrors, GunicornSyncWorker):  # type: ignore[misc]
    """gunicorn's synchronous worker, answering bad request heads as problem+json."""


class ThreadWorker(_ProblemErrors, GunicornThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded worker, answering bad request heads as problem+json."""


class Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def serve(app: Flask, host: str, port: int, workers: int, threads: int = 1) -> None:
    """Serve ``app`` until interrupted: ``workers`` processes of ``threads`` threads."""
    raise_file_limit()
    Server(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            # One thread: the plain synchronous worker; more: a thread pool per process.
            "worker_class": ThreadWorker if threads > 1 else SyncWorker,
            "threads": threads,
            # The app writes its own JSON access log (api/manners.py).
            "accesslog": None,
            "timeout": 60,
            "limit_request_line": LIMIT_REQUEST_LINE,
            "limit_request_fields": LIMIT_REQUEST_FIELDS,
            "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
            "graceful_timeout": 5,
        },
    ).run()


def raise_file_limit() -> None:
    """Raise this process's soft limit of open files to its hard limit (best effort).

    Each thread's read holds every segment file of the index open (see
    :mod:`threadsearch.index`); the common soft limit of 1,024 is reached by 8
    threads over some 15 segments. Workers inherit the limit.
    """
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(soft, 1 << 16) if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            return
