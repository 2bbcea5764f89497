"""Threads, entries, similar entries, health, stats and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from threadsearch.api import create_app
from threadsearch.index import open_index
from threadsearch.query.snippets import SNIPPET_CHARS

SEARCH_PARAMETERS = [
    "q",
    "author",
    "kind",
    "thread",
    "site",
    "tag",
    "lang",  # schema version 4: entries have a detected language, a filter like site
    "since",
    "until",
    "facet",
    "sort",
    "page",
    "per_page",
    "collapse",
    "cursor",
]


def get(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def seed_thread(client: FlaskClient) -> dict[str, Any]:
    thread_id = get(client, "/threads")["threads"][0]["id"]
    body: dict[str, Any] = get(client, f"/threads/{thread_id}")
    return body


def test_thread_list(client: FlaskClient) -> None:
    body = get(client, "/threads")
    assert body["total"] == 1
    assert body["page"] == 1
    assert body["per_page"] == 20
    [thread] = body["threads"]
    assert thread["title"] == "The tragedy of North Korean refugees in China"
    assert thread["entry_count"] == 27
    assert thread["declared_count"] == 26


def test_thread_has_every_entry_in_order(client: FlaskClient) -> None:
    thread = seed_thread(client)
    assert thread["entry_count"] == 27
    assert thread["declared_count"] == 26
    entries = thread["entries"]
    assert [e["position"] for e in entries] == list(range(27))
    assert entries[0]["kind"] == "post"
    assert entries[0]["author"] == "Martyn"
    assert [e["kind"] for e in entries].count("trackback") == 3
    assert {e["thread_id"] for e in entries} == {thread["id"]}


def test_entry_has_its_full_text(client: FlaskClient) -> None:
    post = seed_thread(client)["entries"][0]
    entry = get(client, f"/entries/{post['id']}")
    assert entry == post
    assert len(entry["body"]) > SNIPPET_CHARS
    assert "entrepreneur bounty hunters" in entry["body"]
    assert entry["body"].endswith("fleeing into China.")


def test_similar_leaves_out_the_entry_itself(client: FlaskClient) -> None:
    entry = seed_thread(client)["entries"][9]
    body = get(client, f"/entries/{entry['id']}/similar")
    assert body["id"] == entry["id"]
    assert len(body["hits"]) == 10
    assert entry["id"] not in {hit["id"] for hit in body["hits"]}
    assert len(get(client, f"/entries/{entry['id']}/similar?limit=3")["hits"]) == 3


def test_health(client: FlaskClient, seed_index_dir: object) -> None:
    assert get(client, "/health") == {"status": "ok", "index": str(seed_index_dir), "entries": 27}


def test_stats(client: FlaskClient, seed_index_dir: object) -> None:
    body = get(client, "/stats")
    assert body["entries"] == 27
    assert body["threads"] == 1
    assert body["kinds"] == {"comment": 23, "post": 1, "trackback": 3}
    assert body["first"] == "2005-10-01T14:01:00+00:00"
    assert body["last"] == "2005-10-24T14:58:00+00:00"
    assert body["index_dir"] == str(seed_index_dir)


def test_openapi_lists_every_path_and_the_search_parameters(client: FlaskClient) -> None:
    spec = get(client, "/openapi.json")
    assert set(spec["paths"]) == {
        "/search",
        "/threads",
        "/threads/{thread_id}",
        "/entries/{entry_id}",
        "/entries/{entry_id}/similar",
        "/health",
        "/livez",
        "/readyz",
        "/version",
        "/stats",
    }
    parameters = spec["paths"]["/search"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == SEARCH_PARAMETERS
    assert {p["in"] for p in parameters} == {"query"}


def test_health_of_an_empty_index(tmp_path: Path) -> None:
    open_index(tmp_path / "index", create=True).close()
    client = create_app({"TESTING": True, "INDEX": str(tmp_path / "index")}).test_client()
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json()["entries"] == 0
