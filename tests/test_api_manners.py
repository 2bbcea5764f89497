"""HTTP manners: liveness and readiness, version, ETags, caching, compression, request
ids, the access log, the body limit, CORS and security headers."""

from __future__ import annotations

import gzip
import json
import logging
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient
from threadsearch.api import create_app
from threadsearch.api.manners import ACCESS_LOG
from threadsearch.index import open_index
from threadsearch.schema import SCHEMA_VERSION

from tests.conftest import ROOT, SEED, running_server

SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
TOKEN = "tok-7f3a9c-never-log-me"
NEW_THREAD = {
    "title": "Kettle tips",
    "entries": [{"kind": "post", "position": 0, "body": "Vinegar descales a kettle."}],
}


@pytest.fixture
def make_client() -> Iterator[Any]:
    """``make_client(index_dir, **config)``: a test client of a new app; each app's
    index is closed at the end."""
    apps: list[Flask] = []

    def make(index_dir: Path, **config: Any) -> FlaskClient:
        apps.append(create_app({"TESTING": True, "INDEX": str(index_dir), **config}))
        return apps[-1].test_client()

    yield make
    for app in apps:
        opened = app.extensions.pop("threadsearch", None)
        if opened is not None:
            opened.close()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    return body


@pytest.fixture
def access_log() -> Iterator[list[dict[str, Any]]]:
    """The access log's records, parsed, while the test runs."""
    records: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(json.loads(record.getMessage()))

    handler = Collect()
    ACCESS_LOG.addHandler(handler)
    yield records
    ACCESS_LOG.removeHandler(handler)


# --- liveness, readiness, version ------------------------------------------------------


def test_livez_is_200_and_readyz_503_without_an_index(tmp_path: Path, make_client: Any) -> None:
    client = make_client(tmp_path / "missing")
    live = client.get("/livez")
    assert (live.status_code, live.get_json()) == (200, {"status": "ok"})
    for path in ("/readyz", "/health"):
        body = problem(client.get(path), 503)
        assert body["title"] == "No index"
        assert body["detail"].startswith(f"no threadsearch index at {tmp_path / 'missing'}")


def test_readyz_is_200_with_the_entry_count(client: FlaskClient, seed_index_dir: Path) -> None:
    expected = {"status": "ok", "index": str(seed_index_dir), "entries": 27}
    assert client.get("/readyz").get_json() == expected
    assert client.get("/health").get_json() == expected


def test_readyz_is_503_when_the_index_cannot_be_read(
    seed_index_copy: Path, make_client: Any
) -> None:
    (seed_index_copy / "threadsearch.json").write_text('{"schema_version": 3}')
    body = problem(make_client(seed_index_copy).get("/readyz"), 503)
    assert body["title"] == "Index needs rebuilding"
    assert "has schema version 3, this threadsearch reads version 4" in body["detail"]


def test_version_names_the_package_and_index_format(client: FlaskClient) -> None:
    body = client.get("/version").get_json()
    assert body == {"package": version("threadsearch"), "index_format": SCHEMA_VERSION}
    assert SCHEMA_VERSION == 4


