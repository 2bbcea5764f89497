"""Every error path of the HTTP API answers RFC 9457 problem+json, checked by one helper."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from threadsearch.api import create_app

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(
    status: int, content_type: str, raw: bytes, *, expected: int, path: str, names: str = ""
) -> dict[str, Any]:
    """The shape every error body has; ``names`` must appear in its detail."""
    assert status == expected
    assert content_type == "application/problem+json"
    body: dict[str, Any] = json.loads(raw)
    assert PROBLEM_KEYS <= set(body)
    assert set(body) <= PROBLEM_KEYS | {"errors"}
    assert body["type"] == "about:blank"
    assert body["status"] == expected
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == path
    assert names in body["detail"]
    return body


def problem_of(client: FlaskClient, url: str, expected: int, names: str = "") -> dict[str, Any]:
    response = client.get(url)
    return assert_problem(
        response.status_code,
        response.mimetype,
        response.get_data(),
        expected=expected,
        path=url.split("?")[0],
        names=names,
    )


def test_unknown_parameter(client: FlaskClient) -> None:
    body = problem_of(client, "/search?autor=x", 400, "autor")
    assert body["errors"] == {"autor": ["Unknown field."]}


def test_per_page_too_large(client: FlaskClient) -> None:
    body = problem_of(client, "/search?per_page=1000", 400, "per_page")
    assert list(body["errors"]) == ["per_page"]


def test_since_not_a_date(client: FlaskClient) -> None:
    body = problem_of(client, "/search?since=yesterdayish", 400, "since")
    assert list(body["errors"]) == ["since"]


@pytest.mark.parametrize("url", ["/search?facet=colour", "/search?sort=best", "/search?page=0"])
def test_other_bad_search_parameters(client: FlaskClient, url: str) -> None:
    name = url.split("?")[1].split("=")[0]
    problem_of(client, url, 400, name)


def test_unreadable_query(client: FlaskClient) -> None:
    body = problem_of(client, "/search?q=timestamp:[foo+TO+bar]", 400, "foo")
    assert body["title"] == "Bad query"


@pytest.mark.parametrize("url", ["/threads/nope", "/entries/nope", "/entries/nope/similar"])
def test_unknown_ids(client: FlaskClient, url: str) -> None:
    body = problem_of(client, url, 404, "'nope'")
    assert body["title"] == "Not found"


def test_unknown_path(client: FlaskClient) -> None:
    problem_of(client, "/nowhere", 404)


def test_unknown_parameter_on_threads(client: FlaskClient) -> None:
    problem_of(client, "/threads?pgae=2", 400, "pgae")


def test_no_index(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX": str(tmp_path / "none")}).test_client()
    body = problem_of(client, "/search?q=x", 503, str(tmp_path / "none"))
    assert body["title"] == "No index"


def test_index_of_another_schema_version(seed_index_copy: Path) -> None:
    meta = seed_index_copy / "threadsearch.json"
    meta.write_text(json.dumps({"schema_version": 999}), encoding="utf-8")
    client = create_app({"TESTING": True, "INDEX": str(seed_index_copy)}).test_client()
    body = problem_of(client, "/stats", 503, "schema version 999")
    assert body["title"] == "Index needs rebuilding"


def test_problem_over_the_live_server(live_server: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{live_server}/search?autor=x", timeout=10)
    error = caught.value
    with error:
        assert_problem(
            error.code,
            error.headers.get_content_type(),
            error.read(),
            expected=400,
            path="/search",
            names="autor",
        )
