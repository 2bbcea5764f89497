"""POST and DELETE /threads: token required, nothing written without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from threadsearch import open_index
from threadsearch.api import create_app
from threadsearch.model import canonical_url, thread_id_for

from tests.test_api_errors import assert_problem
from tests.test_writes import lock_held, snapshot

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

#: POST /threads answers with the ingest summary, the body counted as one file. Neither
#: entry of THREAD has a date.
SUMMARY = {
    "files": 1,
    "threads": 1,
    "entries": 2,
    "warnings": [],
    "strict": False,
    "by_file": [
        {
            "path": "request body",
            "format": "json",
            "threads": 1,
            "entries": {"post": 1, "comment": 1},
            "undated": 2,
            "merged": 0,
            "warnings": [],
        }
    ],
    "skipped": [],
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
    assert response.get_json() == SUMMARY
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


# --- the write API behind POST and DELETE: every problem, a busy index ----------------------


def index_dir(client: FlaskClient) -> Path:
    return Path(client.application.config["INDEX"])


def test_post_a_timestamp_without_a_zone_is_400_listing_the_field(writer: FlaskClient) -> None:
    naive = {**THREAD, "entries": [{**THREAD["entries"][0], "timestamp": "2024-05-01T09:30:00"}]}
    before = snapshot(index_dir(writer))
    response = writer.post("/threads", json=naive, headers=auth())
    body = assert_problem(
        response.status_code, response.content_type, response.data, expected=400, path="/threads"
    )
    thread_id = thread_id_for(canonical_url(THREAD["url"]))
    assert body["errors"] == [
        {
            "thread": thread_id,
            "entry": f"{thread_id}-0",
            "field": "timestamp",
            "message": "has no time zone: give one (2024-05-01T09:30:00+00:00 for UTC)",
        }
    ]
    assert body["detail"].startswith(
        f"thread '{thread_id}', entry '{thread_id}-0', field timestamp"
    )
    assert snapshot(index_dir(writer)) == before


def test_post_the_same_thread_twice_in_one_body_lists_every_problem(writer: FlaskClient) -> None:
    response = writer.post("/threads", json=[THREAD, THREAD], headers=auth())
    assert response.status_code == 400
    thread_id = thread_id_for(canonical_url(THREAD["url"]))
    assert [(e["thread"], e["entry"], e["field"]) for e in response.get_json()["errors"]] == [
        (thread_id, None, "id"),
        (thread_id, f"{thread_id}-0", "id"),
        (thread_id, f"{thread_id}-1", "id"),
    ]
    assert writer.get("/stats").get_json()["entries"] == 0


def test_post_lists_the_schema_errors_of_every_thread(writer: FlaskClient) -> None:
    bad = [{"title": "x", "entries": [{"kind": "reply", "position": 0}]}, THREAD, {"x": 1}]
    response = writer.post("/threads", json=bad, headers=auth())
    assert response.status_code == 400
    assert sorted(response.get_json()["errors"]) == ["0", "2"]
    assert writer.get("/stats").get_json()["entries"] == 0


def test_post_while_another_writer_holds_the_index_is_503_then_201(writer: FlaskClient) -> None:
    with lock_held(index_dir(writer)):
        before = snapshot(index_dir(writer))
        response = writer.post("/threads", json=THREAD, headers=auth())
        body = assert_problem(
            response.status_code,
            response.content_type,
            response.data,
            expected=503,
            path="/threads",
        )
        assert response.headers["Retry-After"] == "5"
        assert body["title"] == "Index busy"
        assert "?wait=SECONDS" in body["detail"]
        assert snapshot(index_dir(writer)) == before
        assert total(writer, "vinegar") == 0
    response = writer.post("/threads", json=THREAD, headers=auth())
    assert response.status_code == 201
    assert response.get_json() == SUMMARY
    assert total(writer, "vinegar") == 1


def test_delete_while_another_writer_holds_the_index_is_503(writer: FlaskClient) -> None:
    writer.post("/threads", json=THREAD, headers=auth())
    thread_id = thread_id_for(canonical_url(THREAD["url"]))
    with lock_held(index_dir(writer)):
        response = writer.delete(f"/threads/{thread_id}?wait=0", headers=auth())
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
    assert total(writer, "vinegar") == 1
    assert writer.delete(f"/threads/{thread_id}", headers=auth()).status_code == 204


@pytest.mark.parametrize("wait", ["-1", "31", "soon"])
def test_post_with_a_wait_out_of_range_is_400(writer: FlaskClient, wait: str) -> None:
    response = writer.post(f"/threads?wait={wait}", json=THREAD, headers=auth())
    body = assert_problem(
        response.status_code,
        response.content_type,
        response.data,
        expected=400,
        path="/threads",
    )
    assert list(body["errors"]) == ["wait"]
    assert total(writer, "vinegar") == 0


def test_post_with_a_wait_writes_when_the_index_is_free(writer: FlaskClient) -> None:
    response = writer.post("/threads?wait=30", json=THREAD, headers=auth())
    assert response.status_code == 201
    assert total(writer, "vinegar") == 1


def test_openapi_documents_wait_busy_and_problems(writer: FlaskClient) -> None:
    spec = writer.get("/openapi.json").get_json()
    post = spec["paths"]["/threads"]["post"]
    wait, strict = post["parameters"]
    assert (wait["name"], wait["in"]) == ("wait", "query")
    assert (strict["name"], strict["in"], strict["schema"]["type"]) == (
        "strict",
        "query",
        "boolean",
    )
    assert (wait["schema"]["minimum"], wait["schema"]["maximum"]) == (0, 30)
    assert set(post["responses"]) == {"201", "400", "503", "default"}
    assert "Retry-After" in post["responses"]["503"]["headers"]
    problem = post["responses"]["400"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    delete = spec["paths"]["/threads/{thread_id}"]["delete"]
    assert set(delete["responses"]) == {"204", "400", "404", "503", "default"}
    fields = set(spec["components"]["schemas"]["WriteProblem"]["properties"])
    assert fields == {"thread", "entry", "field", "message"}


def test_post_threads_strict_answers_the_summary_when_there_is_no_warning(
    writer: FlaskClient,
) -> None:
    response = writer.post("/threads?strict=true", json=[THREAD], headers=auth())
    assert response.status_code == 201
    assert response.get_json() == SUMMARY | {"strict": True}


def test_post_threads_summary_is_documented_in_openapi(writer: FlaskClient) -> None:
    spec = writer.get("/openapi.json").get_json()
    post = spec["paths"]["/threads"]["post"]
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IngestSummary"
    }
    assert "strict" in [parameter["name"] for parameter in post["parameters"]]
    schemas = spec["components"]["schemas"]
    assert set(schemas["IngestSummary"]["properties"]) == set(SUMMARY)
    assert set(schemas["FileSummary"]["properties"]) == set(SUMMARY["by_file"][0])
