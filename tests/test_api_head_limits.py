"""Request heads over gunicorn's limits, against a real ``threadsearch serve``.

gunicorn reads the request line and headers before the app runs; what it refuses is
answered as problem+json naming the limit, like every error of the app, by both of its
workers (``--threads 1``: sync, more: gthread).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from threadsearch.api.server import LIMIT_REQUEST_LINE, line_room
from threadsearch.query.limits import DEFAULT_LIMITS

from tests.conftest import running_server

#: A character of four UTF-8 bytes: twelve in a URL.
CLEF = "\U0001d11e"


@pytest.fixture(scope="module", params=["1", "4"], ids=["sync", "gthread"])
def port(
    request: pytest.FixtureRequest, seed_index_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    log = tmp_path_factory.mktemp("head") / "server.log"
    with running_server(seed_index_dir, log, "--workers", "1", "--threads", request.param) as base:
        yield int(base.rsplit(":", 1)[1])


def send(port: int, head: bytes) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Send a raw request head; the status line, headers and JSON body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        with sock.makefile("rb") as answer:
            text = answer.read().decode()
    status, _, rest = text.partition("\r\n")
    lines, _, payload = rest.partition("\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in lines.split("\r\n"))
    return status, headers, json.loads(payload)


def get(port: int, target: str, extra: str = "") -> tuple[str, dict[str, str], dict[str, Any]]:
    return send(port, f"GET {target} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())


def test_a_20_kb_request_line_is_414_problem_json_naming_the_limit(port: int) -> None:
    status, headers, body = get(port, "/search?q=" + "regression+" * 1_900)
    assert status == "HTTP/1.1 414 URI Too Long"
    assert headers["Content-Type"] == "application/problem+json"
    assert body == {
        "type": "about:blank",
        "title": "URI Too Long",
        "status": 414,
        "detail": "The request line is over 8,190 bytes (limit_request_line). Shorten the "
        "query string: q takes up to 600 characters (max_query_chars), which always fit, "
        "so send fewer or shorter filters.",
        "errors": {"limit": "limit_request_line", "maximum": 8190},
    }


def test_a_huge_header_is_431_problem_json_naming_the_limit(port: int) -> None:
    status, headers, body = get(port, "/search?q=lm", "Cookie: " + "a" * 20_000 + "\r\n")
    assert status == "HTTP/1.1 431 Request Header Fields Too Large"
    assert headers["Content-Type"] == "application/problem+json"
    assert body["errors"] == {"limit": "limit_request_field_size", "maximum": 8190}
    assert body["detail"] == (
        "The request's headers are too large: at most 8,190 bytes per header field "
        "(limit_request_field_size). Send fewer or shorter headers (cookies, tokens)."
    )


def test_too_many_headers_are_431_problem_json(port: int) -> None:
    many = "".join(f"X-N{i}: {i}\r\n" for i in range(101))
    status, _, body = get(port, "/livez", many)
    assert status == "HTTP/1.1 431 Request Header Fields Too Large"
    assert body["errors"] == {"limit": "limit_request_fields", "maximum": 100}


def test_a_malformed_request_line_is_400_problem_json(port: int) -> None:
    status, headers, body = send(port, b"GET /search?q=lm\r\nHost: x\r\n\r\n")
    assert status == "HTTP/1.1 400 Bad Request"
    assert headers["Content-Type"] == "application/problem+json"
    assert body["status"] == 400
    assert body["detail"].startswith("The request could not be read: ")


def test_the_longest_query_fits_the_request_line_percent_encoded(port: int) -> None:
    # 600 characters of four UTF-8 bytes each: 7,200 bytes in the URL, plus filters.
    longest = "/search?q=" + quote(CLEF * DEFAULT_LIMITS.max_query_chars)
    longest += "&facet=kind&facet=author&sort=newest&per_page=5&since=2000-01-01"
    assert len(longest) == 7_274
    status, _, body = get(port, longest)
    assert status == "HTTP/1.1 200 OK"
    assert body["total"] == 0
    # One character more meets the app's own limit, not gunicorn's.
    status, headers, body = get(port, "/search?q=" + quote(CLEF * 601))
    assert status == "HTTP/1.1 400 BAD REQUEST"
    assert headers["Content-Type"] == "application/problem+json"
    assert body["errors"] == {"q": ["Longer than the limit max_query_chars=600."]}


def test_the_default_query_limit_leaves_room_in_the_request_line() -> None:
    # GET /search?q=<600 x 12 bytes> HTTP/1.1: 7,223 of 8,190 bytes.
    assert line_room(DEFAULT_LIMITS.max_query_chars) == 967
    assert LIMIT_REQUEST_LINE == 8190