def test_serve_on_an_empty_folder_turns_ready_after_an_ingest(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    with running_server(index_dir, tmp_path / "server.log", "--workers", "2") as base:
        with pytest.raises(urllib.error.HTTPError) as not_ready:
            urllib.request.urlopen(f"{base}/readyz", timeout=10)
        with not_ready.value as answer:
            assert answer.code == 503
            assert json.load(answer)["title"] == "No index"
        command = [sys.executable, "-c", "from threadsearch.api.cli import main; main()"]
        subprocess.run(
            [*command, "ingest", str(SEED), "--index", str(index_dir), "--quiet"],
            cwd=ROOT,
            check=True,
        )
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as ready:
            assert json.load(ready)["entries"] == 27
        with urllib.request.urlopen(f"{base}/search?q=bounty+hunters", timeout=10) as found:
            assert json.load(found)["total"] == 2


# --- ETag, Cache-Control, compression ----------------------------------------------------


def test_etag_then_if_none_match_is_304(client: FlaskClient) -> None:
    first = client.get("/search?q=refugee&facet=kind")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"
    again = client.get("/search?q=refugee&facet=kind", headers={"If-None-Match": etag})
    assert (again.status_code, again.get_data(), again.headers["ETag"]) == (304, b"", etag)
    other = client.get("/search?q=refugees&facet=kind", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    for path in ("/threads", "/stats", "/threads/97c3c134e99d8917"):
        etag = client.get(path).headers["ETag"]
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_a_commit_changes_the_etag(seed_index_copy: Path, make_client: Any) -> None:
    client = make_client(seed_index_copy, API_TOKEN=TOKEN)
    etag = client.get("/search?q=kettle").headers["ETag"]
    posted = client.post("/threads", json=NEW_THREAD, headers={"Authorization": f"Bearer {TOKEN}"})
    assert posted.status_code == 201
    after = client.get("/search?q=kettle", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.get_json()["total"] == 1
    assert after.headers["ETag"] != etag


def test_cache_control_is_configurable(seed_index_dir: Path, make_client: Any) -> None:
    client = make_client(seed_index_dir, CACHE_CONTROL="public, max-age=60")
    assert client.get("/search?q=refugee").headers["Cache-Control"] == "public, max-age=60"
    assert "Cache-Control" not in client.get("/livez").headers


@pytest.mark.parametrize(
    ("encoding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)]
)
def test_json_is_compressed_when_asked(client: FlaskClient, encoding: str, decompress: Any) -> None:
    plain = client.get("/threads/97c3c134e99d8917")
    packed = client.get("/threads/97c3c134e99d8917", headers={"Accept-Encoding": encoding})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert len(packed.get_data()) < len(plain.get_data()) // 2
    assert json.loads(decompress(packed.get_data())) == plain.get_json()


# --- request ids and the access log ------------------------------------------------------


def test_request_id_is_echoed_or_made_and_logged(
    client: FlaskClient, access_log: list[dict[str, Any]]
) -> None:
    given = client.get("/livez", headers={"X-Request-Id": "req-42.a"})
    assert given.headers["X-Request-Id"] == "req-42.a"
    made = client.get("/livez", headers={"X-Request-Id": "has spaces\tand tabs"})
    assert len(made.headers["X-Request-Id"]) == 32
    assert [r["request_id"] for r in access_log] == ["req-42.a", made.headers["X-Request-Id"]]
    record = access_log[0]
    assert set(record) == {"time", "request_id", "method", "path", "query", "status", "bytes",
                           "ms", "remote"}  # fmt: skip
    assert (record["method"], record["path"], record["status"]) == ("GET", "/livez", 200)
    assert record["ms"] >= 0


def test_the_live_server_logs_json_lines_without_the_token(tmp_path: Path) -> None:
    open_index(tmp_path / "index", create=True).close()
    log = tmp_path / "server.log"
    env = {"THREADSEARCH_API_TOKEN": TOKEN}
    with running_server(tmp_path / "index", log, "--workers", "1", env=env) as base:
        request = urllib.request.Request(
            f"{base}/threads?wait=1",
            data=json.dumps(NEW_THREAD).encode(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                     "X-Request-Id": "post-1"},  # fmt: skip
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        wrong = urllib.request.Request(
            f"{base}/threads", data=b"{}", headers={"Authorization": f"Bearer {TOKEN}x"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(wrong, timeout=10)
        with refused.value as answer:
            assert answer.code == 401
    text = log.read_text()
    assert TOKEN not in text
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    posted = [r for r in records if r["request_id"] == "post-1"]
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in posted] == [
        ("POST", "/threads", "wait=1", 201)
    ]
    assert [r["status"] for r in records if r["method"] == "POST"] == [201, 401]


# --- body limit, CORS, security headers ---------------------------------------------------


def _raw_post(port: int, head: str, body: bytes) -> tuple[str, dict[str, Any]]:
    """Send a POST /threads by hand; the status line and the problem body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        request = (
            "POST /threads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {TOKEN}\r\n{head}\r\n"
        )
        sock.sendall(request.encode() + body)
        with sock.makefile("rb") as answer:
            text = answer.read().decode()
    status_line, _, rest = text.partition("\r\n")
    headers, _, payload = rest.partition("\r\n\r\n")
    assert "Content-Type: application/problem+json" in headers
    return status_line, json.loads(payload)


def test_a_body_over_the_limit_is_413_before_it_is_read(tmp_path: Path) -> None:
    open_index(tmp_path / "index", create=True).close()
    env = {"THREADSEARCH_API_TOKEN": TOKEN, "THREADSEARCH_MAX_BODY_BYTES": "1000"}
    with running_server(tmp_path / "index", tmp_path / "log", "--workers", "1", env=env) as base:
        port = int(base.rsplit(":", 1)[1])
        # Declares 20 MB, sends 10 bytes: an answer proves the body was not awaited.
        status, body = _raw_post(port, "Content-Length: 20000000\r\n", b'{"title":')
        assert status == "HTTP/1.1 413 REQUEST ENTITY TOO LARGE"
        assert body["detail"] == "The body is 20000000 bytes; the limit is 1000."
        # A chunked body declares no length: it is cut where it passes the limit.
        chunk = json.dumps([NEW_THREAD] * 30).encode()
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n"
        status, body = _raw_post(port, "Transfer-Encoding: chunked\r\n", framed)
        assert status == "HTTP/1.1 413 REQUEST ENTITY TOO LARGE"
        assert body["detail"] == "The body passes the limit of 1000 bytes."
        with urllib.request.urlopen(f"{base}/search?q=kettle", timeout=10) as found:
            assert json.load(found)["total"] == 0


def test_cors_is_off_by_default(client: FlaskClient) -> None:
    simple = client.get("/search?q=refugee", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in simple.headers
    preflight = client.options(
        "/threads",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert not any(name.startswith("Access-Control-") for name in preflight.headers.keys())


def test_cors_allows_the_configured_origins(seed_index_dir: Path, make_client: Any) -> None:
    client = make_client(seed_index_dir, CORS_ORIGINS="https://app.example, https://b.example")
    simple = client.get("/search?q=refugee", headers={"Origin": "https://app.example"})
    assert simple.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert simple.headers["Access-Control-Expose-Headers"] == "ETag, Retry-After, X-Request-Id"
    preflight = client.options(
        "/threads",
        headers={
            "Origin": "https://b.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"].split(", ")
    assert preflight.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    other = client.get("/search?q=refugee", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize("path", ["/search?q=refugee", "/nowhere", "/search?page=0", "/livez"])
def test_every_answer_has_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert {name: response.headers.get(name) for name in SECURITY} == SECURITY
    assert response.mimetype in ("application/json", "application/problem+json")


@pytest.mark.parametrize(
    "path",
    [
        "/threads/..%2F..%2F..%2Fetc%2Fpasswd",
        "/entries/%2Fetc%2Fpasswd",
        "/entries/..%2Findex%2F_threadsearch_1.toc/similar",
    ],
)
def test_paths_in_ids_match_no_route(client: FlaskClient, path: str) -> None:
    body = problem(client.get(path), 404)
    assert body["title"] == "Not Found"


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/threads/..", "no thread with id '..'"),
        ("/entries/..", "no entry with id '..'"),
        ("/entries/_threadsearch_1.toc", "no entry with id '_threadsearch_1.toc'"),
    ],
)
def test_ids_that_look_like_files_are_only_ids(
    client: FlaskClient, path: str, detail: str
) -> None:
    body = problem(client.get(path), 404)
    assert body["title"] == "Not found" and body["detail"].startswith(detail)


PAYLOAD = "<script>alert(1)</script> \"onmouseover=\"alert('x')\" <img src=x onerror=alert(2)>"


def test_payloads_in_written_threads_come_back_escaped(
    seed_index_copy: Path, make_client: Any
) -> None:
    client = make_client(seed_index_copy, API_TOKEN=TOKEN)
    thread = {
        "title": f"kettle {PAYLOAD}",
        "entries": [
            {"kind": "post", "position": 0, "title": f"kettle {PAYLOAD}",
             "body": f"A kettle {PAYLOAD} descaled.", "author": PAYLOAD},
            {"kind": "comment", "position": 1, "body": "Agreed about the kettle.",
             "quoted": f"kettle {PAYLOAD}", "author": f"Ann {PAYLOAD}"},
        ],
    }  # fmt: skip
    posted = client.post("/threads", json=thread, headers={"Authorization": f"Bearer {TOKEN}"})
    assert posted.status_code == 201
    for query in ("kettle", "script", "onerror", "alert"):
        body = client.get(f"/search?q={query}").get_json()
        assert body["total"] >= 1, query
        for hit in body["hits"]:
            for html in [hit["snippet"], *hit["highlights"].values()]:
                markup = html.replace("<mark>", "").replace("</mark>", "")
                assert "<" not in markup and '"' not in markup and "'" not in markup, html
            # Names and titles are data, not HTML: given back as sent, in JSON.
            assert hit["author"] in (PAYLOAD, f"Ann {PAYLOAD}")
            assert hit["thread_title"] == f"kettle {PAYLOAD}"
    answer = client.get("/search?q=kettle")
    assert answer.mimetype == "application/json"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
