"""POST and DELETE /threads: token required, nothing written without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from threadsearch import open_index
from threadsearch.api import create_app

from tests.test_api_errors import assert_problem

TOKEN = "s3cret-token"
THREAD = {
    "title": "Kettle tips",
    "url": "https://forum.example/t/1",
    "tags": ["home"],
    "entries": [
        {"kind": "post", "position": 0, "body": "Vinegar descales a kettle.", "author": "Ann"},
        {"kind": "comment", "position": 1, "body": "Citric acid works too.", "author": "Bo"},
    ],
}


@pytest.fixture
def writable(tmp_path: Path) -> Iterator[Flask]:
    open_index(tmp_path / "index", create=True).close()
    app = create_app({"TESTING": True, "INDEX": str(tmp_path / "index"), "API_TOKEN": TOKEN})
    yield app
    index = app.extensions.get("threadsearch")
    if index is not None:
        index.close()


@pytest.fixture
def writer(writable: Flask) -> FlaskClient:
    return writable.test_client()


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def total(client: FlaskClient, q: str) -> int:
    return int(client.get(f"/search?q={q}").get_json()["total"])


def test_post_threads_without_a_token_is_401_and_writes_nothing(writer: FlaskClient) -> None:
    response = writer.post("/threads", json=THREAD)
    assert_problem(
        response.status_code, response.content_type, response.data, expected=401, path="/threads"
    )
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="threadsearch"'
    assert total(writer, "vinegar") == 0


def test_post_threads_with_a_wrong_token_is_401_and_writes_nothing(writer: FlaskClient) -> None:
    response = writer.post("/threads", json=THREAD, headers=auth("wrong"))
    assert response.status_code == 401
    assert total(writer, "vinegar") == 0


def test_post_threads_is_refused_when_no_token_is_configured(tmp_path: Path) -> None:
    open_index(tmp_path / "index", create=True).close()
    app = create_app({"TESTING": True, "INDEX": str(tmp_path / "index")})
    response = app.test_client().post("/threads", json=THREAD, headers=auth())
    body = assert_problem(
        response.status_code, response.content_type, response.data, expected=403, path="/threads"
    )
    assert "THREADSEARCH_API_TOKEN" in body["detail"]


def test_post_one_thread_indexes_it(writer: FlaskClient) -> None:
    response = writer.post("/threads", json=THREAD, headers=auth())
    assert response.status_code == 201
    assert response.get_json() == {"threads": 1, "entries": 2}
    hits = writer.get("/search?q=citric&facet=tag").get_json()
    assert [(h["author"], h["kind"]) for h in hits["hits"]] == [("Bo", "comment")]
    assert hits["facets"]["tag"]["values"] == [{"value": "home", "count": 1, "selected": False}]


def test_post_a_list_of_threads_twice_is_idempotent(writer: FlaskClient) -> None:
    other = {"title": "Descaling", "entries": [{"kind": "post", "position": 0, "body": "Vinegar"}]}
    for _ in range(2):
        assert writer.post("/threads", json=[THREAD, other], headers=auth()).status_code == 201
    assert writer.get("/stats").get_json()["entries"] == 3
    assert total(writer, "vinegar") == 2


def test_post_a_thread_that_breaks_the_schema_names_the_field(writer: FlaskClient) -> None:
    bad = {"title": "x", "entries": [{"kind": "reply", "position": 0}]}
    response = writer.post("/threads", json=bad, headers=auth())
    body = assert_problem(
        response.status_code, response.content_type, response.data, expected=400, path="/threads"
    )
    assert body["errors"] == {
        "0": {"entries": {"0": {"kind": ["Must be one of: post, comment, trackback, pingback."]}}}
    }
    assert writer.get("/stats").get_json()["entries"] == 0


def test_post_a_body_that_is_not_json_is_400(writer: FlaskClient) -> None:
    response = writer.post(
        "/threads", data="not json", content_type="application/json", headers=auth()
    )
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_delete_thread_removes_its_entries(writer: FlaskClient) -> None:
    writer.post("/threads", json=THREAD, headers=auth())
    thread_id = writer.get("/threads").get_json()["threads"][0]["id"]
    assert writer.delete(f"/threads/{thread_id}").status_code == 401
    assert total(writer, "vinegar") == 1
    assert writer.delete(f"/threads/{thread_id}", headers=auth()).status_code == 204
    assert total(writer, "vinegar") == 0
    missing = writer.delete(f"/threads/{thread_id}", headers=auth())
    assert missing.status_code == 404


def test_openapi_documents_the_writes(writer: FlaskClient) -> None:
    spec = writer.get("/openapi.json").get_json()
    assert set(spec["paths"]["/threads"]) == {"get", "post"}
    assert set(spec["paths"]["/threads/{thread_id}"]) == {"get", "delete", "parameters"}
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert {"ThreadInput", "EntryInput"} <= set(spec["components"]["schemas"])


def test_a_running_app_sees_a_newer_index_without_restart(writer: FlaskClient) -> None:
    assert total(writer, "vinegar") == 0  # opens the index and its searcher
    from threadsearch import ingest_paths, open_index

    from tests.conftest import SEED

    index_dir = writer.application.config["INDEX"]
    other = open_index(index_dir)  # another process's view: a separate ingest
    ingest_paths(other, [SEED])
    other.close()
    assert total(writer, "refugee") == 13
