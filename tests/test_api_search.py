"""GET /search over HTTP: a real server for the headline query, the test client for the rest."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from flask.testing import FlaskClient

SEED_DAYS = [
    {"value": "2005-10-01", "count": 12, "selected": False},
    {"value": "2005-10-02", "count": 9, "selected": False},
    {"value": "2005-10-03", "count": 1, "selected": False},
    {"value": "2005-10-11", "count": 1, "selected": False},
    {"value": "2005-10-13", "count": 2, "selected": False},
    {"value": "2005-10-24", "count": 1, "selected": False},
    {"value": None, "count": 1, "selected": False},
]


def get(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def positions(body: dict[str, Any]) -> list[int]:
    return [hit["position"] for hit in body["hits"]]


def test_bounty_hunters_on_the_live_server(live_server: str) -> None:
    url = f"{live_server}/search?q=bounty+hunters&facet=kind"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "application/json"
        body = json.load(response)
    assert body["total"] == 2
    assert sorted(positions(body)) == [0, 9]
    assert {hit["kind"] for hit in body["hits"]} == {"post", "comment"}
    assert body["facets"] == {
        "kind": {
            "values": [
                {"value": "comment", "count": 1, "selected": False},
                {"value": "post", "count": 1, "selected": False},
            ],
            "truncated": False,
        }
    }
    assert body["suggestion"] is None
    assert body["warnings"] == []


def test_the_live_server_answers_health(live_server: str) -> None:
    with urllib.request.urlopen(f"{live_server}/health", timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "ok"
    assert body["entries"] == 27


def test_phrase(client: FlaskClient) -> None:
    body = get(client, "/search?q=%22light+water+reactor%22")
    assert body["total"] == 1
    assert positions(body) == [20]


def test_refugee_finds_refugees(client: FlaskClient) -> None:
    body = get(client, "/search?q=refugee&per_page=100")
    assert body["total"] == 13
    # Entry 4 says "refugees" and never "refugee".
    assert 4 in positions(body)


def test_facets_of_everything(client: FlaskClient) -> None:
    body = get(client, "/search?facet=kind&facet=day")
    assert body["total"] == 27
    assert body["facets"]["kind"]["values"] == [
        {"value": "comment", "count": 23, "selected": False},
        {"value": "trackback", "count": 3, "selected": False},
        {"value": "post", "count": 1, "selected": False},
    ]
    assert body["facets"]["day"] == {"values": SEED_DAYS, "truncated": False}


def test_one_day(client: FlaskClient) -> None:
    assert get(client, "/search?since=2005-10-02&until=2005-10-02")["total"] == 9


@pytest.mark.parametrize(("sort", "first"), [("newest", 26), ("oldest", 1)])
def test_sorts(client: FlaskClient, sort: str, first: int) -> None:
    body = get(client, f"/search?sort={sort}")
    assert body["total"] == 27
    assert positions(body)[0] == first
    assert body["hits"][0]["score"] is None


def test_multi_select_kind(client: FlaskClient) -> None:
    body = get(client, "/search?kind=trackback&facet=kind")
    assert body["total"] == 3
    assert positions(body) == [26, 23, 22]
    assert body["facets"]["kind"]["values"] == [
        {"value": "comment", "count": 23, "selected": False},
        {"value": "trackback", "count": 3, "selected": True},
        {"value": "post", "count": 1, "selected": False},
    ]


def test_collapse_thread(client: FlaskClient) -> None:
    plain = get(client, "/search?q=refugees")
    body = get(client, "/search?q=refugees&collapse=thread")
    assert body["total"] == 1
    assert len(body["hits"]) == 1
    assert body["hits"][0]["collapsed"] == plain["total"] - 1 == 12
    assert all(hit["collapsed"] is None for hit in plain["hits"])


def test_suggestion(client: FlaskClient) -> None:
    body = get(client, "/search?q=refugeez")
    assert body["total"] == 0
    assert body["hits"] == []
    assert body["suggestion"] == "refugees"


def test_snippets_are_marked(client: FlaskClient) -> None:
    body = get(client, "/search?q=bounty+hunters")
    for hit in body["hits"]:
        assert "<mark>bounty</mark> <mark>hunters</mark>" in hit["snippet"]


@pytest.mark.parametrize("q", ["%22bounty", "(bounty", "bounty)", "%5Bbounty"])
def test_unbalanced_quotes_and_brackets_are_read_leniently(client: FlaskClient, q: str) -> None:
    body = get(client, f"/search?q={q}")
    assert body["total"] == 2
    assert sorted(positions(body)) == [0, 9]
